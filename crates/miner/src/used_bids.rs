//! Phase 9 for operators: the industry as its own natural buyer.
//!
//! Shleifer and Vishny (1992) and Pulvino (1998): the buyers who value a specialised
//! asset most are the firms of its own industry, and when the industry is pressed, so
//! are its best buyers, and assets sold in distress go to outsiders at a discount. Here
//! an operator in good standing bids for used lots it can rack and power, from its own
//! value of a lot in place, its cash beyond its buffer and its covenant headroom, by the
//! `operator.used_bids` rule of its class. An operator that could fill the same racks
//! from the vendor bids no more than its value less what those racks would earn filled
//! new (`firesale_markets::net_of_racks`), so it buys used only when used is cheaper
//! than the vendor. It pays cash: the lots it buys are unpledged, and are the first it
//! sells if it is pressed later.

use crate::components::Operator;
use crate::resale::value_in_place;
use firesale_core::prelude::*;
use firesale_core::{BorrowerBooks, NoteBook};
use firesale_markets::{Bid, ComputeMarket, Exogenous, SecondaryMarket};
use rayon::prelude::*;

/// What an operator's used-lot bidding rule sees of one generation.
pub struct UsedBidView<'a> {
    /// The operator.
    pub operator: &'a Operator,
    /// Its value of one lot of the generation in place, at its hurdle rate over the
    /// lot's remaining life, less what its racks would earn filled new, $.
    pub value_per_lot: f64,
    /// Lots of the generation its free racks hold.
    pub fit: u32,
    /// Lots it owns.
    pub owned_lots: usize,
}

/// One of the operator's loans as its used-lot bidding rule sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PledgedLoan {
    /// Principal owed, $.
    pub principal: f64,
    /// Its collateral at each generation's last secondary price, $.
    pub collateral_value: f64,
    /// The covenant's max LTV.
    pub covenant_ltv: f64,
}

impl PledgedLoan {
    /// The cash a margin call would ask for to bring the loan back to its covenant if
    /// its collateral fell by `fall` from the last prices, $ (0 while it would hold).
    pub fn call_after_fall(&self, fall: f64) -> f64 {
        (self.principal - self.covenant_ltv * self.collateral_value * (1.0 - fall)).max(0.0)
    }
}

/// What an operator's used-lot bidding rule sees of its balance sheet.
pub struct UsedBudgetView<'a> {
    /// The operator.
    pub operator: &'a Operator,
    /// Its cash beyond its buffer (`cash_buffer_weeks` of its outgoings), $.
    pub spare_cash: f64,
    /// Its live loans whose collateral has traded (the rest cannot be marked).
    pub loans: &'a [PledgedLoan],
    /// Its free cash flow a tick over the last quarter (operating cash flow less
    /// scheduled debt service), $: negative when it burns cash.
    pub free_cash_flow_per_tick: f64,
    /// Length of a tick, weeks.
    pub weeks_per_tick: f64,
}

/// `operator.used_bids`: whether and how an operator bids for used lots in the
/// secondary market.
pub trait UsedBidRule: Send + Sync {
    /// Cash it commits to used lots this week, $ (0: it does not bid).
    fn budget(&self, view: &UsedBudgetView) -> f64;
    /// Most lots of one generation it bids for in a week.
    fn max_lots(&self, view: &UsedBidView) -> u32;
    /// Its ladder for one generation: fills `out` (cleared first) with the limit per lot
    /// of each tranche, $, dearest first. The system splits `max_lots` (and no more
    /// lots than `fit` and the budget allow) evenly over the tranches.
    fn ladder(&self, view: &UsedBidView, out: &mut Vec<f64>);
}

/// Bids nothing: the operator buys only from the vendor (the model before operators
/// bid in the secondary market).
struct NoUsedBids;

impl UsedBidRule for NoUsedBids {
    fn budget(&self, _: &UsedBudgetView) -> f64 {
        0.0
    }
    fn max_lots(&self, _: &UsedBidView) -> u32 {
        0
    }
    fn ladder(&self, _: &UsedBidView, out: &mut Vec<f64>) {
        out.clear();
    }
}

/// Bids a ladder below its own value with a share of the spare cash it need not keep
/// for the margin calls a fall in prices would bring.
struct NaturalBuyer {
    cash_share: f64,
    price_fall: f64,
    runway_weeks: f64,
    top: f64,
    bottom: f64,
    tranches: u32,
    fleet_share_per_week: f64,
}

impl UsedBidRule for NaturalBuyer {
    fn budget(&self, v: &UsedBudgetView) -> f64 {
        let calls: f64 = v
            .loans
            .iter()
            .map(|l| l.call_after_fall(self.price_fall))
            .sum();
        let burn = (-v.free_cash_flow_per_tick).max(0.0) / v.weeks_per_tick.max(1e-9);
        (v.spare_cash - calls - burn * self.runway_weeks).max(0.0) * self.cash_share
    }
    fn max_lots(&self, v: &UsedBidView) -> u32 {
        ((v.owned_lots as f64 * self.fleet_share_per_week).round() as u32).max(1)
    }
    fn ladder(&self, v: &UsedBidView, out: &mut Vec<f64>) {
        out.clear();
        let n = self.tranches.max(1);
        out.extend((0..n).map(|i| {
            let t = if n == 1 {
                0.0
            } else {
                f64::from(i) / f64::from(n - 1)
            };
            v.value_per_lot * (self.top + (self.bottom - self.top) * t)
        }));
    }
}

/// `operator.used_bids` rules.
pub static USED_BID_RULES: firesale_core::rules::Family<dyn UsedBidRule> =
    firesale_core::rules::Family::new(|| {
        use firesale_core::rules::{ParamDoc, Registry, RuleInfo};
        std::sync::RwLock::new(Registry::new(
            "operator.used_bids",
            "whether and how an operator bids for used lots it can rack, from its own value, spare cash and covenant headroom",
            vec![
                RuleInfo {
                    name: "natural_buyer",
                    doc: "bids a ladder from top to bottom times its value in place (net of what its racks would earn filled new) with cash_share of the spare cash it need not keep for the margin calls a price_fall in its collateral would bring or for runway_weeks of the cash it burns",
                    params: vec![
                        ParamDoc {
                            name: "cash_share",
                            doc: "share of its cash beyond its buffer it commits to used lots in a week",
                            default: 0.5,
                        },
                        ParamDoc {
                            name: "price_fall",
                            doc: "fall in its collateral's last secondary prices whose margin calls (back to each loan's covenant LTV) it keeps cash for before it bids",
                            default: 0.2,
                        },
                        ParamDoc {
                            name: "runway_weeks",
                            doc: "weeks of its cash burn (negative free cash flow over the last quarter) it keeps back before it bids",
                            default: 52.0,
                        },
                        ParamDoc {
                            name: "top",
                            doc: "limit of its first tranche, share of its value of the lot",
                            default: 0.95,
                        },
                        ParamDoc {
                            name: "bottom",
                            doc: "limit of its last tranche, share of its value of the lot",
                            default: 0.7,
                        },
                        ParamDoc {
                            name: "tranches",
                            doc: "tranches of its ladder (whole number)",
                            default: 3.0,
                        },
                        ParamDoc {
                            name: "fleet_share_per_week",
                            doc: "most lots of one generation it bids for in a week, share of the lots it owns (at least one)",
                            default: 0.02,
                        },
                    ],
                    build: |p| {
                        let top = p.within("top", 0.0, 1.5)?;
                        let bottom = p.within("bottom", 0.0, 1.5)?;
                        if bottom > top {
                            return Err(format!("bottom ({bottom}) must not be above top ({top})"));
                        }
                        Ok(std::sync::Arc::new(NaturalBuyer {
                            cash_share: p.within("cash_share", 0.0, 1.0)?,
                            price_fall: p.within("price_fall", 0.0, 1.0)?,
                            runway_weeks: p.within("runway_weeks", 0.0, 520.0)?,
                            top,
                            bottom,
                            tranches: p.whole("tranches", 1, 10)?,
                            fleet_share_per_week: p.within("fleet_share_per_week", 0.0, 1.0)?,
                        }))
                    },
                },
                RuleInfo::without_params(
                    "none",
                    "bids for no used lot: the operator buys only from the vendor",
                    |_| Ok(std::sync::Arc::new(NoUsedBids)),
                ),
            ],
        ))
    });

/// An operator's live loans with their collateral at each generation's last secondary
/// price (see [`UsedBudgetView::loans`]). A loan whose collateral has never traded is
/// left out (nothing to mark it at).
fn pledged_loans(
    agent: &Agent,
    book: &LoanBook,
    fleet: &Fleet,
    gens: &Generations,
    secondary: &SecondaryMarket,
) -> Vec<PledgedLoan> {
    let gpus = f64::from(gens.gpus_per_lot);
    book.of_borrower(agent.id)
        .filter(|l| l.is_live())
        .filter_map(|loan| {
            let per_gpu: f64 = fleet
                .pledged(loan.id)
                .iter()
                .map(|&lot| secondary.last_price(fleet.get(lot).generation))
                .sum::<Option<f64>>()?;
            Some(PledgedLoan {
                principal: loan.principal,
                collateral_value: per_gpu * gpus,
                covenant_ltv: loan.covenants.max_ltv,
            })
        })
        .collect()
}

/// Whether the operator is pressed: bills unpaid, a loan in arrears or called, a note
/// in arrears, or lots in storage it has no racks for (a stranded tenant). A pressed
/// operator does not bid.
fn pressed(agent: &Agent, op: &Operator, book: &LoanBook, notes: &NoteBook, fleet: &Fleet) -> bool {
    !op.is_active()
        || op.unpaid_bills > 0.0
        || crate::debt_in_distress(agent.id, book, notes)
        || fleet.held(agent.id).iter().any(|h| h.stored_unlisted > 0)
}

/// What the bidding of one operator reads of the shared state.
struct Shared<'a> {
    clock: &'a Clock,
    gens: &'a Generations,
    exo: &'a Exogenous,
    market: &'a ComputeMarket,
    book: &'a LoanBook,
    notes: &'a NoteBook,
    fleet: &'a Fleet,
    secondary: &'a SecondaryMarket,
}

/// One operator's bids this week by generation: (generation, lots, limit $/GPU), best
/// value per kW first. Reads only itself, its own lots and loans, and shared state.
fn bids_of(
    s: &Shared,
    agent: &Agent,
    op: &Operator,
    racks: &Racks,
    power: &PowerContract,
    books: &BorrowerBooks,
    balance: f64,
) -> Vec<(GenId, u32, f64)> {
    let mut bids = Vec::new();
    let rule = &*op.params.rules.used_bids;
    let spare_cash = balance - op.weekly_outgoings * op.params.cash_buffer_weeks;
    if spare_cash <= 0.0 || pressed(agent, op, s.book, s.notes, s.fleet) {
        return bids;
    }
    let loans = pledged_loans(agent, s.book, s.fleet, s.gens, s.secondary);
    let (operating, debt_service) = books.trailing();
    let ticks = books.operating_cash_flow.len().max(1) as f64;
    let mut budget = rule.budget(&UsedBudgetView {
        operator: op,
        spare_cash,
        loans: &loans,
        free_cash_flow_per_tick: (operating - debt_service) / ticks,
        weeks_per_tick: f64::from(s.clock.tick_days) / 7.0,
    });
    if budget <= 0.0 {
        return bids;
    }
    let (gens, clock) = (s.gens, s.clock);
    let gpus = f64::from(gens.gpus_per_lot);
    let usd_per_kwh = power.per_kwh(s.exo.power_multiplier);
    let used = racks.used_kw(s.fleet, gens, agent.id);
    let owned_lots = s.fleet.count_owned(agent.id);
    // Its value of each released generation in place, best per kW first.
    let mut candidates: Vec<(f64, GenId, f64)> = gens
        .released(clock.tick)
        .filter(|&g| racks.free_kw_given(used, gens, g) >= gens.lot_kw(g))
        .map(|g| {
            let value = value_in_place(op, g, gens, s.market, clock, usd_per_kwh);
            (value / gens.lot_kw(g), g, value)
        })
        .filter(|(_, _, value)| *value > 0.0)
        .collect();
    // An operator can order the newest generation from the vendor at its next review,
    // so a used lot is worth to it no more than its value less the new lot's surplus
    // per kW for every kW the used lot takes: it buys used only when used is cheaper
    // than the vendor. (Unlike a buyer's, its new orders are paced by its expansion
    // rule, not its racks, so the alternative stands whatever room it has.)
    if let Some(newest) = gens.newest(clock.tick) {
        let economics = s
            .market
            .economics(gens, newest, usd_per_kwh, op.params.hurdle_rate, clock);
        let new_value = op.value_per_gpu(
            newest,
            &economics,
            gens.get(newest).useful_life_years,
            &s.market.roadmap,
        ) * gpus;
        let best = firesale_markets::best_new_surplus_per_kw(
            gens,
            clock.tick,
            clock.years_per_tick(),
            [(newest, new_value)],
            |_| true,
        );
        if let Some((shadow, _)) = best {
            for (per_kw, g, value) in candidates.iter_mut() {
                *value = firesale_markets::net_of_racks(gens, *g, *value, shadow);
                *per_kw = *value / gens.lot_kw(*g);
            }
            candidates.retain(|(_, _, value)| *value > 0.0);
        }
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    // Room promised to higher-value bids this week, kW (air, liquid).
    let mut promised = (0.0, 0.0);
    let mut ladder = Vec::new();
    for (_, g, value) in candidates {
        let liquid = gens.get(g).liquid_cooled;
        let lot_kw = gens.lot_kw(g);
        let free = racks.free_kw_given(used, gens, g)
            - if liquid {
                promised.1
            } else {
                promised.0 + promised.1
            };
        let fit = (free / lot_kw).max(0.0) as u32;
        if fit == 0 || budget <= 0.0 {
            continue;
        }
        let view = UsedBidView {
            operator: op,
            value_per_lot: value,
            fit,
            owned_lots,
        };
        let most = rule.max_lots(&view).min(fit);
        rule.ladder(&view, &mut ladder);
        let per_tranche = most.div_ceil(ladder.len().max(1) as u32);
        let mut bid_lots = 0;
        for &limit in &ladder {
            // A limit that is not a positive number (a rule's NaN) bids nothing.
            if limit.is_nan() || limit <= 0.0 {
                continue;
            }
            let affordable = (budget / limit).max(0.0) as u32;
            let lots = per_tranche.min(affordable).min(most - bid_lots);
            if lots == 0 {
                continue;
            }
            budget -= limit * f64::from(lots);
            bid_lots += lots;
            bids.push((g, lots, limit / gpus));
        }
        let kw = f64::from(bid_lots) * lot_kw;
        if liquid {
            promised.1 += kw;
        } else {
            promised.0 += kw;
        }
    }
    bids
}

/// Phase 9: operators in good standing bid for used lots they can rack, by their
/// `operator.used_bids` rule. Each operator's bids are decided on all cores (they read
/// only itself, its lots and loans, and shared state), then posted in id order. Every
/// bid is paid from cash the operator holds now, and nothing moves its cash before the
/// auction clears, so every lot it wins is paid for.
#[allow(clippy::too_many_arguments)]
pub fn post_operator_bids(
    clock: Res<Clock>,
    gens: Res<Generations>,
    exo: Res<Exogenous>,
    market: Res<ComputeMarket>,
    book: Res<LoanBook>,
    notes: Res<NoteBook>,
    fleet: Res<Fleet>,
    ledger: Res<Ledger>,
    mut secondary: ResMut<SecondaryMarket>,
    operators: Query<(&Agent, &Operator, &Racks, &PowerContract, &BorrowerBooks)>,
) {
    let mut rows: Vec<_> = operators.iter().collect();
    rows.sort_unstable_by_key(|(agent, ..)| agent.id);
    let shared = Shared {
        clock: &clock,
        gens: &gens,
        exo: &exo,
        market: &market,
        book: &book,
        notes: &notes,
        fleet: &fleet,
        secondary: &secondary,
    };
    let bids: Vec<Vec<(GenId, u32, f64)>> = rows
        .par_iter()
        .map(|(agent, op, racks, power, books)| {
            bids_of(
                &shared,
                agent,
                op,
                racks,
                power,
                books,
                ledger.balance(agent.account),
            )
        })
        .collect();
    for ((agent, ..), bids) in rows.iter().zip(bids) {
        for (g, lots, limit) in bids {
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

/// After the auction: count the used lots operators bought, and how many of them a
/// forced seller sold (`Metrics::operator_purchases_cum`).
pub fn count_operator_purchases(
    secondary: Res<SecondaryMarket>,
    directory: Res<Directory>,
    mut metrics: ResMut<Metrics>,
) {
    let by_operators = secondary.sales.iter().filter(|s| {
        matches!(
            directory.agent(s.buyer).kind,
            AgentKind::Miner | AgentKind::NeoCloud
        )
    });
    for sale in by_operators {
        metrics.operator_purchases_cum += 1;
        if sale.motive.is_distressed() {
            metrics.operator_distressed_purchases_cum += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An operator with the built-in rules; the rules under test do not read its
    /// parameters.
    fn operator() -> Operator {
        let rules = crate::operator_rules(
            None,
            None,
            None,
            None,
            None,
            firesale_core::MasterSeed(1),
            "op",
        )
        .unwrap();
        Operator::new(
            crate::OperatorParams {
                rules,
                rack_cost_per_kw: 1_000.0,
                rack_build_weeks: 26,
                term_share: 0.0,
                term_premium: 1.0,
                term_years: 1.0,
                tenant_hazard: 0.0,
                tenant_sensitivity: 0.0,
                btc_sell_share: 1.0,
                hurdle_rate: 0.15,
                cash_buffer_weeks: 8.0,
                repayment_buffer_weeks: 8.0,
                max_growth: 0.5,
                overhead_per_gpu_year: 0.0,
                resale: firesale_markets::ResaleParams {
                    margin: 0.1,
                    share_per_tick: 0.05,
                },
                bill_grace_ticks: 4,
                urgent_reserve: 0.5,
                calm_reserve: 0.8,
                expected_price_floor: 0.3,
                distress_valuation_years: 1.0,
                trustee_sale_ticks: 13,
            },
            firesale_core::RentExpectation::new(1, 0.2, 0.1),
        )
    }

    fn natural() -> std::sync::Arc<dyn UsedBidRule> {
        USED_BID_RULES
            .build(
                &firesale_core::rules::RuleChoice::named("natural_buyer"),
                firesale_core::MasterSeed(1),
                "op",
            )
            .unwrap()
    }

    #[test]
    fn the_natural_buyers_ladder_runs_from_top_to_bottom_of_its_value() {
        let rule = natural();
        let op = operator();
        let view = UsedBidView {
            operator: &op,
            value_per_lot: 100_000.0,
            fit: 10,
            owned_lots: 200,
        };
        let mut ladder = Vec::new();
        rule.ladder(&view, &mut ladder);
        assert_eq!(ladder.len(), 3);
        assert!((ladder[0] - 95_000.0).abs() < 1e-6);
        assert!((ladder[1] - 82_500.0).abs() < 1e-6);
        assert!((ladder[2] - 70_000.0).abs() < 1e-6);
        assert_eq!(rule.max_lots(&view), 4, "2% of 200 lots");
        let small = UsedBidView {
            owned_lots: 3,
            ..view
        };
        assert_eq!(rule.max_lots(&small), 1, "at least one");
    }

    #[test]
    fn a_natural_buyer_keeps_the_cash_a_fall_in_prices_would_call() {
        let rule = natural();
        let op = operator();
        let loan = |principal: f64| PledgedLoan {
            principal,
            collateral_value: 10e6,
            covenant_ltv: 0.8,
        };
        // 20% off 10M of collateral leaves 8M, of which the covenant allows 6.4M.
        assert_eq!(loan(6e6).call_after_fall(0.2), 0.0);
        assert!((loan(7e6).call_after_fall(0.2) - 0.6e6).abs() < 1e-6);
        let unlevered = UsedBudgetView {
            operator: &op,
            spare_cash: 1e6,
            loans: &[],
            free_cash_flow_per_tick: 0.0,
            weeks_per_tick: 1.0,
        };
        assert!((rule.budget(&unlevered) - 5e5).abs() < 1e-6);
        let levered = [loan(6e6), loan(7e6)];
        let near_covenant = UsedBudgetView {
            loans: &levered,
            ..unlevered
        };
        assert!((rule.budget(&near_covenant) - 2e5).abs() < 1e-6);
        let underwater = [loan(9e6)];
        let pressed = UsedBudgetView {
            loans: &underwater,
            ..unlevered
        };
        assert_eq!(rule.budget(&pressed), 0.0);
        let broke = UsedBudgetView {
            spare_cash: -1.0,
            loans: &[],
            ..unlevered
        };
        assert_eq!(rule.budget(&broke), 0.0);
        // Burning 10k a week, it keeps a year of it back: 480k of 1M to bid with, half.
        let burning = UsedBudgetView {
            free_cash_flow_per_tick: -10e3,
            ..unlevered
        };
        assert!((rule.budget(&burning) - 2.4e5).abs() < 1e-6);
        let earning = UsedBudgetView {
            free_cash_flow_per_tick: 10e3,
            ..unlevered
        };
        assert!(
            (rule.budget(&earning) - 5e5).abs() < 1e-6,
            "earning keeps no runway"
        );
    }

    #[test]
    fn a_ladder_upside_down_is_refused_with_both_values() {
        let mut params = firesale_core::rules::RuleParams::new();
        params.insert("top".into(), 0.5);
        params.insert("bottom".into(), 0.9);
        let choice = firesale_core::rules::RuleChoice {
            name: "natural_buyer".into(),
            params,
        };
        let err = USED_BID_RULES
            .build(&choice, firesale_core::MasterSeed(1), "op")
            .err()
            .unwrap();
        assert!(err.contains("0.9") && err.contains("0.5"), "{err}");
    }
}
