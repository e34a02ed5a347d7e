//! Phase 8 and the auction's aftermath for lenders: repossession, failure, liquidation.

use crate::components::{Lender, RepoDesk};
use crate::funding::{BalanceSheet, balance_sheet, inventory_values};
use crate::marking::MarkContext;
use crate::rules::LiquidationView;
use firesale_core::prelude::*;
use firesale_core::{LoanStatus, Repossession, Repossessions};
use firesale_markets::{ComputeMarket, Exogenous, GenerationMarket, SaleMotive, SecondaryMarket};
use rayon::prelude::*;

/// Phase 8: take the collateral of defaulted loans, recognise the loss at market marks,
/// fail lenders that are insolvent at their own marks or cannot pay their funders.
#[allow(clippy::too_many_arguments)]
pub fn resolve_defaults(
    clock: Res<Clock>,
    gens: Res<Generations>,
    secondary_res: Res<SecondaryMarket>,
    compute: Res<ComputeMarket>,
    directory: Res<Directory>,
    ledger: Res<Ledger>,
    mut book: ResMut<LoanBook>,
    mut fleet: ResMut<Fleet>,
    mut log: ResMut<EventLog>,
    mut metrics: ResMut<Metrics>,
    mut repossessions: ResMut<Repossessions>,
    mut lenders: Query<(&Agent, &mut Lender)>,
    desks: Query<&RepoDesk>,
) {
    let ctx = MarkContext {
        clock: &clock,
        gens: &gens,
        secondary: &secondary_res,
        compute: &compute,
    };
    // Repossession: lots go to the club's lenders by share (largest remainder).
    for id in (0..book.len()).map(|i| LoanId(i as u32)) {
        let loan = book.get(id);
        if !matches!(loan.status, LoanStatus::Defaulted { .. }) {
            continue;
        }
        let lots = fleet.pledged_to(id);
        let lenders_of = loan.lenders.clone();
        let record = repossessions.list.len() as u32;
        let mut lots_by_generation = vec![0u32; gens.list.len()];
        for &lot in &lots {
            lots_by_generation[fleet.get(lot).generation.0 as usize] += 1;
        }
        repossessions.list.push(Repossession {
            tick: clock.tick,
            loan: id,
            lots_by_generation,
            sold: 0,
            proceeds: 0.0,
            fundamental_at_sale: 0.0,
            book_at_sale: 0.0,
            last_sale_tick: None,
        });
        let allocation = allocate(lots.len(), &lenders_of);
        let mut cursor = 0;
        let market_value = ctx.market_value(&fleet, &lots);
        for (&(lender, share), &n) in lenders_of.iter().zip(&allocation) {
            for &lot in &lots[cursor..cursor + n] {
                fleet.pledge(lot, None);
                fleet.transfer(lot, lender);
                fleet.set_recovered_from(lot, id);
                fleet.get_mut(lot).set_repossessed(clock.tick, record);
            }
            cursor += n;
            let loan = book.get(id);
            let loss = share * (loan.defaulted_principal - loan.recovered);
            if let Ok((_, mut l)) = lenders.get_mut(directory.entity(lender)) {
                l.losses.push_back((clock.tick, loss.max(0.0)));
                // A defaulted loan drops out of the borrowing base of the lender's own
                // funding: the funding that carried it must be repaid now, in cash.
                let funded_share = l.funding / (l.funding + l.equity.max(0.0)).max(1.0);
                l.pending_withdrawal += share * loan.defaulted_principal * funded_share;
            }
        }
        // The expected recovery from the lots offsets the recognised loss.
        let total: f64 = lenders_of.iter().map(|(_, s)| s).sum();
        for (lender, share) in &lenders_of {
            if let Ok((_, mut l)) = lenders.get_mut(directory.entity(*lender))
                && let Some(last) = l.losses.back_mut()
            {
                last.1 = (last.1 - market_value * share / total).max(0.0);
            }
        }
        metrics.repossessed_lots_cum += lots.len() as u64;
        let loan = book.get_mut(id);
        loan.status = LoanStatus::Resolved;
        let mut names: Vec<String> = lenders_of
            .iter()
            .map(|(l, _)| directory.name(*l).to_string())
            .collect();
        names.push(directory.name(loan.borrower).to_string());
        log.push(
            &clock,
            EventKind::Repossession,
            names,
            market_value,
            lots.len() as u32,
            None,
            format!("collateral of loan {}", id.0),
        );
    }
    let desk_list: Vec<&RepoDesk> = desks.iter().collect();
    // Each lender's balance sheet, and its inventory at its own marks, on all cores: they
    // read only the books, which the loop below does not change; applied in id order.
    let mut rows: Vec<(&Agent, &Lender)> = lenders.iter().collect();
    rows.sort_by_key(|(agent, _)| agent.id);
    let sheets: Vec<(BalanceSheet, f64)> = rows
        .par_iter()
        .map(|(agent, lender)| {
            let inventory =
                inventory_values(agent.id, &book, &fleet, &gens, &secondary_res, |lot| {
                    ctx.own_mark(&*lender.params.rules.mark, lot)
                });
            let sheet = balance_sheet(
                agent.id,
                agent.account,
                lender.funding,
                &ledger,
                &book,
                &desk_list,
                inventory.market,
            );
            let own_inventory = inventory.own;
            (sheet, own_inventory)
        })
        .collect();
    let mut equity_total = 0.0;
    let mut inventory = 0;
    for ((agent, mut lender), (sheet, own_inventory)) in lenders
        .iter_mut()
        .sort_by_key::<&Agent, _>(|agent| agent.id)
        .zip(sheets)
    {
        while lender
            .losses
            .front()
            .is_some_and(|(t, _)| t + 52 <= clock.tick)
        {
            lender.losses.pop_front();
        }
        lender.equity = sheet.equity();
        lender.exposure = sheet.loans;
        lender.capital_ratio = sheet.capital_ratio();
        equity_total += lender.equity;
        // Funders run on capital at market marks; a lender fails when it cannot pay
        // them, or when its equity is gone at its own marks (what its auditors accept).
        let own_equity = sheet.equity() - sheet.inventory + own_inventory;
        let illiquid = lender
            .pending_since
            .is_some_and(|t| clock.tick > t + lender.params.illiquidity_grace_ticks);
        if lender.failed.is_none() && (own_equity <= 0.0 || illiquid) {
            lender.failed = Some(clock.tick);
            metrics.lender_failures_cum += 1;
            log.push(
                &clock,
                EventKind::LenderFailure,
                vec![agent.name.clone()],
                if illiquid { lender.equity } else { own_equity },
                fleet.count_owned(agent.id) as u32,
                None,
                if illiquid {
                    "could not pay its funders".into()
                } else {
                    "equity gone at its own marks".into()
                },
            );
        }
        lender.capital_urgency = ((lender.params.target_capital_ratio
            - lender.capital_ratio.max(0.0))
            / lender.params.target_capital_ratio)
            .clamp(0.0, 1.0);
        inventory += fleet.count_owned(agent.id) as u64;
    }
    metrics.lender_equity = equity_total;
    metrics.inventory_lots = inventory;
}

/// How many lots of a holding must be sold into the standing book to raise `need`
/// dollars when `ahead` lots are already being sold into it at any price, and what they
/// raise (the count that raises the most when the book cannot raise that much). Every
/// lot clears at the lowest accepted bid, so `k` lots behind `ahead` fetch `k` times
/// the bid for lot `ahead + k`.
pub fn lots_to_raise(
    market: &GenerationMarket,
    ahead: u64,
    held: u64,
    need: f64,
    gpus: f64,
) -> (u64, f64) {
    let mut best = (0u64, 0.0f64);
    if need <= 0.0 {
        return best;
    }
    for k in 1..=held {
        let Some(bid) = market.bid_for_lot(ahead + k) else {
            break;
        };
        let proceeds = k as f64 * bid * gpus;
        if proceeds > best.1 {
            best = (k, proceeds);
        }
        if best.1 >= need {
            break;
        }
    }
    best
}

/// The yearly rate at which a lender funds holding a lot of generation `g`: the
/// cheapest repo desk that lends on it funds `1 - haircut` of the lot at its spread and
/// the lender's outside funding the rest; with no desk, all of it at its outside spread.
fn marginal_funding_rate(lender: &Lender, desks: &Query<&RepoDesk>, g: usize, rate: f64) -> f64 {
    let outside = lender.params.funding_spread;
    let blended = desks
        .iter()
        .filter_map(|d| {
            d.haircuts
                .get(g)
                .filter(|h| **h < 1.0)
                .map(|h| (*h, d.spread))
        })
        .map(|(haircut, spread)| (1.0 - haircut) * spread + haircut * outside)
        .min_by(f64::total_cmp);
    rate + blended.unwrap_or(outside)
}

/// Phase 8 (after repo): a lender decides, generation by generation, whether to sell
/// its repossessed lots now or hold them. It offers every lot at its hold value, so it
/// sells whatever bids beat holding; and when it owes cash it cannot pay (funders
/// withdrawing, a repo desk's margin), it offers at any price, oldest repossessions
/// first, the lots the standing book needs to raise that cash. A failed lender dumps
/// everything. There is no fixed pace: a lender with cheap, stable funding holds; one
/// facing a run with no repo dumps.
#[allow(clippy::too_many_arguments)]
pub fn list_inventory(
    clock: Res<Clock>,
    gens: Res<Generations>,
    compute: Res<ComputeMarket>,
    exo: Res<Exogenous>,
    ledger: Res<Ledger>,
    mut secondary: ResMut<SecondaryMarket>,
    fleet: Res<Fleet>,
    lenders: Query<(&Agent, &Lender)>,
    desks: Query<&RepoDesk>,
) {
    let gpus = f64::from(gens.gpus_per_lot);
    let years_per_tick = clock.years_per_tick();
    let mut rows: Vec<(&Agent, &Lender)> = lenders.iter().collect();
    rows.sort_by_key(|(agent, _)| agent.id);
    // Each lender's lots, oldest repossessions first, and split by generation in that
    // order, on all cores (reading the fleet only).
    let inventories: Vec<(Vec<LotId>, Vec<Vec<LotId>>)> = rows
        .par_iter()
        .map(|(agent, _)| {
            // Keyed once, not looked up in the fleet at every comparison. A stable
            // sort: it takes runs already in order in one pass, and an unstable sort
            // measured no faster here.
            let mut keyed: Vec<(Option<u32>, LotId)> = fleet
                .owned_by(agent.id)
                .into_iter()
                .map(|l| (fleet.get(l).repossessed_tick(), l))
                .collect();
            keyed.sort();
            let lots: Vec<LotId> = keyed.into_iter().map(|(_, l)| l).collect();
            let mut by_generation: Vec<Vec<LotId>> = vec![Vec::new(); gens.list.len()];
            for &lot in &lots {
                by_generation[fleet.get(lot).generation.0 as usize].push(lot);
            }
            (lots, by_generation)
        })
        .collect();
    // How many lots each sells at any price, lender by lender in id order: a forced
    // lender sizes its sale on the bids the ones before it have not taken (lots already
    // offered at any price this week, per generation).
    let mut ahead = vec![0u64; secondary.generations.len()];
    let mut offers: Vec<Offer> = Vec::new();
    for (i, ((agent, lender), (lots, by_generation))) in rows.iter().zip(&inventories).enumerate() {
        if lots.is_empty() {
            continue;
        }
        if lender.failed.is_some() {
            for &lot in lots {
                ahead[fleet.get(lot).generation.0 as usize] += 1;
            }
            offers.push(Offer::Dump { lender: i });
            continue;
        }
        let mut need = (lender.pending_withdrawal + lender.repo_shortfall
            - ledger.balance(agent.account).max(0.0))
        .max(0.0);
        for (g, held) in gens.ids().zip(by_generation) {
            if held.is_empty() {
                continue;
            }
            let gi = g.0 as usize;
            let (forced, raised) = lots_to_raise(
                &secondary.generations[gi],
                ahead[gi],
                held.len() as u64,
                need,
                gpus,
            );
            need -= raised;
            ahead[gi] += forced;
            offers.push(Offer::Priced {
                lender: i,
                generation: g,
                forced,
            });
        }
    }
    // Each lot's reserve, from its lender's liquidation rule, on all cores (a reserve
    // reads the lot, the standing book and the lender, not this week's asks).
    let reserves: Vec<Vec<f64>> = {
        let ctx = MarkContext {
            clock: &clock,
            gens: &gens,
            secondary: &secondary,
            compute: &compute,
        };
        offers
            .par_iter()
            .map(|offer| {
                let &Offer::Priced {
                    lender: i,
                    generation: g,
                    forced,
                } = offer
                else {
                    return Vec::new();
                };
                let lender = rows[i].1;
                let gi = g.0 as usize;
                let market = &secondary.generations[gi];
                let funding_rate = marginal_funding_rate(lender, &desks, gi, exo.rate);
                let rules = &lender.params.rules;
                inventories[i].1[gi]
                    .iter()
                    .enumerate()
                    .map(|(k, &lot)| {
                        let lot = fleet.get(lot);
                        let age = f64::from(lot.age_ticks(clock.tick)) * years_per_tick;
                        let view = LiquidationView {
                            mark: &ctx,
                            market,
                            // Per lot over units, as the reserve was always computed.
                            own_mark_per_unit: ctx.own_mark(&*rules.mark, lot) / gpus,
                            sale_horizon_years: f64::from(lender.params.sale_horizon_ticks)
                                * years_per_tick,
                            remaining_life_years: gens.get(g).max_age_years - age,
                            funding_rate,
                            forced: (k as u64) < forced,
                        };
                        rules.liquidation.reserve_per_unit(&view, lot)
                    })
                    .collect()
            })
            .collect()
    };
    let sellers: Vec<AgentId> = rows.iter().map(|(agent, _)| agent.id).collect();
    for (offer, reserves) in offers.iter().zip(reserves) {
        match *offer {
            Offer::Dump { lender: i } => {
                for &lot in &inventories[i].0 {
                    let generation = fleet.get(lot).generation;
                    secondary.ask_inventory(
                        generation,
                        sellers[i],
                        lot,
                        0.0,
                        SaleMotive::FailedLender,
                    );
                }
            }
            Offer::Priced {
                lender: i,
                generation: g,
                ..
            } => {
                for (&lot, reserve) in inventories[i].1[g.0 as usize].iter().zip(reserves) {
                    secondary.ask_inventory(
                        g,
                        sellers[i],
                        lot,
                        reserve,
                        SaleMotive::LenderLiquidation,
                    );
                }
            }
        }
    }
}

/// What a lender offers this week: all its lots at any price (a failed lender), or a
/// generation's lots at its liquidation rule's reserves, the first `forced` at any price.
enum Offer {
    /// Every lot of the `lender`-th lender, at any price.
    Dump { lender: usize },
    /// The `lender`-th lender's lots of `generation`.
    Priced {
        lender: usize,
        generation: GenId,
        forced: u64,
    },
}

/// After the auction: sale proceeds of repossessed lots are recoveries of their loan, up
/// to what it owed; a surplus goes to the borrower's estate, which pays its noteholders
/// and then its shareholders.
pub fn book_recoveries(
    clock: Res<Clock>,
    gens: Res<Generations>,
    secondary: Res<SecondaryMarket>,
    mut fleet: ResMut<Fleet>,
    mut book: ResMut<LoanBook>,
    mut metrics: ResMut<Metrics>,
    mut repossessions: ResMut<Repossessions>,
    mut ledger: ResMut<Ledger>,
    directory: Res<Directory>,
) {
    let gpus = f64::from(gens.gpus_per_lot);
    for sale in &secondary.sales {
        let recovered_from = fleet.take_recovered_from(sale.lot);
        let lot = fleet.get_mut(sale.lot);
        if let Some(index) = lot.take_repossession() {
            let g = lot.generation;
            let age = f64::from(lot.age_ticks(clock.tick)) * clock.years_per_tick();
            let record = &mut repossessions.list[index as usize];
            record.sold += 1;
            record.proceeds += sale.price_per_lot;
            record.fundamental_at_sale += metrics.generations[g.0 as usize].fundamental * gpus;
            record.book_at_sale += gens.book_value_per_gpu(g, age) * gpus;
            record.last_sale_tick = Some(clock.tick);
        }
        if let Some(id) = recovered_from {
            // Proceeds beyond what the loan owed belong to the borrower's estate.
            let loan = book.get_mut(id);
            let surplus = (loan.recovered + sale.price_per_lot - loan.defaulted_principal)
                .clamp(0.0, sale.price_per_lot);
            loan.recovered += sale.price_per_lot - surplus;
            ledger.transfer(
                directory.account(sale.seller),
                directory.account(loan.borrower),
                surplus,
                "surplus to the estate",
            );
        }
        if let Some(tick) = lot.take_repossessed_tick() {
            metrics.repossessed_sold_cum += 1;
            metrics.repossessed_ticks_to_sale_cum += u64::from(clock.tick - tick);
        }
    }
}

/// Splits `n` lots over shares by largest remainder (ties to the earlier lender).
pub fn allocate(n: usize, shares: &[(AgentId, f64)]) -> Vec<usize> {
    let total: f64 = shares.iter().map(|(_, s)| s).sum();
    let exact: Vec<f64> = shares
        .iter()
        .map(|(_, s)| n as f64 * s / total.max(1e-12))
        .collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut left = n - counts.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    for i in order {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn club_lots_split_by_largest_remainder() {
        let shares = [(AgentId(1), 0.5), (AgentId(2), 0.3), (AgentId(3), 0.2)];
        assert_eq!(allocate(7, &shares), vec![4, 2, 1]);
        assert_eq!(allocate(0, &shares), vec![0, 0, 0]);
        assert_eq!(allocate(10, &shares).iter().sum::<usize>(), 10);
    }

    #[test]
    fn a_lender_sells_only_the_lots_it_needs_to_raise_its_cash() {
        let mut market = GenerationMarket::default();
        market.set_bid_book(vec![(100.0, 2), (60.0, 3)]);
        // $/GPU × 1 GPU a lot: 2 lots raise 200; 5 lots raise 300.
        assert_eq!(
            lots_to_raise(&market, 0, 10, 0.0, 1.0),
            (0, 0.0),
            "no need, no forced sale"
        );
        assert_eq!(lots_to_raise(&market, 0, 10, 150.0, 1.0), (2, 200.0));
        assert_eq!(lots_to_raise(&market, 0, 10, 250.0, 1.0), (5, 300.0));
        // The book cannot raise 1,000: it sells what raises the most.
        assert_eq!(lots_to_raise(&market, 0, 10, 1_000.0, 1.0), (5, 300.0));
        assert_eq!(
            lots_to_raise(&market, 0, 1, 1_000.0, 1.0),
            (1, 100.0),
            "only what it holds"
        );
        // Two lots already sold ahead take the 100 bids: three lots raise 180.
        assert_eq!(lots_to_raise(&market, 2, 10, 150.0, 1.0), (3, 180.0));
        assert_eq!(
            lots_to_raise(&market, 5, 10, 150.0, 1.0),
            (0, 0.0),
            "nothing left in the book"
        );
    }
}
