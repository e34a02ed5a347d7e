//! Stopping a run on an invalid state, with a message that says where and why.

use bevy_ecs::prelude::*;

/// Why a run stopped early: an invalid state, named by tick, phase and agent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid state at tick {tick} ({date}), phase {phase}, agent {agent}: {what}")]
pub struct InvalidState {
    /// Tick at which the invalid state was seen.
    pub tick: u32,
    /// Date of that tick.
    pub date: String,
    /// Phase in which it was seen.
    pub phase: &'static str,
    /// Agent (or account, or `world`) it concerns.
    pub agent: String,
    /// What is wrong.
    pub what: String,
}

/// Set by the phase guards when the state is invalid; the runner stops after the tick.
#[derive(Resource, Debug, Default)]
pub struct Halt {
    /// The first invalid state seen, if any.
    pub error: Option<InvalidState>,
}

impl Halt {
    /// Records `error` unless an earlier one is already recorded.
    pub fn raise(&mut self, error: InvalidState) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }
}
