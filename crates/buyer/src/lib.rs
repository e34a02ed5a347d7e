#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod bidding;
mod components;
mod operations;
mod plugin;
mod replacement;
mod resale;
mod rules;

pub use bidding::*;
pub use components::*;
pub use operations::*;
pub use plugin::*;
pub use replacement::*;
pub use resale::*;
pub use rules::*;
