#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod bidding;
mod components;
mod operations;
mod plugin;
mod resale;
mod rules;

pub use bidding::*;
pub use components::*;
pub use operations::*;
pub use plugin::*;
pub use resale::*;
pub use rules::*;
