//! GPU generations and the fleet of lots.
//!
//! A lot is a fixed number of GPUs of one generation (one server, say). Lots are created
//! only by the vendor ([`Fleet::create`]) and destroyed only by scrapping
//! ([`Fleet::scrap`]); both are counted so conservation can be checked every tick.

use crate::agents::AgentId;
use crate::credit::LoanId;
use bevy_ecs::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Index of a generation in [`Generations`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GenId(pub u16);

/// What a generation is, and so what it earns (the world file's `hardware` field).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub enum Hardware {
    /// A GPU (the default): earns compute rent in the compute market's merit order; its
    /// generation needs `perf` and `kw_per_gpu`.
    #[default]
    Gpu,
    /// A bitcoin-mining rig: earns the hashprice on its hashrate whenever that beats its
    /// owner's power cost, and is switched off otherwise. Its power per rig is
    /// `th_per_unit × j_per_th` W, so its generation leaves `perf` and `kw_per_gpu` out.
    Asic {
        /// Hashrate of one rig, TH/s.
        th_per_unit: f64,
        /// Efficiency, J/TH (power per rig is `th_per_unit × j_per_th` W).
        j_per_th: f64,
    },
}

/// A hardware generation (exogenous technology): a GPU or an ASIC rig. Everything a lot
/// goes through (vendor, loans, marks, calls, auctions, racks) is the same for both;
/// only what a unit earns differs (see [`Hardware`]). A "GPU" in field names is one unit
/// of the generation: one rig for an ASIC generation.
#[derive(Debug, Clone)]
pub struct Generation {
    /// Name, e.g. `H100`.
    pub name: String,
    /// GPU or ASIC rig.
    pub hardware: Hardware,
    /// Tick from which the vendor sells it (negative when released before the start).
    pub release_tick: i32,
    /// Whether the release falls inside the run (and so is logged as an event).
    pub released_in_run: bool,
    /// Performance per GPU relative to H100 = 1.0 (0 for a rig: it offers no AI compute).
    pub perf: f64,
    /// Power per unit including server overhead, kW (for a rig, its TH/s × J/TH).
    pub kw_per_gpu: f64,
    /// Vendor list price per GPU at release, $.
    pub list_price: f64,
    /// Yearly decline of the vendor list price after release (fraction).
    pub list_price_decline: f64,
    /// Whether it needs liquid-cooled racks.
    pub liquid_cooled: bool,
    /// Accounting life for straight-line book value, years.
    pub useful_life_years: f64,
    /// Physical life: lots this old are scrapped, years.
    pub max_age_years: f64,
    /// Most lots the vendor can deliver per tick (None: unlimited).
    pub vendor_lots_per_tick: Option<u32>,
}

/// All generations of the world, in release order.
#[derive(Resource, Debug, Clone, Default)]
pub struct Generations {
    /// The generations; a [`GenId`] indexes this list.
    pub list: Vec<Generation>,
    /// GPUs in one lot.
    pub gpus_per_lot: u32,
}

impl Hardware {
    /// Whether it is a GPU (the default, left out of a written world).
    pub fn is_gpu(&self) -> bool {
        *self == Hardware::Gpu
    }
}

impl Generation {
    /// Hashrate of one unit, TH/s (0 for a GPU).
    pub fn th_per_unit(&self) -> f64 {
        match self.hardware {
            Hardware::Asic { th_per_unit, .. } => th_per_unit,
            Hardware::Gpu => 0.0,
        }
    }

    /// Whether it is an ASIC rig.
    pub fn is_asic(&self) -> bool {
        matches!(self.hardware, Hardware::Asic { .. })
    }
}

impl Generations {
    /// The generation with this id.
    pub fn get(&self, id: GenId) -> &Generation {
        &self.list[id.0 as usize]
    }

    /// Ids of all generations.
    pub fn ids(&self) -> impl Iterator<Item = GenId> + '_ {
        (0..self.list.len()).map(|i| GenId(i as u16))
    }

    /// Ids of generations released by `tick`.
    pub fn released(&self, tick: u32) -> impl Iterator<Item = GenId> + '_ {
        self.ids()
            .filter(move |g| self.get(*g).release_tick <= tick as i32)
    }

    /// The newest generation released by `tick`.
    pub fn newest(&self, tick: u32) -> Option<GenId> {
        self.released(tick).max_by(|a, b| {
            let (ga, gb) = (self.get(*a), self.get(*b));
            ga.release_tick.cmp(&gb.release_tick).then(a.cmp(b))
        })
    }

    /// Age of a generation (since release) at `tick`, in ticks.
    pub fn age_ticks(&self, id: GenId, tick: u32) -> u32 {
        (tick as i32 - self.get(id).release_tick).max(0) as u32
    }

    /// Power drawn by one lot, kW.
    pub fn lot_kw(&self, id: GenId) -> f64 {
        self.get(id).kw_per_gpu * f64::from(self.gpus_per_lot)
    }

    /// Vendor price of one lot at `tick`.
    pub fn vendor_lot_price(&self, id: GenId, tick: u32, years_per_tick: f64) -> f64 {
        let g = self.get(id);
        let years = f64::from((tick as i32 - g.release_tick).max(0)) * years_per_tick;
        g.list_price * (1.0 - g.list_price_decline).powf(years) * f64::from(self.gpus_per_lot)
    }

    /// Straight-line book value of one GPU of age `age_years` bought at list price.
    pub fn book_value_per_gpu(&self, id: GenId, age_years: f64) -> f64 {
        let g = self.get(id);
        g.list_price * (1.0 - age_years / g.useful_life_years).clamp(0.0, 1.0)
    }
}

/// Index of a lot in the [`Fleet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LotId(pub u32);

/// Where a lot physically is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LotState {
    /// In a rack, offering compute.
    Installed,
    /// In a warehouse (repossessed, or waiting for rack space).
    Stored,
    /// Scrapped at end of life.
    Scrapped,
}

/// One lot of GPUs.
#[derive(Debug, Clone)]
pub struct Lot {
    /// Its generation.
    pub generation: GenId,
    /// Tick it was built (sold new by the vendor); negative when before the start.
    pub built_tick: i32,
    /// Where it is.
    pub state: LotState,
    /// Whether it is offered in this tick's auction.
    pub listed: bool,
    /// The loan it was repossessed from, so sale proceeds count as that loan's recovery.
    pub recovered_from: Option<LoanId>,
    /// Tick it was repossessed, to measure how long inventory takes to clear.
    pub repossessed_tick: Option<u32>,
    /// The repossession it came from (an index into `Repossessions`), until sold.
    pub repossession: Option<u32>,
    owner: AgentId,
    pledged_to: Option<LoanId>,
}

impl Lot {
    /// Age in ticks at `tick`.
    pub fn age_ticks(&self, tick: u32) -> u32 {
        (tick as i32 - self.built_tick).max(0) as u32
    }

    /// Current owner.
    pub fn owner(&self) -> AgentId {
        self.owner
    }

    /// The loan it secures, if any.
    pub fn pledged_to(&self) -> Option<LoanId> {
        self.pledged_to
    }
}

/// Every lot ever built, with indexes by owner and by loan.
#[derive(Resource, Debug, Default)]
pub struct Fleet {
    lots: Vec<Lot>,
    by_owner: BTreeMap<AgentId, BTreeSet<LotId>>,
    by_loan: BTreeMap<LoanId, BTreeSet<LotId>>,
    /// Lots created by the vendor so far.
    pub created: u64,
    /// Lots scrapped so far.
    pub scrapped: u64,
}

impl Fleet {
    /// Builds a new lot for `owner` (the vendor's sale); it starts stored.
    pub fn create(&mut self, generation: GenId, owner: AgentId, built_tick: i32) -> LotId {
        let id = LotId(self.lots.len() as u32);
        self.lots.push(Lot {
            generation,
            built_tick,
            state: LotState::Stored,
            listed: false,
            recovered_from: None,
            repossessed_tick: None,
            repossession: None,
            owner,
            pledged_to: None,
        });
        self.by_owner.entry(owner).or_default().insert(id);
        self.created += 1;
        id
    }

    /// The lot with this id.
    pub fn get(&self, id: LotId) -> &Lot {
        &self.lots[id.0 as usize]
    }

    /// The lot with this id, mutably (owner and pledge change only through methods).
    pub fn get_mut(&mut self, id: LotId) -> &mut Lot {
        &mut self.lots[id.0 as usize]
    }

    /// The lots among `lots` of `generation` that can be offered: not already listed
    /// this tick and not scrapped.
    pub fn sellable(&self, lots: &[LotId], generation: GenId) -> Vec<LotId> {
        lots.iter()
            .copied()
            .filter(|&l| {
                let lot = self.get(l);
                lot.generation == generation && !lot.listed && lot.state != LotState::Scrapped
            })
            .collect()
    }

    /// Lots owned by `owner`, in id order.
    pub fn owned_by(&self, owner: AgentId) -> Vec<LotId> {
        self.by_owner
            .get(&owner)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Number of lots owned by `owner`.
    pub fn count_owned(&self, owner: AgentId) -> usize {
        self.by_owner.get(&owner).map_or(0, |s| s.len())
    }

    /// Lots pledged to `loan`, in id order.
    pub fn pledged_to(&self, loan: LoanId) -> Vec<LotId> {
        self.by_loan
            .get(&loan)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Hands a lot to a new owner (sale or repossession); it arrives stored and unlisted.
    pub fn transfer(&mut self, id: LotId, to: AgentId) {
        let from = self.lots[id.0 as usize].owner;
        if let Some(set) = self.by_owner.get_mut(&from) {
            set.remove(&id);
        }
        self.by_owner.entry(to).or_default().insert(id);
        let lot = &mut self.lots[id.0 as usize];
        lot.owner = to;
        lot.state = LotState::Stored;
        lot.listed = false;
    }

    /// Pledges a lot to a loan, or releases it with `None`.
    pub fn pledge(&mut self, id: LotId, loan: Option<LoanId>) {
        if let Some(old) = self.lots[id.0 as usize].pledged_to
            && let Some(set) = self.by_loan.get_mut(&old)
        {
            set.remove(&id);
        }
        if let Some(new) = loan {
            self.by_loan.entry(new).or_default().insert(id);
        }
        self.lots[id.0 as usize].pledged_to = loan;
    }

    /// Scraps a lot at end of life: it leaves its owner and any pledge.
    pub fn scrap(&mut self, id: LotId) {
        self.pledge(id, None);
        let owner = self.lots[id.0 as usize].owner;
        if let Some(set) = self.by_owner.get_mut(&owner) {
            set.remove(&id);
        }
        let lot = &mut self.lots[id.0 as usize];
        lot.state = LotState::Scrapped;
        lot.listed = false;
        self.scrapped += 1;
    }

    /// All lots ever built, scrapped ones included, with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (LotId, &Lot)> {
        self.lots
            .iter()
            .enumerate()
            .map(|(i, l)| (LotId(i as u32), l))
    }

    /// Lots not scrapped.
    pub fn alive(&self) -> usize {
        self.lots.len() - self.scrapped as usize
    }

    /// Checks that every live lot is in its owner's index once, and that created −
    /// scrapped equals the live count. Returns what is wrong, if anything.
    pub fn check_conservation(&self) -> Result<(), String> {
        let indexed: usize = self.by_owner.values().map(|s| s.len()).sum();
        let live = self
            .lots
            .iter()
            .filter(|l| l.state != LotState::Scrapped)
            .count();
        if self.created as usize != self.lots.len() {
            return Err(format!(
                "{} lots exist but the vendor built {}",
                self.lots.len(),
                self.created
            ));
        }
        if live != self.alive() || indexed != live {
            return Err(format!(
                "lots not conserved: built {} − scrapped {} = {}, live {live}, owned {indexed}",
                self.created,
                self.scrapped,
                self.alive()
            ));
        }
        for (owner, set) in &self.by_owner {
            if let Some(id) = set
                .iter()
                .find(|id| self.lots[id.0 as usize].owner != *owner)
            {
                return Err(format!("lot {} indexed under the wrong owner", id.0));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_keep_indexes_and_conservation() {
        let mut fleet = Fleet::default();
        let a = fleet.create(GenId(0), AgentId(1), 0);
        let b = fleet.create(GenId(0), AgentId(1), 0);
        fleet.pledge(a, Some(LoanId(7)));
        fleet.transfer(a, AgentId(2));
        assert_eq!(fleet.owned_by(AgentId(1)), vec![b]);
        assert_eq!(fleet.owned_by(AgentId(2)), vec![a]);
        assert_eq!(fleet.pledged_to(LoanId(7)), vec![a]);
        fleet.scrap(a);
        assert!(fleet.pledged_to(LoanId(7)).is_empty());
        assert_eq!(fleet.alive(), 1);
        assert!(fleet.check_conservation().is_ok());
    }
}
