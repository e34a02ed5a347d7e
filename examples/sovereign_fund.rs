//! A new kind of agent added from outside `crates/` as a plugin: a sovereign fund that
//! bids counter-cyclically. When a generation's last secondary price has fallen more than
//! `TRIGGER` below its non-distressed reference price, the fund bids for up to
//! `LOTS_PER_WEEK` lots at that discount, within its cash, and holds what it buys
//! (warehoused, not installed). It is a buyer of last resort the shipped worlds lack.
//!
//! ```sh
//! cargo run --release --example sovereign_fund -- run subprime_compute --out output/subprime_compute-fund/seed-42
//! cargo run --release -- compare output/subprime_compute/seed-42 output/subprime_compute-fund/seed-42
//! ```
//!
//! The fund is an agent like any other: an id, a ledger account (its capital comes in as
//! equity, so the ledger still balances), its own random stream, and one system in the
//! tick's `PostBids` step, ordered after the buyers' bids. Its money moves only through
//! the auction, so conservation and determinism hold; the schedule would refuse to build
//! if its system were left unordered against a system sharing its data. Its parameters
//! are constants here: a plugin's agents are configured by the plugin, not the world file.

use bevy_ecs::prelude::*;
use firesale_core::prelude::*;
use firesale_markets::{Bid, SecondaryMarket};
use firesale_sim::{SimPlugin, register_plugin};
use firesale_world::WorldFile;
use std::sync::Arc;

/// The fund's capital, $.
const CAPITAL: f64 = 2e9;
/// It bids when the last price is this far below the reference price.
const TRIGGER: f64 = 0.25;
/// Most lots it bids for per generation per week.
const LOTS_PER_WEEK: u32 = 20;

/// Marks the fund's entity.
#[derive(Component)]
struct SovereignFund;

/// Phase 9, after the buyers: bid at the trigger discount where prices have fallen
/// through it.
fn bid_counter_cyclically(
    clock: Res<Clock>,
    gens: Res<Generations>,
    ledger: Res<Ledger>,
    mut secondary: ResMut<SecondaryMarket>,
    funds: Query<&Agent, With<SovereignFund>>,
) {
    for agent in funds.iter().sort_by_key::<&Agent, _>(|a| a.id) {
        let mut budget = ledger.balance(agent.account).max(0.0);
        for g in gens.released(clock.tick) {
            let market = &secondary.generations[g.0 as usize];
            let (Some(reference), Some(last)) = (market.reference_price, market.last_price) else {
                continue;
            };
            let limit = reference * (1.0 - TRIGGER);
            if last >= limit || limit <= 0.0 {
                continue;
            }
            let per_lot = limit * f64::from(gens.gpus_per_lot);
            let lots = LOTS_PER_WEEK.min((budget / per_lot).floor() as u32);
            if lots == 0 {
                continue;
            }
            budget -= per_lot * f64::from(lots);
            secondary.bid(
                g,
                Bid {
                    buyer: agent.id,
                    lots,
                    limit,
                },
            );
        }
    }
}

/// The plugin: one fund per run.
struct FundPlugin;

impl SimPlugin for FundPlugin {
    fn name(&self) -> &str {
        "sovereign_fund"
    }

    fn spawn(&self, world: &mut World, _file: &WorldFile) -> Result<(), String> {
        let (_, entity) =
            firesale_world::register_agent(world, "sovereign_fund", AgentKind::Buyer, CAPITAL);
        world.entity_mut(entity).insert(SovereignFund);
        Ok(())
    }

    fn systems(&self, schedule: &mut Schedule) {
        schedule.add_systems(
            bid_counter_cyclically
                .in_set(Step::PostBids)
                .after(firesale_buyer::post_bids),
        );
    }
}

fn main() -> std::process::ExitCode {
    register_plugin(Arc::new(FundPlugin));
    firesale_cli::main()
}
