//! Who is who: agent ids, names, kinds and the directory from id to entity.

use crate::ledger::AccountId;
use bevy_ecs::prelude::*;

/// Stable id of an agent, in spawn order; sorts agents deterministically.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentId(pub u32);

/// The broad kind of an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    /// A crypto miner that also hosts GPUs (holds BTC, mines).
    Miner,
    /// A GPU cloud with no BTC and no mining.
    NeoCloud,
    /// A lender: bank, private credit fund or crypto lender.
    Lender,
    /// A repo desk lending against GPU inventory.
    RepoDesk,
    /// A GPU buyer: hyperscaler, tier-2 cloud, start-up, broker.
    Buyer,
    /// A bond investor: a high-yield or convertible-arbitrage fund buying operators'
    /// notes (and ABS tranches).
    BondInvestor,
    /// A special-purpose vehicle of a GPU ABS: owns a pool of lots and pays its tranches.
    Spv,
}

/// Identity of an agent entity.
#[derive(Component, Debug, Clone)]
pub struct Agent {
    /// Its id.
    pub id: AgentId,
    /// Its name (`op-neo-3`), used in events and errors.
    pub name: String,
    /// Its kind.
    pub kind: AgentKind,
    /// Its ledger account: its cash.
    pub account: AccountId,
}

/// Lookup from agent id to name, kind, account and entity.
#[derive(Resource, Debug, Default)]
pub struct Directory {
    agents: Vec<(Agent, Entity)>,
}

impl Directory {
    /// Registers an agent; ids must be registered in order 0, 1, 2, …
    pub fn register(&mut self, agent: Agent, entity: Entity) {
        debug_assert_eq!(agent.id.0 as usize, self.agents.len());
        self.agents.push((agent, entity));
    }

    /// The next free id.
    pub fn next_id(&self) -> AgentId {
        AgentId(self.agents.len() as u32)
    }

    /// The agent with this id.
    pub fn agent(&self, id: AgentId) -> &Agent {
        &self.agents[id.0 as usize].0
    }

    /// The entity of the agent with this id.
    pub fn entity(&self, id: AgentId) -> Entity {
        self.agents[id.0 as usize].1
    }

    /// Name of an agent.
    pub fn name(&self, id: AgentId) -> &str {
        &self.agents[id.0 as usize].0.name
    }

    /// Ledger account of an agent.
    pub fn account(&self, id: AgentId) -> AccountId {
        self.agents[id.0 as usize].0.account
    }

    /// All agents in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Agent> {
        self.agents.iter().map(|(a, _)| a)
    }

    /// Number of agents of a kind.
    pub fn count(&self, kind: AgentKind) -> usize {
        self.iter().filter(|a| a.kind == kind).count()
    }
}

/// Rack space of an operator or buyer, in kW, by cooling type.
#[derive(Component, Debug, Clone)]
pub struct Racks {
    /// Air-cooled capacity (kW).
    pub air_kw: f64,
    /// Liquid-cooled capacity (kW).
    pub liquid_kw: f64,
    /// Liquid-cooled capacity under construction: (tick it comes online, kW), in the
    /// order it was started ([`Racks::build`]).
    pipeline: Vec<(u32, f64)>,
    /// The first tick any of `pipeline` comes online (`u32::MAX` when nothing is being
    /// built): read every tick by every owner, so kept here rather than found in the list.
    next_online: u32,
}

impl Default for Racks {
    fn default() -> Self {
        Racks::new(0.0, 0.0)
    }
}

/// What an owner pays to run GPUs: the basis of its place in the merit order.
#[derive(Component, Debug, Clone, Copy)]
pub struct PowerContract {
    /// Price of power, $/kWh.
    pub usd_per_kwh: f64,
    /// Hosting fee per kWh run, averaged over its capacity (its rigs in a host's site
    /// pay the host's fee on top of power; 0 when it hosts itself).
    pub hosting_fee_per_kwh: f64,
}

impl PowerContract {
    /// Power at its own contract price only.
    pub fn own(usd_per_kwh: f64) -> Self {
        PowerContract {
            usd_per_kwh,
            hosting_fee_per_kwh: 0.0,
        }
    }

    /// What one kWh run costs it: power at the contract price times the economy-wide
    /// power multiplier, plus any hosting fee.
    pub fn per_kwh(&self, power_multiplier: f64) -> f64 {
        self.usd_per_kwh * power_multiplier + self.hosting_fee_per_kwh
    }
}

impl Racks {
    /// Racks with these capacities, kW, and nothing under construction.
    pub fn new(air_kw: f64, liquid_kw: f64) -> Self {
        Racks {
            air_kw,
            liquid_kw,
            pipeline: Vec::new(),
            next_online: u32::MAX,
        }
    }

    /// Starts building `kw` of liquid-cooled racks that come online at tick `online`.
    pub fn build(&mut self, online: u32, kw: f64) {
        self.pipeline.push((online, kw));
        self.next_online = self.next_online.min(online);
    }

    /// Brings finished construction online.
    pub fn complete_builds(&mut self, tick: u32) {
        if self.next_online > tick {
            return;
        }
        let (done, pending): (Vec<_>, Vec<_>) = self.pipeline.iter().partition(|(t, _)| *t <= tick);
        self.liquid_kw += done.iter().map(|(_, kw)| kw).sum::<f64>();
        self.next_online = pending.iter().map(|(t, _)| *t).min().unwrap_or(u32::MAX);
        self.pipeline = pending;
    }

    /// kW in use by installed lots: (air-cooled generations, liquid-cooled generations),
    /// from the fleet's counts of the owner's installed lots (no scan of its fleet).
    pub fn used_kw(
        &self,
        fleet: &crate::Fleet,
        gens: &crate::Generations,
        owner: AgentId,
    ) -> (f64, f64) {
        let mut used = (0.0, 0.0);
        for (g, held) in fleet.held(owner).iter().enumerate() {
            let count = held.installed;
            if count == 0 {
                continue;
            }
            let generation = crate::GenId(g as u16);
            let kw = f64::from(count) * gens.lot_kw(generation);
            if gens.get(generation).liquid_cooled {
                used.1 += kw;
            } else {
                used.0 += kw;
            }
        }
        used
    }

    /// Free kW that could host a lot of `generation`: liquid racks host anything, air
    /// racks only air-cooled generations (air-cooled lots overflow into liquid racks).
    pub fn free_kw_for(
        &self,
        fleet: &crate::Fleet,
        gens: &crate::Generations,
        owner: AgentId,
        generation: crate::GenId,
    ) -> f64 {
        self.free_kw_given(self.used_kw(fleet, gens, owner), gens, generation)
    }

    /// [`Racks::free_kw_for`] when the kW in use, (air, liquid), are already known.
    pub fn free_kw_given(
        &self,
        (air_used, liquid_used): (f64, f64),
        gens: &crate::Generations,
        generation: crate::GenId,
    ) -> f64 {
        let air_overflow = (air_used - self.air_kw).max(0.0);
        let liquid_free = (self.liquid_kw - liquid_used - air_overflow).max(0.0);
        if gens.get(generation).liquid_cooled {
            liquid_free
        } else {
            (self.air_kw - air_used).max(0.0) + liquid_free
        }
    }

    /// Uninstalls `owner`'s installed lots that no longer fit its racks (after it lost
    /// capacity), earliest-released generation first, skipping lots whose removal would
    /// not free the racks that are short; they stay with it, stored. Returns how many.
    pub fn uninstall_excess(
        &self,
        fleet: &mut crate::Fleet,
        gens: &crate::Generations,
        owner: AgentId,
    ) -> u32 {
        let (mut air, mut liquid) = self.used_kw(fleet, gens, owner);
        // Air-cooled lots overflow into liquid racks; beyond those they do not fit.
        let excess =
            |air: f64, liquid: f64| liquid + (air - self.air_kw).max(0.0) - self.liquid_kw > 1e-9;
        if !excess(air, liquid) {
            return 0;
        }
        // By generation; the sort below sets the order.
        let mut installed: Vec<crate::LotId> = (0..fleet.held(owner).len())
            .flat_map(|g| fleet.owned_of(owner, crate::GenId(g as u16)))
            .filter(|&l| fleet.get(l).state() == crate::LotState::Installed)
            .collect();
        installed.sort_by_key(|&l| (gens.get(fleet.get(l).generation).release_tick, l));
        let mut removed = 0;
        for lot in installed {
            if !excess(air, liquid) {
                break;
            }
            let generation = fleet.get(lot).generation;
            let kw = gens.lot_kw(generation);
            let liquid_cooled = gens.get(generation).liquid_cooled;
            // An air-cooled lot within the air racks frees nothing that is short.
            if !liquid_cooled && air <= self.air_kw + 1e-9 {
                continue;
            }
            fleet.set_state(lot, crate::LotState::Stored);
            removed += 1;
            if liquid_cooled {
                liquid -= kw;
            } else {
                air -= kw;
            }
        }
        removed
    }

    /// Installs stored lots of `owner` while rack space allows, newest generation first;
    /// returns how many were installed.
    pub fn install_stored(
        &self,
        fleet: &mut crate::Fleet,
        gens: &crate::Generations,
        owner: AgentId,
    ) -> u32 {
        // Nothing to do unless some generation waiting in storage fits the free racks
        // (installing only fills them, so if none fits now none will).
        if !fleet.has_waiting(owner) {
            return 0;
        }
        let used = self.used_kw(fleet, gens, owner);
        let fits = fleet.held(owner).iter().enumerate().any(|(g, held)| {
            let generation = crate::GenId(g as u16);
            held.stored_unlisted > 0
                && self.free_kw_given(used, gens, generation) >= gens.lot_kw(generation) - 1e-9
        });
        if !fits {
            return 0;
        }
        // Newest generation first, then id order.
        let stored: Vec<crate::LotId> = (0..fleet.held(owner).len())
            .rev()
            .flat_map(|g| fleet.stored_of(owner, crate::GenId(g as u16)))
            .filter(|&l| !fleet.get(l).listed())
            .collect();
        let mut installed = 0;
        let mut used = self.used_kw(fleet, gens, owner);
        for lot in stored {
            let generation = fleet.get(lot).generation;
            let kw = gens.lot_kw(generation);
            if self.free_kw_given(used, gens, generation) >= kw - 1e-9 {
                fleet.set_state(lot, crate::LotState::Installed);
                installed += 1;
                if gens.get(generation).liquid_cooled {
                    used.1 += kw;
                } else {
                    used.0 += kw;
                }
            }
        }
        installed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Fleet, GenId, Generation, Generations, Hardware, LotState};

    fn rig(name: &str, th_per_unit: f64, release_tick: i32) -> Generation {
        Generation {
            name: name.into(),
            hardware: Hardware::Asic {
                th_per_unit,
                j_per_th: 30.0,
            },
            release_tick,
            released_in_run: false,
            perf: 0.0,
            kw_per_gpu: th_per_unit * 30.0 / 1000.0,
            list_price: 1.0,
            list_price_decline: 0.0,
            liquid_cooled: false,
            useful_life_years: 3.0,
            max_age_years: 6.0,
            vendor_lots_per_tick: None,
        }
    }

    #[test]
    fn losing_racks_strands_the_oldest_lots_beyond_what_is_left() {
        // Lots of 10 rigs: the old generation draws 15 kW a lot, the new one 30 kW.
        let gens = Generations {
            list: vec![rig("new", 100.0, 0), rig("old", 50.0, -100)],
            gpus_per_lot: 10,
        };
        let owner = AgentId(3);
        let mut fleet = Fleet::default();
        // The file lists the newer generation first: release dates, not ids, decide.
        let lots = [
            fleet.create(GenId(0), owner, 0),
            fleet.create(GenId(1), owner, 0),
            fleet.create(GenId(1), owner, 0),
        ];
        let mut racks = Racks {
            air_kw: 60.0,
            ..Default::default()
        };
        assert_eq!(racks.install_stored(&mut fleet, &gens, owner), 3);
        assert_eq!(
            racks.uninstall_excess(&mut fleet, &gens, owner),
            0,
            "all fit"
        );
        // Half the capacity goes (a host failed): 60 kW in use, 35 kW left.
        racks.air_kw = 35.0;
        assert_eq!(racks.uninstall_excess(&mut fleet, &gens, owner), 2);
        assert_eq!(
            fleet.get(lots[0]).state(),
            LotState::Installed,
            "newest kept"
        );
        assert_eq!(fleet.get(lots[1]).state(), LotState::Stored);
        assert_eq!(fleet.get(lots[2]).state(), LotState::Stored);
        assert_eq!(
            fleet.owned_by(owner).len(),
            3,
            "stranded lots stay with their owner"
        );
        // Liquid racks take air-cooled overflow.
        racks.liquid_kw = 15.0;
        assert_eq!(racks.install_stored(&mut fleet, &gens, owner), 1);
        assert_eq!(racks.uninstall_excess(&mut fleet, &gens, owner), 0);
    }
}
