//! Phase 8: repo desks funding lenders' GPU inventory, with haircuts from observed liquidity.

use crate::components::{HaircutPolicy, Lender, RepoDesk, RepoPosition};
use crate::rules::HaircutView;
use firesale_core::prelude::*;
use firesale_markets::{ComputeMarket, Exogenous, GenerationMarket, SecondaryMarket};
use std::collections::BTreeMap;

/// Haircut an observing desk applies to one generation: 100% when the market has not
/// traded for `max_stale_weeks`, or when the inventory to finance dwarfs the bids near
/// the last price; otherwise a base plus volatility plus a liquidity term that grows
/// with staleness and position size.
pub fn observed_haircut(
    policy: &HaircutPolicy,
    market: &GenerationMarket,
    position_lots: u64,
    tick: u32,
    years_per_tick: f64,
) -> f64 {
    let (base, per_volatility, max_stale_weeks, max_position_to_depth) = match *policy {
        HaircutPolicy::Fixed(h) => return h,
        HaircutPolicy::Observed {
            base,
            per_volatility,
            max_stale_weeks,
            max_position_to_depth,
        } => (base, per_volatility, max_stale_weeks, max_position_to_depth),
    };
    let (Some(stale), Some(last)) = (market.weeks_since_trade(tick), market.last_price) else {
        return 1.0;
    };
    if stale > max_stale_weeks {
        return 1.0;
    }
    let depth = market.depth_at(0.5 * last);
    let ratio = if depth == 0 {
        if position_lots == 0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        position_lots as f64 / depth as f64
    };
    if ratio > max_position_to_depth {
        return 1.0;
    }
    let volatility = market.volatility(years_per_tick).unwrap_or(1.0);
    let liquidity =
        (f64::from(stale) / f64::from(max_stale_weeks.max(1))).max(ratio / max_position_to_depth);
    (base + per_volatility * volatility + (1.0 - base) * liquidity * liquidity).clamp(0.0, 1.0)
}

/// A desk's haircut by its rule, whatever the rule returns: within [0, 1], and 1 (no
/// lending) when it is not a number.
pub(crate) fn bounded_haircut(rule: &dyn crate::rules::RepoRule, view: &HaircutView) -> f64 {
    let h = rule.haircut(view);
    if h.is_nan() { 1.0 } else { h.clamp(0.0, 1.0) }
}

/// Phase 8: desks set haircuts; existing repo is re-margined (a borrower repays what its
/// inventory no longer supports); lenders short of liquidity borrow what desks will lend.
#[allow(clippy::too_many_arguments)]
pub fn fund_inventory(
    clock: Res<Clock>,
    gens: Res<Generations>,
    exo: Res<Exogenous>,
    secondary: Res<SecondaryMarket>,
    compute: Res<ComputeMarket>,
    fleet: Res<Fleet>,
    directory: Res<Directory>,
    mut ledger: ResMut<Ledger>,
    mut log: ResMut<EventLog>,
    mut metrics: ResMut<Metrics>,
    mut desks: Query<(&Agent, &mut RepoDesk)>,
    mut lenders: Query<(&Agent, &mut Lender)>,
) {
    let n = gens.list.len();
    let gpus = f64::from(gens.gpus_per_lot);
    // Inventory lots per lender and generation (unlisted lots are what repo finances).
    let mut inventory: Vec<(AgentId, Vec<u64>)> = Vec::new();
    for (agent, _) in lenders.iter().sort_by_key::<&Agent, _>(|agent| agent.id) {
        let per_gen = (0..n)
            .map(|g| u64::from(fleet.held_of(agent.id, GenId(g as u16)).lots))
            .collect();
        inventory.push((agent.id, per_gen));
    }
    let position: Vec<u64> = (0..n)
        .map(|g| inventory.iter().map(|(_, v)| v[g]).sum())
        .collect();
    for (_, mut lender) in lenders.iter_mut() {
        lender.repo_shortfall = 0.0;
    }
    let mut best_haircut: Vec<Option<f64>> = vec![None; n];
    let mut volume = 0.0;
    for (desk_agent, mut desk) in desks.iter_mut().sort_by_key::<&Agent, _>(|agent| agent.id) {
        let rule = desk.rule.clone();
        let view = |g: usize| HaircutView {
            market: &secondary.generations[g],
            model_value: compute.model_value[g],
            position_lots: position[g],
            tick: clock.tick,
            years_per_tick: clock.years_per_tick(),
        };
        let haircuts: Vec<f64> = (0..n).map(|g| bounded_haircut(&*rule, &view(g))).collect();
        for (g, h) in haircuts.iter().enumerate() {
            if gens.list[g].release_tick <= clock.tick as i32 {
                best_haircut[g] = Some(best_haircut[g].map_or(*h, |b: f64| b.min(*h)));
            }
        }
        // The desk values collateral by its rule (the last trade, or the model value).
        let mark = |g: usize| rule.mark_per_unit(&view(g));
        let rate = (exo.rate + desk.spread).max(0.0) * clock.years_per_tick();
        let mut positions = std::mem::take(&mut desk.positions);
        // Positions keyed by (borrower, generation), kept in the order they were opened
        // (the order volumes are summed in).
        let mut position_of: BTreeMap<(AgentId, GenId), usize> = positions
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.borrower, p.generation), i))
            .collect();
        for (borrower, per_gen) in &inventory {
            let Ok((agent, mut lender)) = lenders.get_mut(directory.entity(*borrower)) else {
                continue;
            };
            for g in 0..n {
                let existing = position_of.get(&(*borrower, GenId(g as u16))).copied();
                // A market desk re-margins on today's marks; a backstop lends on term and
                // asks for cash back only as the lots it funds are sold.
                let per_lot_now = (1.0 - haircuts[g]) * mark(g) * gpus;
                let per_lot = match existing {
                    Some(i) if rule.on_term() => per_lot_now.max(positions[i].per_lot),
                    _ => per_lot_now,
                };
                let allowed = per_lot * per_gen[g] as f64;
                let mut amount = existing.map_or(0.0, |i| positions[i].amount);
                if amount > 0.0 {
                    ledger.pay_up_to(
                        agent.account,
                        desk_agent.account,
                        amount * rate,
                        "repo interest",
                    );
                }
                if amount > allowed {
                    let repaid = ledger.pay_up_to(
                        agent.account,
                        desk_agent.account,
                        amount - allowed,
                        "repo margin",
                    );
                    amount -= repaid;
                    if amount > allowed + 0.01 {
                        lender.repo_shortfall += amount - allowed;
                    }
                }
                let needs_cash = lender.failed.is_none()
                    && lender.pending_withdrawal > ledger.balance(agent.account);
                if needs_cash && allowed > amount {
                    let lent = (allowed - amount).min(ledger.balance(desk_agent.account).max(0.0));
                    if lent > 0.0 {
                        ledger.transfer(desk_agent.account, agent.account, lent, "repo funding");
                        amount += lent;
                        metrics.repo_funded_cum += lent;
                        log.push(
                            &clock,
                            EventKind::RepoFunding,
                            vec![desk_agent.name.clone(), agent.name.clone()],
                            lent,
                            per_gen[g] as u32,
                            Some(gens.list[g].name.clone()),
                            format!("haircut {:.0}%", haircuts[g] * 100.0),
                        );
                    }
                }
                match existing {
                    Some(i) => {
                        positions[i].amount = amount;
                        positions[i].per_lot = per_lot;
                    }
                    None if amount > 0.0 => {
                        position_of.insert((*borrower, GenId(g as u16)), positions.len());
                        positions.push(RepoPosition {
                            borrower: *borrower,
                            generation: GenId(g as u16),
                            amount,
                            per_lot,
                        });
                    }
                    None => {}
                }
            }
        }
        positions.retain(|p| p.amount > 0.01);
        volume += positions.iter().map(|p| p.amount).sum::<f64>();
        desk.positions = positions;
        desk.haircuts = haircuts;
    }
    for (g, h) in best_haircut.into_iter().enumerate() {
        metrics.generations[g].repo_haircut = h;
    }
    metrics.repo_volume = volume;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed() -> HaircutPolicy {
        HaircutPolicy::Observed {
            base: 0.2,
            per_volatility: 0.2,
            max_stale_weeks: 8,
            max_position_to_depth: 3.0,
        }
    }

    fn traded_market(last_tick: u32) -> GenerationMarket {
        let mut m = GenerationMarket::default();
        for t in 0..=last_tick.min(5) {
            m.trades
                .push_back((last_tick - 5 + t, 20_000.0 + 100.0 * f64::from(t), 10));
        }
        m.last_price = Some(20_500.0);
        m.last_trade_tick = Some(last_tick);
        m.set_bid_book(vec![(19_000.0, 50), (15_000.0, 50)]);
        m
    }

    #[test]
    fn haircut_rises_to_one_as_the_market_goes_quiet() {
        let m = traded_market(10);
        let dt = 7.0 / 365.0;
        let fresh = observed_haircut(&observed(), &m, 20, 10, dt);
        let quiet = observed_haircut(&observed(), &m, 20, 16, dt);
        let dead = observed_haircut(&observed(), &m, 20, 19, dt);
        assert!(
            fresh < 0.5,
            "a deep, active market gets a moderate haircut: {fresh}"
        );
        assert!(
            quiet > fresh,
            "staleness raises the haircut: {quiet} vs {fresh}"
        );
        assert_eq!(
            dead, 1.0,
            "no trade for longer than the desk tolerates: no lending"
        );
        assert_eq!(
            observed_haircut(&observed(), &GenerationMarket::default(), 20, 19, dt),
            1.0
        );
    }

    #[test]
    fn a_position_that_dwarfs_the_bids_gets_no_funding() {
        let m = traded_market(10);
        assert_eq!(
            observed_haircut(&observed(), &m, 1_000, 10, 7.0 / 365.0),
            1.0
        );
        assert_eq!(
            observed_haircut(&HaircutPolicy::Fixed(0.3), &m, 1_000, 10, 7.0 / 365.0),
            0.3
        );
    }
}
