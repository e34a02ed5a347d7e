#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod components;
mod credit;
mod defaults;
mod funding;
mod marking;
mod plugin;
mod repo;
mod rules;
mod takeout;

pub use components::*;
pub use credit::*;
pub use defaults::*;
pub use funding::*;
pub use marking::*;
pub use plugin::*;
pub use repo::*;
pub use rules::*;
pub use takeout::*;
