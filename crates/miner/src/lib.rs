#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod components;
mod costs;
mod distress;
mod growth;
mod hosting;
mod plugin;
mod resale;
mod revenue;
mod rules;
mod used_bids;

pub use components::*;
pub use costs::*;
pub use distress::*;
pub use growth::*;
pub use hosting::*;
pub use plugin::*;
pub use resale::*;
pub use revenue::*;
pub use rules::*;
pub use used_bids::*;
