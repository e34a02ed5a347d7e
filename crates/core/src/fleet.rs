//! GPU generations and the fleet of lots.
//!
//! A lot is a fixed number of GPUs of one generation (one server, say). Lots are created
//! only by the vendor ([`Fleet::create`]) and destroyed only by scrapping
//! ([`Fleet::scrap`]); both are counted so conservation can be checked every tick.

use crate::agents::AgentId;
use crate::credit::LoanId;
use bevy_ecs::prelude::*;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

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

    /// Whether the vendor sells `id` on `tick` at all (released, and a weekly supply that
    /// is not zero).
    pub fn deliverable(&self, id: GenId, tick: u32) -> bool {
        let g = self.get(id);
        g.release_tick <= tick as i32 && g.vendor_lots_per_tick != Some(0)
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

/// An optional tick, index or loan id in four bytes, `u32::MAX` standing for none. Four
/// optional fields of eight bytes each were most of a lot: packed, a lot takes 28 bytes
/// instead of 44 (planet's peak memory fell by about 30 MB; its time did not move beyond
/// the noise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MaybeU32(u32);

impl MaybeU32 {
    const NONE: MaybeU32 = MaybeU32(u32::MAX);

    fn of(value: Option<u32>) -> MaybeU32 {
        match value {
            Some(v) => {
                assert!(v != u32::MAX, "{v} is past what a lot can record");
                MaybeU32(v)
            }
            None => MaybeU32::NONE,
        }
    }

    fn get(self) -> Option<u32> {
        (self != MaybeU32::NONE).then_some(self.0)
    }

    fn take(&mut self) -> Option<u32> {
        std::mem::replace(self, MaybeU32::NONE).get()
    }
}

/// One lot of GPUs.
#[derive(Debug, Clone, PartialEq)]
pub struct Lot {
    /// Its generation.
    pub generation: GenId,
    /// Tick it was built (sold new by the vendor); negative when before the start.
    pub built_tick: i32,
    /// Tick it was repossessed, to measure how long inventory takes to clear.
    repossessed_tick: MaybeU32,
    /// The repossession it came from (an index into `Repossessions`), until sold.
    repossession: MaybeU32,
    state: LotState,
    listed: bool,
    /// The loan it was repossessed from, so sale proceeds count as that loan's recovery.
    recovered_from: MaybeU32,
    owner: AgentId,
    pledged_to: MaybeU32,
}

impl Lot {
    /// Tick it was repossessed, until it is sold.
    pub fn repossessed_tick(&self) -> Option<u32> {
        self.repossessed_tick.get()
    }

    /// The repossession it came from (an index into `Repossessions`), until it is sold.
    pub fn repossession(&self) -> Option<u32> {
        self.repossession.get()
    }

    /// Records that it was repossessed at `tick`, as the `record`-th repossession.
    pub fn set_repossessed(&mut self, tick: u32, record: u32) {
        self.repossessed_tick = MaybeU32::of(Some(tick));
        self.repossession = MaybeU32::of(Some(record));
    }

    /// The tick it was repossessed, clearing it (at its sale).
    pub fn take_repossessed_tick(&mut self) -> Option<u32> {
        self.repossessed_tick.take()
    }

    /// The repossession it came from, clearing it (at its sale).
    pub fn take_repossession(&mut self) -> Option<u32> {
        self.repossession.take()
    }

    /// Age in ticks at `tick`.
    pub fn age_ticks(&self, tick: u32) -> u32 {
        (tick as i32 - self.built_tick).max(0) as u32
    }

    /// Where it is (changed only through [`Fleet::set_state`], [`Fleet::transfer`] and
    /// [`Fleet::scrap`], which keep the fleet's counts).
    pub fn state(&self) -> LotState {
        self.state
    }

    /// Whether it is offered in this tick's auction (changed only through
    /// [`Fleet::set_listed`]).
    pub fn listed(&self) -> bool {
        self.listed
    }

    /// The loan it was repossessed from, until it is sold (changed only through
    /// [`Fleet::set_recovered_from`] and [`Fleet::take_recovered_from`]).
    pub fn recovered_from(&self) -> Option<LoanId> {
        self.recovered_from.get().map(LoanId)
    }

    /// Current owner.
    pub fn owner(&self) -> AgentId {
        self.owner
    }

    /// The loan it secures, if any.
    pub fn pledged_to(&self) -> Option<LoanId> {
        self.pledged_to.get().map(LoanId)
    }
}

/// What one agent holds of one generation, kept as its lots move.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HeldCounts {
    /// Live lots.
    pub lots: u32,
    /// Of which in racks.
    pub installed: u32,
    /// Of which offered in this tick's auction.
    pub listed: u32,
    /// Of which in storage and not offered: what could go into racks.
    pub stored_unlisted: u32,
}

impl HeldCounts {
    /// Lots it could still offer this tick.
    pub fn sellable(&self) -> u32 {
        self.lots - self.listed
    }
}

impl HeldCounts {
    /// One lot's part in its owner's counts.
    fn of(lot: &Lot) -> Self {
        HeldCounts {
            lots: 1,
            installed: u32::from(lot.state == LotState::Installed),
            listed: u32::from(lot.listed),
            stored_unlisted: u32::from(lot.state == LotState::Stored && !lot.listed),
        }
    }

    /// Adds a lot's part (`add`), or takes it away.
    fn apply(&mut self, part: HeldCounts, add: bool) {
        if add {
            self.lots += part.lots;
            self.installed += part.installed;
            self.listed += part.listed;
            self.stored_unlisted += part.stored_unlisted;
        } else {
            self.lots -= part.lots;
            self.installed -= part.installed;
            self.listed -= part.listed;
            self.stored_unlisted -= part.stored_unlisted;
        }
    }
}

/// What one agent holds: how many lots, its lots by generation and its stored lots by
/// generation (each in id order), and counts by generation, all kept as its lots move,
/// so that rack usage, installation, dispatch and sales never rescan a fleet.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Holding {
    /// Number of live lots.
    lots: usize,
    /// By generation id: its lots.
    by_generation: Vec<BTreeSet<LotId>>,
    /// By generation id: its lots in storage (listed or not).
    stored: Vec<BTreeSet<LotId>>,
    /// By generation id. Kept in the holding itself for the first generations (every
    /// shipped world but one has five): a buyer's rack usage is read from these for
    /// every buyer several times a tick, and a list of their own elsewhere on the heap
    /// cost a second fetch from memory each time.
    counts: smallvec::SmallVec<[HeldCounts; 6]>,
    /// Stored, unlisted lots of every generation: lots waiting for racks.
    stored_unlisted: u32,
}

impl Holding {
    /// Adds (or with `add` false, removes) a live lot in every index and count.
    fn apply(&mut self, id: LotId, lot: &Lot, add: bool) {
        let g = lot.generation.0 as usize;
        if self.counts.len() <= g {
            self.counts.resize(g + 1, HeldCounts::default());
            self.by_generation.resize_with(g + 1, BTreeSet::new);
            self.stored.resize_with(g + 1, BTreeSet::new);
        }
        let part = HeldCounts::of(lot);
        self.counts[g].apply(part, add);
        let is_stored = lot.state == LotState::Stored;
        if add {
            self.lots += 1;
            self.by_generation[g].insert(id);
            if is_stored {
                self.stored[g].insert(id);
            }
            self.stored_unlisted += part.stored_unlisted;
        } else {
            self.lots -= 1;
            self.by_generation[g].remove(&id);
            if is_stored {
                self.stored[g].remove(&id);
            }
            self.stored_unlisted -= part.stored_unlisted;
        }
    }

    /// A held lot of `generation` changed state, or was listed or withdrawn (its parts
    /// in the counts `before` and `after`): the same counts and stored lots as removing
    /// it and adding it back, without touching its place among the lots of its
    /// generation. The stored lots change only when its state does.
    fn recount(
        &mut self,
        id: LotId,
        generation: GenId,
        (old, before): (LotState, HeldCounts),
        (new, after): (LotState, HeldCounts),
    ) {
        let g = generation.0 as usize;
        self.counts[g].apply(before, false);
        self.counts[g].apply(after, true);
        self.stored_unlisted -= before.stored_unlisted;
        self.stored_unlisted += after.stored_unlisted;
        if old != new {
            if old == LotState::Stored {
                self.stored[g].remove(&id);
            }
            if new == LotState::Stored {
                self.stored[g].insert(id);
            }
        }
    }

    /// Its counts with trailing empty generations dropped (for comparisons).
    fn trimmed_counts(&self) -> &[HeldCounts] {
        trimmed(&self.counts)
    }
}

/// `counts` with trailing empty generations dropped (for comparisons).
fn trimmed(counts: &[HeldCounts]) -> &[HeldCounts] {
    let n = counts
        .iter()
        .rposition(|c| *c != HeldCounts::default())
        .map_or(0, |p| p + 1);
    &counts[..n]
}

/// Live lots of one generation, kept as they change.
#[derive(Debug, Default, Clone)]
struct GenerationTally {
    alive: u64,
    /// Of which installed.
    installed: u64,
    /// Live lots by build tick (a starting fleet may be built after tick 0, and a lot's
    /// age is never below zero, so ages are summed from these counts).
    by_built: BTreeMap<i32, u64>,
    /// Live lots by build tick, oldest first: what scrapping reaches first.
    by_age: BinaryHeap<Reverse<(i32, LotId)>>,
}

/// Every lot ever built, with indexes by owner and by loan and counts by owner and
/// generation, all kept as lots move: a world of a million lots reads an owner's rack
/// usage or a generation's mean age without scanning the fleet.
#[derive(Resource, Debug, Default)]
pub struct Fleet {
    lots: Vec<Lot>,
    /// By agent id.
    holdings: Vec<Holding>,
    /// By loan id: the lots pledged to it, sorted.
    by_loan: Vec<Vec<LotId>>,
    /// By generation id.
    tallies: Vec<GenerationTally>,
    /// By loan: how many live lots repossessed from it are not yet sold (loans with
    /// none are not kept), so the borrowers still waiting on sales are known without
    /// reading those lots.
    recovering_by_loan: BTreeMap<LoanId, u32>,
    /// By agent id, one bit each: whether it holds stored, unlisted lots. Twenty
    /// thousand owners fit in a few kilobytes, so the owners with nothing to install are
    /// passed over without reading their holdings.
    waiting: Vec<u64>,
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
            recovered_from: MaybeU32::NONE,
            repossessed_tick: MaybeU32::NONE,
            repossession: MaybeU32::NONE,
            owner,
            pledged_to: MaybeU32::NONE,
        });
        self.count(id, true);
        let tally = self.tally_mut(generation);
        *tally.by_built.entry(built_tick).or_default() += 1;
        tally.by_age.push(Reverse((built_tick, id)));
        self.created += 1;
        id
    }

    fn holding_mut(&mut self, owner: AgentId) -> &mut Holding {
        let i = owner.0 as usize;
        if self.holdings.len() <= i {
            self.holdings.resize_with(i + 1, Holding::default);
        }
        &mut self.holdings[i]
    }

    fn holding(&self, owner: AgentId) -> Option<&Holding> {
        self.holdings.get(owner.0 as usize)
    }

    fn tally_mut(&mut self, generation: GenId) -> &mut GenerationTally {
        let i = generation.0 as usize;
        if self.tallies.len() <= i {
            self.tallies.resize_with(i + 1, GenerationTally::default);
        }
        &mut self.tallies[i]
    }

    /// The lot with this id.
    pub fn get(&self, id: LotId) -> &Lot {
        &self.lots[id.0 as usize]
    }

    /// The lot with this id, mutably (owner, pledge and state change only through
    /// methods).
    pub fn get_mut(&mut self, id: LotId) -> &mut Lot {
        &mut self.lots[id.0 as usize]
    }

    /// Lots owned by `owner`, in id order, as a list.
    pub fn owned_by(&self, owner: AgentId) -> Vec<LotId> {
        let Some(h) = self.holding(owner) else {
            return Vec::new();
        };
        let mut lots: Vec<LotId> = Vec::with_capacity(h.lots);
        for set in &h.by_generation {
            lots.extend(set.iter().copied());
        }
        if h.by_generation.iter().filter(|s| !s.is_empty()).count() > 1 {
            lots.sort_unstable();
        }
        lots
    }

    /// Number of lots owned by `owner`.
    pub fn count_owned(&self, owner: AgentId) -> usize {
        self.holding(owner).map_or(0, |h| h.lots)
    }

    /// What `owner` holds of each generation, by generation id (shorter than the list
    /// of generations when it never held the newest ones).
    pub fn held(&self, owner: AgentId) -> &[HeldCounts] {
        self.holding(owner).map_or(&[], |h| h.counts.as_slice())
    }

    /// What `owner` holds of `generation`.
    pub fn held_of(&self, owner: AgentId, generation: GenId) -> HeldCounts {
        self.held(owner)
            .get(generation.0 as usize)
            .copied()
            .unwrap_or_default()
    }

    /// Adds (or with `add` false, removes) a live lot's part in its owner's and its
    /// generation's counts. Every change to a lot's owner, state or listing is made
    /// between a removal and an addition, so the counts always match the lots.
    fn count(&mut self, id: LotId, add: bool) {
        let i = id.0 as usize;
        if self.lots[i].state == LotState::Scrapped {
            return;
        }
        let (owner, generation) = (self.lots[i].owner, self.lots[i].generation);
        let installed = u64::from(self.lots[i].state == LotState::Installed);
        self.holding_mut(owner);
        self.holdings[owner.0 as usize].apply(id, &self.lots[i], add);
        self.note_waiting(owner);
        let tally = self.tally_mut(generation);
        if add {
            tally.alive += 1;
            tally.installed += installed;
        } else {
            tally.alive -= 1;
            tally.installed -= installed;
        }
    }

    /// `owner`'s lots of `generation`, in id order, read in place.
    pub fn owned_of(&self, owner: AgentId, generation: GenId) -> impl Iterator<Item = LotId> + '_ {
        self.holding(owner)
            .and_then(|h| h.by_generation.get(generation.0 as usize))
            .into_iter()
            .flat_map(|s| s.iter().copied())
    }

    /// `owner`'s lots of `generation` in storage (listed or not), in id order.
    pub fn stored_of(&self, owner: AgentId, generation: GenId) -> impl Iterator<Item = LotId> + '_ {
        self.holding(owner)
            .and_then(|h| h.stored.get(generation.0 as usize))
            .into_iter()
            .flat_map(|s| s.iter().copied())
    }

    /// Lots of `generation` not scrapped, and the sum of their ages at `tick` in ticks.
    pub fn alive_and_age_sum(&self, generation: GenId, tick: u32) -> (u64, u64) {
        self.tallies.get(generation.0 as usize).map_or((0, 0), |t| {
            let now = tick as i32;
            let ages = t
                .by_built
                .range(..now)
                .map(|(&built, &n)| n * (now - built) as u64)
                .sum();
            (t.alive, ages)
        })
    }

    /// Live lots of `generation` by the tick they were built, oldest first: when each
    /// cohort reaches the end of its life (the roadmap's forecast of supply reads it).
    pub fn alive_by_built(&self, generation: GenId) -> impl Iterator<Item = (i32, u64)> + '_ {
        self.tallies
            .get(generation.0 as usize)
            .into_iter()
            .flat_map(|t| t.by_built.iter().map(|(&built, &n)| (built, n)))
    }

    /// Lots of `generation` in racks, whoever owns them.
    pub fn installed_lots(&self, generation: GenId) -> u64 {
        self.tallies
            .get(generation.0 as usize)
            .map_or(0, |t| t.installed)
    }

    /// Lots pledged to `loan`, in id order, read in place.
    pub fn pledged(&self, loan: LoanId) -> &[LotId] {
        self.by_loan
            .get(loan.0 as usize)
            .map_or(&[], |v| v.as_slice())
    }

    /// Lots pledged to `loan`, in id order, as a list (for a caller that changes the
    /// fleet while going through them).
    pub fn pledged_to(&self, loan: LoanId) -> Vec<LotId> {
        self.pledged(loan).to_vec()
    }

    /// Moves a lot between racks and storage (scrapping is [`Fleet::scrap`]).
    pub fn set_state(&mut self, id: LotId, state: LotState) {
        assert!(
            state != LotState::Scrapped,
            "a lot is scrapped with Fleet::scrap"
        );
        let i = id.0 as usize;
        let old = self.lots[i].state;
        if old == state || old == LotState::Scrapped {
            return;
        }
        // The lot keeps its owner and generation, so it keeps its place among its
        // owner's lots: only its counts and its place among the stored lots change.
        // Installing is frequent enough at planet scale that taking it out of its
        // owner's lots and putting it back, as a transfer must, showed in profiles.
        let before = HeldCounts::of(&self.lots[i]);
        self.lots[i].state = state;
        let lot = &self.lots[i];
        let after = HeldCounts::of(lot);
        let (owner, generation) = (lot.owner, lot.generation);
        let holding = &mut self.holdings[owner.0 as usize];
        holding.recount(id, generation, (old, before), (state, after));
        self.note_waiting(owner);
        let tally = self.tally_mut(generation);
        tally.installed -= u64::from(before.installed);
        tally.installed += u64::from(after.installed);
    }

    /// Offers a lot in this tick's auction, or withdraws it.
    pub fn set_listed(&mut self, id: LotId, listed: bool) {
        let i = id.0 as usize;
        let lot = &self.lots[i];
        if lot.listed == listed {
            return;
        }
        let before = HeldCounts::of(lot);
        let (owner, generation, state) = (lot.owner, lot.generation, lot.state);
        self.lots[i].listed = listed;
        // Listing moves a live lot between its owner's listed and stored-unlisted
        // counts; its place in the indexes and the generation's tally stay as they are.
        if state != LotState::Scrapped {
            let after = HeldCounts::of(&self.lots[i]);
            let holding = &mut self.holdings[owner.0 as usize];
            holding.recount(id, generation, (state, before), (state, after));
            self.note_waiting(owner);
        }
    }

    /// Keeps `owner`'s bit in [`Fleet::has_waiting`] in step with its holding.
    fn note_waiting(&mut self, owner: AgentId) {
        let waiting = self.holdings[owner.0 as usize].stored_unlisted > 0;
        let (word, bit) = (owner.0 as usize / 64, owner.0 % 64);
        if self.waiting.len() <= word {
            self.waiting.resize(word + 1, 0);
        }
        if waiting {
            self.waiting[word] |= 1 << bit;
        } else {
            self.waiting[word] &= !(1 << bit);
        }
    }

    /// Whether `owner` holds stored lots not offered for sale (lots waiting for racks).
    pub fn has_waiting(&self, owner: AgentId) -> bool {
        self.waiting
            .get(owner.0 as usize / 64)
            .is_some_and(|word| word >> (owner.0 % 64) & 1 == 1)
    }

    /// Hands a lot to a new owner (sale or repossession); it arrives stored and unlisted.
    ///
    /// A scrapped lot is gone for good: handing it on would count it alive again, so a
    /// step that tries has a bug, and this panics rather than let the counts drift.
    pub fn transfer(&mut self, id: LotId, to: AgentId) {
        assert!(
            self.lots[id.0 as usize].state != LotState::Scrapped,
            "lot {} is scrapped and cannot change hands",
            id.0
        );
        self.count(id, false);
        let lot = &mut self.lots[id.0 as usize];
        lot.owner = to;
        lot.state = LotState::Stored;
        lot.listed = false;
        self.count(id, true);
    }

    /// Marks a repossessed lot as collateral of `loan`, so its sale counts as recovery.
    pub fn set_recovered_from(&mut self, id: LotId, loan: LoanId) {
        self.count_recovering(id, false);
        self.lots[id.0 as usize].recovered_from = MaybeU32::of(Some(loan.0));
        self.count_recovering(id, true);
    }

    /// The loan a sold lot was repossessed from, clearing it.
    pub fn take_recovered_from(&mut self, id: LotId) -> Option<LoanId> {
        self.count_recovering(id, false);
        self.lots[id.0 as usize].recovered_from.take().map(LoanId)
    }

    /// Adds (or with `add` false, removes) a live lot awaiting sale in its loan's count.
    fn count_recovering(&mut self, id: LotId, add: bool) {
        let lot = &self.lots[id.0 as usize];
        let (Some(loan), false) = (lot.recovered_from(), lot.state == LotState::Scrapped) else {
            return;
        };
        let n = self.recovering_by_loan.entry(loan).or_default();
        if add {
            *n += 1;
        } else {
            *n -= 1;
            if *n == 0 {
                self.recovering_by_loan.remove(&loan);
            }
        }
    }

    /// Loans with live repossessed lots not yet sold, in id order.
    pub fn recovering_loans(&self) -> impl Iterator<Item = LoanId> + '_ {
        self.recovering_by_loan.keys().copied()
    }

    /// Pledges a lot to a loan, or releases it with `None`.
    pub fn pledge(&mut self, id: LotId, loan: Option<LoanId>) {
        if let Some(old) = self.lots[id.0 as usize].pledged_to()
            && let Some(list) = self.by_loan.get_mut(old.0 as usize)
            && let Ok(at) = list.binary_search(&id)
        {
            list.remove(at);
        }
        if let Some(new) = loan {
            let i = new.0 as usize;
            if self.by_loan.len() <= i {
                self.by_loan.resize_with(i + 1, Vec::new);
            }
            let list = &mut self.by_loan[i];
            // Lots are mostly pledged in id order: appending is the common case.
            match list.last() {
                Some(&last) if last >= id => {
                    if let Err(at) = list.binary_search(&id) {
                        list.insert(at, id);
                    }
                }
                _ => list.push(id),
            }
        }
        self.lots[id.0 as usize].pledged_to = MaybeU32::of(loan.map(|l| l.0));
    }

    /// Scraps a lot at end of life: it leaves its owner and any pledge.
    pub fn scrap(&mut self, id: LotId) {
        self.pledge(id, None);
        let lot = &self.lots[id.0 as usize];
        let (state, generation, built) = (lot.state, lot.generation, lot.built_tick);
        if state == LotState::Scrapped {
            return;
        }
        self.count(id, false);
        self.count_recovering(id, false);
        let tally = self.tally_mut(generation);
        if let Some(n) = tally.by_built.get_mut(&built) {
            *n -= 1;
            if *n == 0 {
                tally.by_built.remove(&built);
            }
        }
        let lot = &mut self.lots[id.0 as usize];
        lot.state = LotState::Scrapped;
        lot.listed = false;
        self.scrapped += 1;
    }

    /// Live lots of `generation` built at or before `built_by`, in id order: those a
    /// physical-life rule scraps now. Reads only the lots it returns (and the heap's top).
    pub fn built_by(&mut self, generation: GenId, built_by: i32) -> Vec<LotId> {
        let Some(tally) = self.tallies.get_mut(generation.0 as usize) else {
            return Vec::new();
        };
        let mut due = Vec::new();
        while let Some(&Reverse((built, id))) = tally.by_age.peek() {
            if built > built_by {
                break;
            }
            tally.by_age.pop();
            if self.lots[id.0 as usize].state != LotState::Scrapped {
                due.push(id);
            }
        }
        due.sort();
        due
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

    /// The check run every tick, in time linear in agents and generations, not lots:
    /// the vendor's count is the list's, built − scrapped is what the owners hold and
    /// what the generations count, and each owner's counts by state add up to its lots.
    /// Every way a lot moves goes through a method that keeps these counts, so a lot
    /// lost or duplicated shows here; [`Fleet::check_conservation_full`] re-derives
    /// every count from the lots themselves.
    pub fn check_conservation(&self) -> Result<(), String> {
        if self.created as usize != self.lots.len() {
            return Err(format!(
                "{} lots exist but the vendor built {}",
                self.lots.len(),
                self.created
            ));
        }
        let held: usize = self.holdings.iter().map(|h| h.lots).sum();
        let counted: u64 = self.tallies.iter().map(|t| t.alive).sum();
        if held != self.alive() || counted != self.alive() as u64 {
            return Err(format!(
                "lots not conserved: built {} − scrapped {} = {}, owned {held}, counted by generation {counted}",
                self.created,
                self.scrapped,
                self.alive()
            ));
        }
        // Each holding on its own, on all cores (23,000 small vectors a tick in a planet,
        // each a miss in the cache); the first disagreeing one in id order is reported.
        if let Some((i, held, counted)) =
            self.holdings
                .par_iter()
                .enumerate()
                .find_map_first(|(i, h)| {
                    let counted: u32 = h.counts.iter().map(|c| c.lots).sum();
                    (counted as usize != h.lots).then_some((i, h.lots, counted))
                })
        {
            return Err(format!(
                "agent {i} holds {held} lots but its counts say {counted}"
            ));
        }
        Ok(())
    }

    /// The full check: every count of [`Fleet::check_conservation`] recomputed from the
    /// lots, and every index holding exactly its owner's live lots (of its generation;
    /// stored ones in the stored index): only such lots, as many as there are. Linear in
    /// every lot ever built; run it in tests and every few ticks.
    pub fn check_conservation_full(&self) -> Result<(), String> {
        self.check_conservation()?;
        // Every owner's counts, and how many lots each of its indexes should hold, from
        // the lots themselves: (counts, stored lots) by owner and generation.
        let mut derived: Vec<Vec<(HeldCounts, usize)>> = vec![Vec::new(); self.holdings.len()];
        let mut alive = vec![(0u64, 0u64); self.tallies.len()];
        let mut awaiting_sale: BTreeMap<LoanId, u32> = BTreeMap::new();
        for (id, lot) in self.iter() {
            if lot.state == LotState::Scrapped {
                continue;
            }
            if let Some(loan) = lot.recovered_from() {
                *awaiting_sale.entry(loan).or_default() += 1;
            }
            let Some(held) = derived.get_mut(lot.owner.0 as usize) else {
                return Err(format!(
                    "lot {} belongs to agent {} with no holding",
                    id.0, lot.owner.0
                ));
            };
            let g = lot.generation.0 as usize;
            if held.len() <= g {
                held.resize(g + 1, (HeldCounts::default(), 0));
            }
            let (counts, stored) = &mut held[g];
            counts.apply(HeldCounts::of(lot), true);
            *stored += usize::from(lot.state == LotState::Stored);
            let tally = &mut alive[g];
            tally.0 += 1;
            tally.1 += u64::from(lot.state == LotState::Installed);
        }
        // Each owner's indexes against its lots, on all cores; the first owner whose
        // indexes disagree, in id order, is reported.
        let owner_disagrees = |i: usize, kept: &Holding, derived: &[(HeldCounts, usize)]| {
            let counts: Vec<HeldCounts> = derived.iter().map(|(counts, _)| *counts).collect();
            let lots: usize = counts.iter().map(|c| c.lots as usize).sum();
            // An index that holds only this owner's live lots of its generation (stored
            // ones, for the stored index), and as many as there are, holds exactly them.
            let exact = |index: &[BTreeSet<LotId>], stored_only: bool| {
                (0..index.len().max(derived.len())).all(|g| {
                    let want = derived.get(g).map_or(0, |&(counts, stored)| {
                        if stored_only {
                            stored
                        } else {
                            counts.lots as usize
                        }
                    });
                    let Some(set) = index.get(g) else {
                        return want == 0;
                    };
                    set.len() == want
                        && set.iter().all(|&id| {
                            self.lots.get(id.0 as usize).is_some_and(|lot| {
                                lot.owner.0 as usize == i
                                    && lot.generation.0 as usize == g
                                    && if stored_only {
                                        lot.state == LotState::Stored
                                    } else {
                                        lot.state != LotState::Scrapped
                                    }
                            })
                        })
                })
            };
            let waiting: u32 = counts.iter().map(|c| c.stored_unlisted).sum();
            let disagrees = kept.lots != lots
                || kept.trimmed_counts() != trimmed(&counts)
                || kept.stored_unlisted != waiting
                || self.has_waiting(AgentId(i as u32)) != (waiting > 0)
                || !exact(&kept.by_generation, false)
                || !exact(&kept.stored, true);
            disagrees.then_some(lots)
        };
        if let Some((i, kept, lots)) = self
            .holdings
            .par_iter()
            .zip(&derived)
            .enumerate()
            .find_map_first(|(i, (kept, derived))| {
                owner_disagrees(i, kept, derived).map(|lots| (i, kept, lots))
            })
        {
            return Err(format!(
                "agent {i}'s index disagrees with its lots: {} indexed, {lots} owned",
                kept.lots
            ));
        }
        for (g, (t, &(n, installed))) in self.tallies.iter().zip(&alive).enumerate() {
            if t.alive != n || t.installed != installed {
                return Err(format!(
                    "generation {g} counts {} live and {} installed lots; {n} and {installed} exist",
                    t.alive, t.installed
                ));
            }
        }
        if awaiting_sale != self.recovering_by_loan {
            let loan = awaiting_sale
                .keys()
                .chain(self.recovering_by_loan.keys())
                .find(|l| awaiting_sale.get(l) != self.recovering_by_loan.get(l))
                .copied();
            return Err(format!(
                "loan {loan:?} has {:?} repossessed lots awaiting sale by its count; the lots say {:?}",
                loan.and_then(|l| self.recovering_by_loan.get(&l)),
                loan.and_then(|l| awaiting_sale.get(&l)),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lot_is_packed_and_its_optional_fields_read_back_as_set() {
        assert_eq!(std::mem::size_of::<Lot>(), 28, "a lot's fields packed");
        let mut fleet = Fleet::default();
        let id = fleet.create(GenId(0), AgentId(3), -4);
        let lot = fleet.get(id);
        assert_eq!(
            (lot.repossessed_tick(), lot.repossession(), lot.pledged_to()),
            (None, None, None)
        );
        fleet.pledge(id, Some(LoanId(0)));
        fleet.set_recovered_from(id, LoanId(u32::MAX - 1));
        fleet.get_mut(id).set_repossessed(0, 7);
        let lot = fleet.get(id);
        assert_eq!(lot.pledged_to(), Some(LoanId(0)), "id 0 is not none");
        assert_eq!(lot.recovered_from(), Some(LoanId(u32::MAX - 1)));
        assert_eq!(
            (lot.repossessed_tick(), lot.repossession()),
            (Some(0), Some(7))
        );
        let lot = fleet.get_mut(id);
        assert_eq!(
            (lot.take_repossessed_tick(), lot.take_repossession()),
            (Some(0), Some(7))
        );
        assert_eq!((lot.repossessed_tick(), lot.repossession()), (None, None));
        assert_eq!(fleet.take_recovered_from(id), Some(LoanId(u32::MAX - 1)));
        assert_eq!(fleet.get(id).recovered_from(), None);
        fleet.pledge(id, None);
        assert_eq!(fleet.get(id).pledged_to(), None);
    }

    #[test]
    #[should_panic(expected = "past what a lot can record")]
    fn a_value_a_lot_cannot_record_is_refused() {
        let mut fleet = Fleet::default();
        let id = fleet.create(GenId(0), AgentId(0), 0);
        fleet.get_mut(id).set_repossessed(u32::MAX, 0);
    }

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
        fleet.set_state(b, LotState::Installed);
        fleet.set_listed(b, true);
        let held = fleet.held_of(AgentId(1), GenId(0));
        assert_eq!((held.lots, held.installed, held.listed), (1, 1, 1));
        assert_eq!(held.sellable(), 0);
        assert_eq!(fleet.held_of(AgentId(2), GenId(0)).stored_unlisted, 1);
        fleet.scrap(a);
        assert!(fleet.pledged_to(LoanId(7)).is_empty());
        assert_eq!(fleet.alive(), 1);
        assert!(fleet.check_conservation_full().is_ok());
        assert_eq!(fleet.alive_and_age_sum(GenId(0), 10), (1, 10));
    }

    #[test]
    #[should_panic(expected = "lot 0 is scrapped and cannot change hands")]
    fn a_scrapped_lot_cannot_change_hands() {
        let mut fleet = Fleet::default();
        let a = fleet.create(GenId(0), AgentId(1), 0);
        fleet.scrap(a);
        fleet.transfer(a, AgentId(2));
    }

    #[test]
    fn moving_lots_between_racks_and_storage_keeps_every_index_whatever_came_before() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut fleet = Fleet::default();
        let lots: Vec<LotId> = (0..60)
            .map(|i| fleet.create(GenId(i % 3), AgentId(u32::from(i % 4)), 0))
            .collect();
        for step in 0..3_000 {
            let lot = lots[rng.random_range(0..lots.len())];
            if fleet.get(lot).state == LotState::Scrapped {
                // Scrapped lots are never sold again (transfer refuses them).
                continue;
            }
            match rng.random_range(0..6) {
                0 | 1 => fleet.set_state(lot, LotState::Installed),
                2 | 3 => fleet.set_state(lot, LotState::Stored),
                4 => fleet.set_listed(lot, !fleet.get(lot).listed()),
                _ => fleet.transfer(lot, AgentId(rng.random_range(0..4))),
            }
            if step % 500 == 499 {
                fleet.scrap(lot);
            }
            let checked = fleet.check_conservation_full();
            assert!(checked.is_ok(), "step {step}: {checked:?}");
        }
        let installed = |owner: u32| {
            (0..3)
                .map(|g| fleet.held_of(AgentId(owner), GenId(g)).installed)
                .sum::<u32>()
        };
        let counted: u32 = (0..4).map(installed).sum();
        let walked = lots
            .iter()
            .filter(|&&l| fleet.get(l).state == LotState::Installed)
            .count();
        assert_eq!(counted as usize, walked);
        assert!(
            walked > 0 && walked < 54,
            "the walk left {walked} installed"
        );
    }

    #[test]
    fn the_checks_name_the_first_owner_that_disagrees_whatever_the_threads() {
        // Owner i holds lot i, of generation i % 3.
        let fleet = || {
            let mut fleet = Fleet::default();
            for owner in 0..2_000 {
                fleet.create(GenId((owner % 3) as u16), AgentId(owner), 0);
            }
            fleet
        };
        // Two owners' totals off against their counts, by +1 and -1 so that the sum over
        // owners still adds up and the check reaches the owners themselves.
        let mut counts_off = fleet();
        counts_off.holdings[1_500].lots -= 1;
        counts_off.holdings[700].lots += 1;
        // Two lots of one generation swapped between owners behind their indexes: every
        // count still adds up, only the indexes are wrong.
        let mut moved = fleet();
        moved.lots[1_801].owner = AgentId(1_201);
        moved.lots[1_201].owner = AgentId(1_801);
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                assert!(fleet().check_conservation_full().is_ok());
                let err = counts_off.check_conservation().unwrap_err();
                assert!(
                    err.starts_with("agent 700 holds 2 lots"),
                    "{threads}: {err}"
                );
                assert!(moved.check_conservation().is_ok());
                let err = moved.check_conservation_full().unwrap_err();
                assert!(err.starts_with("agent 1201's index"), "{threads}: {err}");
            });
        }
    }

    #[test]
    fn the_full_check_catches_a_lot_moved_behind_the_indexes() {
        let mut fleet = Fleet::default();
        let a = fleet.create(GenId(0), AgentId(1), 0);
        fleet.create(GenId(0), AgentId(2), 0);
        assert!(fleet.check_conservation_full().is_ok());
        // An owner changed without Fleet::transfer: the totals still add up, so only the
        // full check, which rebuilds the indexes from the lots, sees it.
        fleet.lots[a.0 as usize].owner = AgentId(2);
        assert!(fleet.check_conservation().is_ok());
        assert!(fleet.check_conservation_full().is_err());
        fleet.lots[a.0 as usize].owner = AgentId(1);
        // A lot installed without Fleet::set_state.
        fleet.lots[a.0 as usize].state = LotState::Installed;
        assert!(fleet.check_conservation_full().is_err());
    }

    #[test]
    fn the_full_check_catches_an_index_holding_the_wrong_lots_in_the_right_number() {
        let mut fleet = Fleet::default();
        let a = fleet.create(GenId(0), AgentId(1), 0);
        let b = fleet.create(GenId(0), AgentId(1), 0);
        let c = fleet.create(GenId(0), AgentId(2), 0);
        fleet.set_state(b, LotState::Installed);
        assert!(fleet.check_conservation_full().is_ok());
        let clean = fleet.holdings.clone();
        // Agent 1's index lists agent 2's lot in place of its own: the sizes still match.
        let held = &mut fleet.holdings[1].by_generation[0];
        held.remove(&a);
        held.insert(c);
        assert!(fleet.check_conservation().is_ok());
        assert!(fleet.check_conservation_full().is_err());
        fleet.holdings = clean.clone();
        // Its stored index lists an installed lot in place of the stored one.
        let stored = &mut fleet.holdings[1].stored[0];
        stored.remove(&a);
        stored.insert(b);
        assert!(fleet.check_conservation_full().is_err());
        // One stored lot too many.
        fleet.holdings = clean;
        fleet.holdings[1].stored[0].insert(b);
        assert!(fleet.check_conservation_full().is_err());
        fleet.holdings[1].stored[0].remove(&b);
        assert!(fleet.check_conservation_full().is_ok());
        // Agent 1 waits with a stored lot; its bit cleared behind the fleet's back.
        assert!(fleet.has_waiting(AgentId(1)) && fleet.has_waiting(AgentId(2)));
        fleet.waiting[0] &= !(1 << 1);
        assert!(fleet.check_conservation_full().is_err());
    }

    #[test]
    fn loans_awaiting_sales_are_those_with_live_repossessed_lots_unsold() {
        let mut fleet = Fleet::default();
        let lots: Vec<LotId> = (0..4)
            .map(|_| fleet.create(GenId(0), AgentId(3), 0))
            .collect();
        let loans = |f: &Fleet| f.recovering_loans().collect::<Vec<_>>();
        fleet.set_recovered_from(lots[0], LoanId(9));
        fleet.set_recovered_from(lots[1], LoanId(9));
        fleet.set_recovered_from(lots[2], LoanId(4));
        assert_eq!(loans(&fleet), [LoanId(4), LoanId(9)]);
        // Marked again from another loan: counted once, under the new one.
        fleet.set_recovered_from(lots[2], LoanId(5));
        assert_eq!(loans(&fleet), [LoanId(5), LoanId(9)]);
        // Sold, and scrapped unsold: neither waits any more.
        assert_eq!(fleet.take_recovered_from(lots[2]), Some(LoanId(5)));
        fleet.scrap(lots[0]);
        assert_eq!(loans(&fleet), [LoanId(9)]);
        assert!(fleet.check_conservation_full().is_ok());
        fleet.scrap(lots[1]);
        assert!(loans(&fleet).is_empty());
        assert!(fleet.check_conservation_full().is_ok());
        // A count that drifted from the lots is caught.
        fleet.set_recovered_from(lots[3], LoanId(2));
        *fleet.recovering_by_loan.get_mut(&LoanId(2)).unwrap() += 1;
        assert!(fleet.check_conservation_full().is_err());
    }

    #[test]
    fn an_owner_waits_while_it_holds_stored_lots_not_offered() {
        let mut fleet = Fleet::default();
        let a = fleet.create(GenId(0), AgentId(70), 0);
        assert!(fleet.has_waiting(AgentId(70)), "a new lot arrives stored");
        fleet.set_listed(a, true);
        assert!(!fleet.has_waiting(AgentId(70)), "offered for sale");
        fleet.set_listed(a, false);
        fleet.set_state(a, LotState::Installed);
        assert!(!fleet.has_waiting(AgentId(70)), "installed");
        fleet.set_state(a, LotState::Stored);
        fleet.transfer(a, AgentId(3));
        assert!(!fleet.has_waiting(AgentId(70)) && fleet.has_waiting(AgentId(3)));
        fleet.scrap(a);
        assert!(!fleet.has_waiting(AgentId(3)));
        assert!(fleet.check_conservation_full().is_ok());
    }
}
