//! Extending a run from outside firesale: a [`SimPlugin`] adds agents of a new kind when
//! the world is built and systems to the tick schedule (the bevy plugin idea, kept to
//! what keeps a run reproducible and conserved: every agent gets a ledger account and
//! its own random stream, and every system sits in a named step, ordered against the
//! systems it shares data with, or the schedule refuses to build).

use bevy_ecs::prelude::*;
use firesale_world::WorldFile;
use std::sync::{Arc, RwLock};

/// Adds a kind of agent, or any behaviour, to every run.
pub trait SimPlugin: Send + Sync {
    /// Its name, for messages.
    fn name(&self) -> &str;
    /// Adds its agents and resources to a freshly built world (register agents with
    /// `firesale_world::register_agent` so they have an account and a stream).
    fn spawn(&self, world: &mut World, file: &WorldFile) -> Result<(), String>;
    /// Adds its systems, each `.in_set(Step::...)` and ordered against any system of
    /// that step it shares data with.
    fn systems(&self, schedule: &mut Schedule);
}

static PLUGINS: RwLock<Vec<Arc<dyn SimPlugin>>> = RwLock::new(Vec::new());

/// Adds a plugin to every run of this process that does not name its own (the CLI's
/// runs, ensembles and sweeps). Call it before running, e.g. first thing in `main`.
pub fn register_plugin(plugin: Arc<dyn SimPlugin>) {
    PLUGINS
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .push(plugin);
}

/// The plugins registered for this process.
pub fn registered_plugins() -> Vec<Arc<dyn SimPlugin>> {
    PLUGINS.read().unwrap_or_else(|e| e.into_inner()).clone()
}
