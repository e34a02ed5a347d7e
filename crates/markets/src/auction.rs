//! The secondary market: one sealed-bid call auction per generation per tick.
//!
//! Sellers post one ask per lot with a reserve, or an offer of a number of their lots at
//! one reserve (the lots are picked only if they trade); buyers post bids (quantity and
//! limit). Asks are sorted cheapest first (ties: seller id, then lot id, an offer's lots
//! after its seller's single asks), bids dearest first (ties: buyer id, posting order).
//! The traded quantity is the largest `q` for which the `q`-th ask's reserve is at most
//! the `q`-th bid's limit, and every lot trades at one uniform price: the lowest accepted
//! bid. With more lots on offer than bids near value, that
//! marginal bid is deep in the buyers' ladders: the fire-sale discount comes out of
//! who is bidding, for how much, and how much rack space and cash they have.

use crate::book::{BookToClear, ClearedBook, Clearing, Entry, OFFER_RANK, traded_lots};
use firesale_core::pipeline::decide_then_apply;
use firesale_core::prelude::*;
use std::collections::VecDeque;

/// Why a seller offers a lot: the distinction Pulvino (1998) draws between distressed
/// and non-distressed sellers, kept on every ask and every trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SaleMotive {
    /// An owner selling because resale beats the lot's value in place, or to free racks.
    Voluntary,
    /// A borrower raising cash under a margin call, a cure deadline or arrears, or its
    /// trustee in bankruptcy.
    BorrowerDistress,
    /// A lender liquidating repossessed collateral.
    LenderLiquidation,
    /// A failed lender dumping its inventory.
    FailedLender,
}

impl SaleMotive {
    /// Whether the seller is forced (everything but a voluntary sale).
    pub fn is_distressed(self) -> bool {
        self != SaleMotive::Voluntary
    }

    /// Whether the seller is a lender selling repossessed collateral (live or failed).
    pub fn is_lender(self) -> bool {
        matches!(
            self,
            SaleMotive::LenderLiquidation | SaleMotive::FailedLender
        )
    }

    /// The name used in the event log.
    pub fn name(self) -> &'static str {
        match self {
            SaleMotive::Voluntary => "voluntary",
            SaleMotive::BorrowerDistress => "borrower_distress",
            SaleMotive::LenderLiquidation => "lender_liquidation",
            SaleMotive::FailedLender => "failed_lender",
        }
    }
}

/// A lot offered for sale.
#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    /// Seller.
    pub seller: AgentId,
    /// The lot.
    pub lot: LotId,
    /// Lowest acceptable price, $/GPU.
    pub reserve: f64,
    /// Why it is offered.
    pub motive: SaleMotive,
    /// Whether its lot was marked listed, and so is withdrawn after the auction if it
    /// does not sell (a lender's inventory is not marked: see
    /// [`SecondaryMarket::ask_inventory`]).
    pub marked: bool,
}

/// A seller's voluntary offer of `lots` of its lots of one generation at one reserve.
/// The lots are not marked listed: the ones that trade are picked when they trade, its
/// unlisted lots of the generation in id order, as if each had been asked for on its own.
/// A planet's small buyers offer thousands of lots a week that do not sell; marking and
/// unmarking each of them took about a twentieth of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// Seller.
    pub seller: AgentId,
    /// Lots offered.
    pub lots: u32,
    /// Lowest acceptable price, $/GPU.
    pub reserve: f64,
}

/// A bid for lots of one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Bid {
    /// Buyer.
    pub buyer: AgentId,
    /// Lots wanted.
    pub lots: u32,
    /// Highest price, $/GPU.
    pub limit: f64,
}

/// A lot that changed hands this tick.
#[derive(Debug, Clone, PartialEq)]
pub struct Sale {
    /// The lot.
    pub lot: LotId,
    /// Who sold it.
    pub seller: AgentId,
    /// Who bought it.
    pub buyer: AgentId,
    /// Price paid for the whole lot, $.
    pub price_per_lot: f64,
    /// Why the seller sold.
    pub motive: SaleMotive,
}

/// What market participants can observe about one generation's secondary market.
#[derive(Debug, Clone, Default)]
pub struct GenerationMarket {
    /// Last clearing price, $/GPU.
    pub last_price: Option<f64>,
    /// Tick of the last trade.
    pub last_trade_tick: Option<u32>,
    /// Recent trades: (tick, price $/GPU, lots), newest last.
    pub trades: VecDeque<(u32, f64, u32)>,
    /// Last tick's bids as (limit $/GPU, lots), dearest first (set with
    /// [`GenerationMarket::set_bid_book`], which keeps `book_prefix` with it).
    bid_book: Vec<(f64, u32)>,
    /// For each bid `i` of `bid_book`: `cum_i`, the lots bid at or above it, and the best
    /// of `cum_j × limit_j` over the bids `j <= i`, which is what a holding of more than
    /// `cum_i` lots could fetch selling into those bids alone, $/GPU summed over the lots
    /// (what [`GenerationMarket::proceeds_into_book`] looks up instead of walking the book).
    book_prefix: Vec<(u64, f64)>,
    /// Recent ticks in which only voluntary lots traded, newest last.
    pub voluntary_trades: VecDeque<VoluntaryTrade>,
    /// The non-distressed reference price of the last auction, $/GPU.
    pub reference_price: Option<f64>,
}

impl GenerationMarket {
    /// Trades kept for the liquidity statistics.
    const HISTORY: usize = 26;

    /// Ticks since the last trade, None if it never traded.
    pub fn weeks_since_trade(&self, tick: u32) -> Option<u32> {
        self.last_trade_tick.map(|t| tick.saturating_sub(t))
    }

    /// Yearly volatility of log price changes between recent trades (None under 3 trades).
    pub fn volatility(&self, years_per_tick: f64) -> Option<f64> {
        if self.trades.len() < 3 {
            return None;
        }
        let mut sum = 0.0;
        let mut sum_sq = 0.0;
        let mut years = 0.0;
        let n = (self.trades.len() - 1) as f64;
        for (before, after) in self.trades.iter().zip(self.trades.iter().skip(1)) {
            let r = (after.1 / before.1).ln();
            sum += r;
            sum_sq += r * r;
            years += f64::from(after.0 - before.0) * years_per_tick;
        }
        let variance = (sum_sq - sum * sum / n) / n;
        (years > 0.0).then(|| (variance.max(0.0) * n / years).sqrt())
    }

    /// Lots traded over the recent history, per tick of that history.
    pub fn recent_volume(&self, tick: u32, window: u32) -> f64 {
        let since = tick.saturating_sub(window);
        let lots: u32 = self
            .trades
            .iter()
            .filter(|(t, ..)| *t > since)
            .map(|(_, _, v)| v)
            .sum();
        f64::from(lots) / f64::from(window.max(1))
    }

    /// Last tick's bids as (limit $/GPU, lots), dearest first.
    pub fn bid_book(&self) -> &[(f64, u32)] {
        &self.bid_book
    }

    /// Sets last tick's bids, (limit $/GPU, lots) sorted dearest first. The book and its
    /// prefix are refilled in place: at planet scale each is half a megabyte a generation
    /// a tick.
    pub fn set_bid_book(&mut self, book: impl IntoIterator<Item = (f64, u32)>) {
        self.bid_book.clear();
        self.bid_book.extend(book);
        debug_assert!(
            self.bid_book.windows(2).all(|w| w[0].0 >= w[1].0),
            "a bid book is set dearest first"
        );
        let mut filled = 0u64;
        let mut best = 0.0f64;
        self.book_prefix.clear();
        self.book_prefix
            .extend(self.bid_book.iter().map(|&(limit, q)| {
                filled += u64::from(q);
                best = best.max(filled as f64 * limit);
                (filled, best)
            }));
    }

    /// Lots bid at or above `price` in last tick's book: the lots of the bids before the
    /// first one below it, looked up in the prefix (repo desks ask this of every position
    /// every week; summing the book each time took about 1% of a planet run).
    pub fn depth_at(&self, price: f64) -> u64 {
        // The book is dearest first, so the bids at or above `price` are a prefix of it.
        let at_or_above = self.bid_book.partition_point(|&(limit, _)| limit >= price);
        at_or_above
            .checked_sub(1)
            .map_or(0, |last| self.book_prefix[last].0)
    }

    /// What a holding of `lots` lots would fetch sold into last tick's standing bids in
    /// one uniform-price auction, $/GPU summed over the lots sold: the seller sells the
    /// number `k <= lots` that raises the most, `k` times the `k`-th best bid (every lot
    /// clears at the lowest accepted bid). A holding larger than the book's depth sells
    /// only what the book takes; the rest fetches nothing this week.
    ///
    /// Walking the book from the top, each bid `i` the holding reaches in full offers
    /// `cum_i × limit_i`; the first bid that covers the holding offers `lots × limit`. So
    /// the answer is the best of the prefix before that bid and that bid's offer, found
    /// by bisection in the prefix kept with the book (the same products and maxima as
    /// the walk, so the same bits).
    pub fn proceeds_into_book(&self, lots: u64) -> f64 {
        if lots == 0 {
            return 0.0;
        }
        let covering = self.book_prefix.partition_point(|&(cum, _)| cum < lots);
        let before = covering
            .checked_sub(1)
            .map_or(0.0, |i| self.book_prefix[i].1);
        match self.bid_book.get(covering) {
            Some(&(limit, _)) => before.max(lots as f64 * limit),
            None => before,
        }
    }

    /// What a holding of `lots` lots would fetch sold in equal parts over `ticks` weekly
    /// auctions, each into a book like the standing one (buyers bid again every week;
    /// the holding does not have to go in one), $/GPU summed over the lots sold.
    pub fn orderly_proceeds(&self, lots: u64, ticks: u32) -> f64 {
        if lots == 0 {
            // What the sum below gives for nothing to sell, without its lookups.
            return 0.0;
        }
        let ticks = u64::from(ticks.max(1));
        let (per_tick, rest) = (lots / ticks, lots % ticks);
        rest as f64 * self.proceeds_into_book(per_tick + 1)
            + (ticks - rest) as f64 * self.proceeds_into_book(per_tick)
    }

    /// The depth-aware mark of a holding of `lots` lots sold over `ticks` weekly auctions,
    /// $/GPU per lot: [`GenerationMarket::orderly_proceeds`] spread over the whole
    /// holding (the best bid for an empty holding; 0 with no bids).
    pub fn depth_mark(&self, lots: u64, ticks: u32) -> f64 {
        if lots == 0 {
            return self.bid_book.first().map_or(0.0, |(limit, _)| *limit);
        }
        self.orderly_proceeds(lots, ticks) / lots as f64
    }

    /// The limit of the bid that takes the `n`-th lot (counting from 1) sold into last
    /// tick's book, dearest bids first; None past the book's depth.
    pub fn bid_for_lot(&self, n: u64) -> Option<f64> {
        let i = self.book_prefix.partition_point(|&(cum, _)| cum < n);
        self.bid_book.get(i).map(|&(limit, _)| limit)
    }
}

/// The secondary market: this tick's order book and what is observable from past ticks.
#[derive(Resource, Debug, Default)]
pub struct SecondaryMarket {
    /// Asks per generation.
    pub asks: Vec<Vec<Ask>>,
    /// Voluntary offers per generation.
    pub offers: Vec<Vec<Offer>>,
    /// Each generation's sorted entries of the last auction, kept for their capacity.
    entries: Vec<Vec<Entry>>,
    /// Bids per generation.
    pub bids: Vec<Vec<Bid>>,
    /// Sales of this tick.
    pub sales: Vec<Sale>,
    /// Observables per generation.
    pub generations: Vec<GenerationMarket>,
    /// Weekly auctions over which a holding is marked (`measures.mark_weeks`, at least 1).
    pub mark_ticks: u32,
}

impl SecondaryMarket {
    /// An empty market for `n` generations.
    pub fn new(n: usize) -> Self {
        SecondaryMarket {
            asks: vec![Vec::new(); n],
            offers: vec![Vec::new(); n],
            entries: vec![Vec::new(); n],
            bids: vec![Vec::new(); n],
            sales: Vec::new(),
            generations: vec![GenerationMarket::default(); n],
            mark_ticks: 1,
        }
    }

    /// What a holding of `lots` lots of generation `g` would fetch sold over the marking
    /// horizon (`mark_ticks` weekly auctions into books like the standing one), $/GPU
    /// summed over the lots.
    pub fn holding_proceeds(&self, g: usize, lots: u64) -> f64 {
        self.generations[g].orderly_proceeds(lots, self.mark_ticks)
    }

    /// The depth-aware mark of a holding of `lots` lots of generation `g`, $/GPU per lot.
    pub fn depth_mark(&self, g: usize, lots: u64) -> f64 {
        self.generations[g].depth_mark(lots, self.mark_ticks)
    }

    /// Offers a lot (marks it listed; a lot already listed is not offered twice).
    pub fn list(
        &mut self,
        fleet: &mut Fleet,
        seller: AgentId,
        lot: LotId,
        reserve: f64,
        motive: SaleMotive,
    ) {
        let l = fleet.get(lot);
        if l.listed() || l.state() == LotState::Scrapped {
            return;
        }
        let generation = l.generation;
        self.push_ask(generation, seller, lot, reserve, motive, true);
        fleet.set_listed(lot, true);
    }

    /// Offers a lender's repossessed `lot` of `generation` without marking it listed.
    /// A lender offers all it holds every week; no one else offers its lots, and no step
    /// reads whether they are listed (owners read the listing of their own lots, to sell
    /// or install what is not offered). So marking each lot listed and withdrawing it
    /// after the auction served nothing, and in a planet it was two scattered writes to
    /// the fleet for each of about 34,000 lots a week. The caller offers each of its live
    /// lots at most once a week, as [`SecondaryMarket::list`] would.
    pub fn ask_inventory(
        &mut self,
        generation: GenId,
        seller: AgentId,
        lot: LotId,
        reserve: f64,
        motive: SaleMotive,
    ) {
        self.push_ask(generation, seller, lot, reserve, motive, false);
    }

    /// Adds a single ask to `generation`'s book (a negative reserve asks for any price).
    fn push_ask(
        &mut self,
        generation: GenId,
        seller: AgentId,
        lot: LotId,
        reserve: f64,
        motive: SaleMotive,
        marked: bool,
    ) {
        assert!(
            lot.0 < OFFER_RANK,
            "lot {} is past the ids an auction's sort keys can hold",
            lot.0
        );
        self.asks[generation.0 as usize].push(Ask {
            seller,
            lot,
            reserve: reserve.max(0.0),
            motive,
            marked,
        });
    }

    /// Offers `lots` of `seller`'s unlisted lots of `generation` for voluntary sale at
    /// `reserve` $/GPU (see [`Offer`]). The seller must hold that many unlisted lots of
    /// the generation, and no one may list or move them before the auction clears.
    pub fn offer(&mut self, generation: GenId, seller: AgentId, lots: u32, reserve: f64) {
        if lots == 0 {
            return;
        }
        self.offers[generation.0 as usize].push(Offer {
            seller,
            lots,
            reserve: reserve.max(0.0),
        });
    }

    /// Posts a bid (one for no lots or at no positive, finite limit is dropped).
    pub fn bid(&mut self, generation: GenId, bid: Bid) {
        self.bid_all(generation, [bid]);
    }

    /// Posts bids in order, as [`SecondaryMarket::bid`] would one by one.
    pub fn bid_all(&mut self, generation: GenId, bids: impl IntoIterator<Item = Bid>) {
        self.bids[generation.0 as usize].extend(
            bids.into_iter()
                .filter(|bid| bid.lots > 0 && bid.limit.is_finite() && bid.limit > 0.0),
        );
    }

    /// The best bid of last tick's book for `generation`, $/GPU.
    pub fn best_bid(&self, generation: GenId) -> Option<f64> {
        self.generations[generation.0 as usize]
            .bid_book
            .first()
            .map(|(limit, _)| *limit)
    }

    /// Last clearing price, stale or not.
    pub fn last_price(&self, generation: GenId) -> Option<f64> {
        self.generations[generation.0 as usize].last_price
    }
}

/// How the fire-sale discount is measured: the analyst's conventions, from the world.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct DiscountMeasure {
    /// Ticks back the reference may look for voluntary prices (at least 1).
    pub reference_window: u32,
    /// Fewest voluntary lots, newest first, that set the reference price.
    pub reference_min_lots: u32,
}

/// A voluntary-only auction kept for the reference price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoluntaryTrade {
    /// Its tick.
    pub tick: u32,
    /// Its clearing price, $/GPU.
    pub price: f64,
    /// Lots traded.
    pub lots: u32,
    /// The best standing bid of that auction, $/GPU.
    pub best_bid: f64,
}

/// The non-distressed reference of one generation this tick: the volume-weighted price
/// of its most recent voluntary-only auctions in the window, newest first until at
/// least `min_lots` lots, each carried to today by how far the best standing bid has
/// moved since (the buyers' valuations: rents, rates, a newer generation), so that
/// weeks of forced selling are measured against what a seller who could wait would get
/// today, not a stale price. Where none traded in the window, the price at which this
/// tick's book clears without the distressed asks.
pub fn reference_price(
    voluntary: &VecDeque<VoluntaryTrade>,
    min_lots: u32,
    best_bid: Option<f64>,
    counterfactual: Option<f64>,
) -> Option<f64> {
    let (mut lots, mut value) = (0u32, 0.0);
    for trade in voluntary.iter().rev() {
        let carried = match best_bid {
            Some(now) if trade.best_bid > 0.0 => trade.price * now / trade.best_bid,
            _ => trade.price,
        };
        lots += trade.lots;
        value += carried * f64::from(trade.lots);
        if lots >= min_lots {
            break;
        }
    }
    if lots > 0 {
        Some(value / f64::from(lots))
    } else {
        counterfactual
    }
}

/// Phase 9: clear every generation's auction; lots and cash change hands.
#[allow(clippy::too_many_arguments)]
pub fn clear_auctions(
    measure: Res<DiscountMeasure>,
    clock: Res<Clock>,
    gens: Res<Generations>,
    mut market: ResMut<SecondaryMarket>,
    mut fleet: ResMut<Fleet>,
    mut ledger: ResMut<Ledger>,
    mut metrics: ResMut<Metrics>,
    mut log: ResMut<EventLog>,
    directory: Res<Directory>,
) {
    market.sales.clear();
    let gpus = f64::from(gens.gpus_per_lot);
    let mut total_unsold = 0;
    // Each generation's book is sorted and cleared on its own, on all cores (a sort's
    // result does not depend on who sorts it, and clearing reads only the book), and its
    // trades are booked in generation order as soon as it is cleared
    // (`decide_then_apply`).
    let books: Vec<BookToClear> = (0..gens.list.len())
        .map(|g| BookToClear {
            asks: std::mem::take(&mut market.asks[g]),
            offers: std::mem::take(&mut market.offers[g]),
            bids: std::mem::take(&mut market.bids[g]),
            entries: std::mem::take(&mut market.entries[g]),
            observed: std::mem::take(&mut market.generations[g]),
            fundamental: metrics.generations[g].fundamental,
        })
        .collect();
    let mut next_generation = gens.ids();
    decide_then_apply(books, BookToClear::clear, |cleared_book| {
        let id = next_generation.next().expect("a book per generation");
        let g = id.0 as usize;
        let (traded, price) = cleared_book.clearing.cleared.unwrap_or((0, 0.0));
        let sold = traded_lots(&fleet, id, &cleared_book);
        let ClearedBook {
            mut asks,
            mut offers,
            mut bids,
            mut entries,
            observed,
            clearing,
        } = cleared_book;
        market.generations[g] = observed;
        let Clearing {
            depths,
            distressed,
            sold_by_lenders,
            counterfactual,
            ..
        } = clearing;
        let listed = asks.len() as u64 + offers.iter().map(|o| u64::from(o.lots)).sum::<u64>();
        let m = &mut metrics.generations[g];
        [m.bid_depth_10, m.bid_depth_25, m.bid_depth_50] = depths;
        m.listed = listed;
        // Allocate lots to bids in order.
        let mut bid_index = 0;
        let mut filled_from_bid = 0;
        let mut by_pair: Vec<(AgentId, AgentId, SaleMotive, u32)> = Vec::new();
        for (lot, seller, motive) in sold {
            while filled_from_bid >= bids[bid_index].lots {
                bid_index += 1;
                filled_from_bid = 0;
            }
            let buyer = bids[bid_index].buyer;
            filled_from_bid += 1;
            let paid = price * gpus;
            ledger.transfer(
                directory.account(buyer),
                directory.account(seller),
                paid,
                "secondary purchase",
            );
            fleet.transfer(lot, buyer);
            market.sales.push(Sale {
                lot,
                seller,
                buyer,
                price_per_lot: paid,
                motive,
            });
            match by_pair.last_mut() {
                Some((s, b, m, n)) if *s == seller && *b == buyer && *m == motive => *n += 1,
                _ => by_pair.push((seller, buyer, motive, 1)),
            }
        }
        // Single asks that did not trade are withdrawn (a lot that traded is no longer
        // listed: `Fleet::transfer` cleared it); offered lots and lenders' inventory were
        // never marked.
        for ask in asks.iter().filter(|ask| ask.marked) {
            fleet.set_listed(ask.lot, false);
        }
        for (seller, buyer, motive, lots) in by_pair {
            log.push(
                &clock,
                EventKind::Trade,
                vec![
                    directory.name(seller).to_string(),
                    directory.name(buyer).to_string(),
                ],
                price * gpus * f64::from(lots),
                lots,
                Some(gens.get(id).name.clone()),
                format!("${price:.0}/GPU {}", motive.name()),
            );
        }
        let unsold = listed - traded as u64;
        total_unsold += unsold;
        let observed = &mut market.generations[g];
        let best_bid = observed.bid_book.first().map(|(limit, _)| *limit);
        if traded > 0 {
            observed.last_price = Some(price);
            observed.last_trade_tick = Some(clock.tick);
            observed
                .trades
                .push_back((clock.tick, price, traded as u32));
            while observed.trades.len() > GenerationMarket::HISTORY {
                observed.trades.pop_front();
            }
            if distressed == 0 {
                observed.voluntary_trades.push_back(VoluntaryTrade {
                    tick: clock.tick,
                    price,
                    lots: traded as u32,
                    best_bid: best_bid.unwrap_or(price),
                });
            }
        }
        let since = clock.tick.saturating_sub(measure.reference_window);
        while observed
            .voluntary_trades
            .front()
            .is_some_and(|trade| trade.tick <= since)
        {
            observed.voluntary_trades.pop_front();
        }
        let reference = reference_price(
            &observed.voluntary_trades,
            measure.reference_min_lots,
            best_bid,
            counterfactual,
        );
        observed.reference_price = reference;
        let m = &mut metrics.generations[g];
        m.volume = traded as u64;
        m.unsold = unsold;
        m.secondary_price = (traded > 0).then_some(price);
        m.distressed_volume = distressed as u64;
        m.lender_sale_volume = sold_by_lenders as u64;
        m.distressed_price = (distressed > 0).then_some(price);
        m.voluntary_price = (traded > 0 && distressed == 0).then_some(price);
        m.counterfactual_price = counterfactual;
        m.reference_price = reference;
        m.distressed_discount = m
            .distressed_price
            .zip(reference)
            .filter(|(_, r)| *r > 0.0)
            .map(|(p, r)| 1.0 - p / r);
        m.last_trade_price = observed.last_price;
        m.weeks_since_trade = observed.weeks_since_trade(clock.tick);
        // Next tick's book starts from this one's capacity (no regrowing).
        asks.clear();
        offers.clear();
        bids.clear();
        entries.clear();
        market.asks[g] = asks;
        market.offers[g] = offers;
        market.bids[g] = bids;
        market.entries[g] = entries;
    });
    metrics.listed_unsold_lots = total_unsold;
    metrics.trades_cum += market.sales.len() as u64;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proceeds_looked_up_in_the_prefix_match_a_walk_of_the_book() {
        use rand::{RngExt, SeedableRng};
        // The walk the prefix replaces.
        let walk = |book: &[(f64, u32)], lots: u64| {
            let (mut best, mut filled) = (0.0f64, 0u64);
            for (limit, q) in book {
                if filled >= lots {
                    break;
                }
                filled = (filled + u64::from(*q)).min(lots);
                best = best.max(filled as f64 * limit);
            }
            best
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..200 {
            let mut book: Vec<(f64, u32)> = (0..rng.random_range(0..40))
                .map(|_| (rng.random_range(1.0..30_000.0), rng.random_range(1..5)))
                .collect();
            book.sort_by(|a, b| b.0.total_cmp(&a.0));
            let depth: u64 = book.iter().map(|(_, q)| u64::from(*q)).sum();
            let mut m = GenerationMarket::default();
            m.set_bid_book(book.clone());
            for lots in 0..depth + 3 {
                assert_eq!(
                    m.proceeds_into_book(lots).to_bits(),
                    walk(&book, lots).to_bits(),
                    "{lots} lots into {book:?}"
                );
            }
        }
    }

    #[test]
    fn depth_looked_up_in_the_prefix_matches_a_sum_over_the_book() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        for _ in 0..200 {
            // Few distinct limits, so that prices fall on bids as often as between them.
            let mut book: Vec<(f64, u32)> = (0..rng.random_range(0..40))
                .map(|_| {
                    (
                        f64::from(rng.random_range(1..20u32)) * 50.0,
                        rng.random_range(1..5),
                    )
                })
                .collect();
            book.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut m = GenerationMarket::default();
            m.set_bid_book(book.clone());
            for price in (0..22)
                .map(|k| f64::from(k) * 50.0)
                .chain([25.0, 1e9, -1.0])
            {
                let summed: u64 = book
                    .iter()
                    .filter(|(limit, _)| *limit >= price)
                    .map(|(_, q)| u64::from(*q))
                    .sum();
                assert_eq!(m.depth_at(price), summed, "at {price} in {book:?}");
            }
        }
        assert_eq!(
            GenerationMarket::default().depth_at(0.0),
            0,
            "an empty book"
        );
    }

    #[test]
    fn a_holding_is_marked_at_what_the_book_would_pay_for_all_of_it() {
        let mut m = GenerationMarket::default();
        m.set_bid_book(vec![(100.0, 2), (60.0, 3), (10.0, 10)]);
        assert_eq!(m.depth_mark(1, 1), 100.0, "one lot fetches the best bid");
        // 2 lots: 2 × 100; 5 lots: 5 × 60 = 300 beats 2 × 100.
        assert_eq!(m.proceeds_into_book(5), 300.0);
        assert_eq!(m.depth_mark(5, 1), 60.0);
        // 30 lots: selling 5 at 60 (300) beats selling 15 at 10 (150); 25 fetch nothing.
        assert_eq!(m.proceeds_into_book(30), 300.0);
        assert_eq!(m.depth_mark(30, 1), 10.0);
        // Over 3 weekly auctions: 10 lots a week, 300 each week.
        assert_eq!(m.orderly_proceeds(30, 3), 900.0);
        assert_eq!(m.depth_mark(30, 3), 30.0);
        // 7 lots over 3 weeks: 3 + 2 + 2 lots; 3 lots fetch no more than 2 (3 × 60 < 200).
        assert_eq!(m.orderly_proceeds(7, 3), 600.0);
        assert_eq!(GenerationMarket::default().depth_mark(4, 13), 0.0);
    }

    #[test]
    fn the_reference_is_the_latest_voluntary_price_carried_by_the_best_bid() {
        let trade = |tick, price, lots, best_bid| VoluntaryTrade {
            tick,
            price,
            lots,
            best_bid,
        };
        let window: VecDeque<VoluntaryTrade> = [
            trade(1, 80.0, 20, 90.0),
            trade(5, 100.0, 4, 110.0),
            trade(6, 96.0, 6, 100.0),
        ]
        .into_iter()
        .collect();
        // Newest first until 10 lots: ticks 6 and 5, each carried to today's best bid of 50.
        let expected = (96.0 * 0.5 * 6.0 + 100.0 * 50.0 / 110.0 * 4.0) / 10.0;
        let got = reference_price(&window, 10, Some(50.0), None).unwrap();
        assert!((got - expected).abs() < 1e-9, "{got} vs {expected}");
        // Without a bid today, the prices as they were.
        let plain = reference_price(&window, 10, None, None).unwrap();
        assert!((plain - (96.0 * 6.0 + 100.0 * 4.0) / 10.0).abs() < 1e-9);
        // No voluntary trade in the window: the counterfactual.
        assert_eq!(
            reference_price(&VecDeque::new(), 10, Some(50.0), Some(42.0)),
            Some(42.0)
        );
    }

    #[test]
    fn volatility_and_staleness_come_from_trades() {
        let mut m = GenerationMarket::default();
        assert_eq!(m.weeks_since_trade(10), None);
        for (t, p) in [(1, 100.0), (2, 120.0), (3, 90.0), (4, 110.0)] {
            m.trades.push_back((t, p, 1));
        }
        m.last_trade_tick = Some(4);
        assert_eq!(m.weeks_since_trade(10), Some(6));
        let vol = m.volatility(7.0 / 365.0).unwrap();
        assert!(
            vol > 1.0,
            "big weekly swings are a high yearly volatility: {vol}"
        );
    }
}
