//! Runs a firesale world: assembles the one tick schedule from every crate's systems,
//! guards the invariants after each phase, and streams the outputs to disk.
#![warn(missing_docs)]

mod answers;
mod capital;
mod firesales;
mod guards;
mod output;
mod plugins;
mod rigs;
mod run;
mod schedule;
mod summary;
mod timing;

pub use answers::*;
pub use capital::*;
pub use firesale_core::interrupt;
pub use firesales::*;
pub use output::*;
pub use plugins::*;
pub use rigs::*;
pub use run::*;
pub use schedule::*;
pub use summary::*;
pub use timing::{StepTime, StepTimes};
