#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod agents;
mod by_agent;
mod clock;
mod credit;
mod events;
mod fleet;
mod halt;
pub mod interrupt;
mod ledger;
mod metrics;
mod notes;
mod outlook;
mod phase;
pub mod pipeline;
mod rng;
pub mod rules;
mod valuation;

pub use agents::*;
pub use clock::*;
pub use credit::*;
pub use events::*;
pub use fleet::*;
pub use halt::*;
pub use ledger::*;
pub use metrics::*;
pub use notes::*;
pub use outlook::*;
pub use phase::*;
pub use rng::*;
pub use valuation::*;

/// Everything an agent crate usually needs.
pub mod prelude {
    pub use crate::{
        Agent, AgentId, AgentKind, AgentRng, Clock, Directory, EventKind, EventLog, External,
        Fleet, GenId, Generations, Halt, Ledger, LoanBook, LoanId, LotId, LotState, MasterSeed,
        Metrics, Phase, PowerContract, Racks, Step,
    };
    pub use bevy_ecs::prelude::*;
}
