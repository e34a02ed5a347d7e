//! Seeded random streams: one master seed, one ChaCha stream per agent or system.
//!
//! A stream is chosen by a label (`"agent/op-neo-3"`, `"exogenous"`), hashed with FNV-1a
//! into ChaCha's 64-bit stream number. Streams never share state, so adding an agent or
//! reordering systems does not change what any other agent draws, and recording or
//! plotting (which draw nothing) cannot change a run.

use bevy_ecs::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The run's master seed.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct MasterSeed(pub u64);

impl MasterSeed {
    /// The independent stream named `label`.
    pub fn stream(self, label: &str) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.0);
        rng.set_stream(fnv1a(label));
        rng
    }
}

/// An agent's own random stream.
#[derive(Component, Debug, Clone)]
pub struct AgentRng(pub ChaCha8Rng);

/// FNV-1a, 64-bit: a stable hash (unlike std's) for naming streams.
pub fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let seed = MasterSeed(42);
        let a1: u64 = seed.stream("agent/a").random();
        let a2: u64 = seed.stream("agent/a").random();
        let b: u64 = seed.stream("agent/b").random();
        let other: u64 = MasterSeed(43).stream("agent/a").random();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, other);
    }

    #[test]
    fn golden_value_guards_the_stream_algorithm() {
        // If this changes, every published run changes: bump it only with a rand upgrade.
        let x: u64 = MasterSeed(7).stream("exogenous").random();
        assert_eq!(x, GOLDEN);
    }

    const GOLDEN: u64 = 2_873_980_757_358_256_277;
}
