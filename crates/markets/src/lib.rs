#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod auction;
mod book;
mod compute;
mod exogenous;
mod keysort;
mod plugin;
mod primary;
mod replacement;
mod resale;
mod roadmap;

pub use auction::*;
pub use book::uniform_price;
pub use compute::*;
pub use exogenous::*;
pub use plugin::*;
pub use primary::*;
pub use replacement::*;
pub use resale::*;
pub use roadmap::*;
