//! GPU ABS: a special-purpose vehicle owns a pool of lots that earn spot rent in the
//! compute market like anyone's, or a pool of operators' GPU loans that pay interest and
//! principal like anyone's, and pays what comes in through its [`Waterfall`] to the bond
//! investors holding its tranches. A loan of the pool that defaults is repossessed as
//! any loan is, and the SPV's servicer sells the collateral.
//!
//! Each week (phase 5) the SPV pays the pool's power, opex and servicing fee, then the
//! tranches' interest and scheduled amortisation, then the equity. While the pool's
//! appraisal over the debt (over-collateralisation) or the cash over the debt service
//! (coverage) is below its trigger, everything after interest pays the senior down.
//! If the senior interest goes unpaid for `accelerate_after` ticks, or the deal reaches
//! its final maturity, the servicer sells the pool in the secondary auction (phase 9);
//! the proceeds pay the tranches in order, and once the pool is gone what is left unpaid
//! is written off from the bottom of the stack.
//!
//! The appraisal is what an ABS trustee uses: each lot at its generation's
//! non-distressed reference price (issue 10), else its last trade, else the compute
//! market's fundamental value.

use crate::market::CapitalMetrics;
use crate::waterfall::{Breach, Period, Waterfall};
use firesale_core::prelude::*;
use firesale_markets::{ComputeMarket, Dispatch, Exogenous, SaleMotive, SecondaryMarket};

/// What an SPV owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Lots it runs for spot rent, sold at final maturity or acceleration.
    Lots,
    /// GPU loans it made (it is their only lender); it sells the collateral of a loan in
    /// default as it repossesses it.
    Loans,
}

/// A GPU ABS's special-purpose vehicle.
#[derive(Component, Debug, Clone)]
pub struct Spv {
    /// The deal's name.
    pub deal: String,
    /// What it owns.
    pub pool: Pool,
    /// Its cash after last week's payments, $ (this week's collections are what came in
    /// since).
    pub last_cash: f64,
    /// Its capital stack.
    pub waterfall: Waterfall,
    /// Holders of each debt tranche (most senior first) and, last, of the equity, with
    /// their shares.
    pub holders: Vec<Vec<(AgentId, f64)>>,
    /// Servicer's fee, share of the rent collected.
    pub servicing_share: f64,
    /// Cash kept in reserve while the deal runs, $.
    pub reserve: f64,
    /// Legal final maturity: the pool is sold from this tick.
    pub final_tick: u32,
    /// Ticks of unpaid senior interest before the deal is accelerated.
    pub accelerate_after: u32,
    /// Reserve of the first `liquidation_ticks` of a sale, as a share of the reference
    /// price; after that the pool sells at any bid.
    pub liquidation_reserve: f64,
    /// Ticks the servicer holds out for `liquidation_reserve`.
    pub liquidation_ticks: u32,
    /// Tick the pool went up for sale, if it has.
    pub liquidating_since: Option<u32>,
    /// First tick of the current senior interest shortfall.
    pub senior_short_since: Option<u32>,
    /// The trigger breached at the last payment date.
    pub breach: Option<Breach>,
    /// Whether the pool is sold and the losses written off.
    pub wound_up: bool,
    /// The pool's appraisal at the last payment date, $.
    pub pool_value: f64,
    /// Cash paid to the equity so far, $ (its return of capital at the wind-up).
    pub paid_to_equity: f64,
}

/// The pool's appraisal, $ (see the module's note).
fn appraise(
    fleet: &Fleet,
    owner: AgentId,
    gens: &Generations,
    secondary: &SecondaryMarket,
    market: &ComputeMarket,
) -> f64 {
    let gpus = f64::from(gens.gpus_per_lot);
    fleet
        .owned_by(owner)
        .iter()
        .map(|&lot| {
            let g = fleet.get(lot).generation;
            let m = &secondary.generations[g.0 as usize];
            m.reference_price
                .or(m.last_price)
                .unwrap_or(market.fundamental[g.0 as usize])
                * gpus
        })
        .sum()
}

/// The principal of the SPV's loans still performing (or called), $.
fn performing_loans(book: &LoanBook, spv: AgentId) -> f64 {
    book.of_lender(spv)
        .filter(|l| l.is_live() && l.lenders.first().is_some_and(|(id, _)| *id == spv))
        .map(|l| l.principal)
        .sum()
}

/// Interest the SPV's live loans owe this tick, $.
fn pool_interest(book: &LoanBook, spv: AgentId, rate: f64, years_per_tick: f64) -> f64 {
    book.of_lender(spv)
        .filter(|l| l.is_live() && l.lenders.first().is_some_and(|(id, _)| *id == spv))
        .map(|l| l.interest(rate, years_per_tick))
        .sum()
}

/// Whether some loan of the SPV is in default and not yet repossessed.
fn defaults_pending(book: &LoanBook, spv: AgentId) -> bool {
    book.of_lender(spv).any(|l| {
        matches!(l.status, firesale_core::LoanStatus::Defaulted { .. })
            && l.lenders.first().is_some_and(|(id, _)| *id == spv)
    })
}

/// A `waterfall_trigger` event of the SPV.
fn trigger(
    log: &mut EventLog,
    clock: &Clock,
    spv: &Agent,
    amount: f64,
    lots: usize,
    detail: String,
) {
    log.push(
        clock,
        EventKind::WaterfallTrigger,
        vec![spv.name.clone()],
        amount,
        lots as u32,
        None,
        detail,
    );
}

/// Phase 5: run each deal's week through its waterfall.
#[allow(clippy::too_many_arguments)]
pub fn pay_waterfalls(
    clock: Res<Clock>,
    gens: Res<Generations>,
    exo: Res<Exogenous>,
    fleet: Res<Fleet>,
    secondary: Res<SecondaryMarket>,
    market: Res<ComputeMarket>,
    book: Res<LoanBook>,
    directory: Res<Directory>,
    mut ledger: ResMut<Ledger>,
    mut capital: ResMut<CapitalMetrics>,
    mut log: ResMut<EventLog>,
    mut spvs: Query<(&Agent, &mut Spv, &Dispatch, &PowerContract)>,
) {
    let mut deals = Vec::new();
    for (agent, mut spv, dispatch, power) in
        spvs.iter_mut().sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        if spv.wound_up {
            // Cash that still comes in (a borrower's estate paying a shortfall) goes to
            // the tranches in order of seniority, writing back their losses.
            let late = ledger.balance(agent.account);
            if late > 0.01 {
                let mut left = late;
                let holders = spv.holders.clone();
                for (i, t) in spv.waterfall.debt.iter_mut().enumerate() {
                    let pay = left.min(t.written_down);
                    ledger.pay_shares(
                        &directory,
                        agent.account,
                        &holders[i],
                        pay,
                        "ABS late recovery",
                    );
                    t.written_down -= pay;
                    left -= pay;
                }
                if let Some(equity) = holders.last() {
                    ledger.pay_shares(&directory, agent.account, equity, left, "ABS late recovery");
                }
                let e = &mut spv.waterfall.equity;
                e.written_down -= left.min(e.written_down);
                spv.paid_to_equity += left;
            }
            deals.push(spv.clone());
            continue;
        }
        let usd_per_kwh = power.per_kwh(exo.power_multiplier);
        let (mut power_bill, mut opex) = (0.0, 0.0);
        for (g, hours) in dispatch.gpu_hours.iter().enumerate() {
            let generation = &gens.list[g];
            power_bill += hours * generation.kw_per_gpu * usd_per_kwh;
            opex += hours * market.unit_opex(generation);
        }
        let cash = ledger.balance(agent.account).max(0.0);
        let servicing = spv.servicing_share * (cash - spv.last_cash).max(0.0);
        // The loan book does not change in this step: read the performing principal once.
        let performing = match spv.pool {
            Pool::Lots => 0.0,
            Pool::Loans => performing_loans(&book, agent.id),
        };
        let pool_value = appraise(&fleet, agent.id, &gens, &secondary, &market) + performing;
        spv.pool_value = pool_value;
        let liquidating = spv.liquidating_since.is_some();
        // The reserve stays in the SPV while the deal runs, unless the week's costs and
        // interest need it; in a sale everything goes down the waterfall.
        let interest_due: f64 = spv
            .waterfall
            .debt
            .iter()
            .map(|t| t.principal * t.coupon + t.interest_shortfall)
            .sum();
        let collections = if liquidating {
            cash
        } else {
            cash.min((cash - spv.reserve).max(power_bill + opex + servicing + interest_due))
        };
        let scheduled = spv.waterfall.amortisation;
        if liquidating {
            // A sale: no schedule, every dollar after interest pays principal.
            spv.waterfall.amortisation = f64::INFINITY;
        } else if spv.pool == Pool::Loans {
            // What the borrowers repaid, and what defaulted loans recovered, is principal
            // and repays the debt (senior first) before the equity sees it: the inflow
            // beyond the interest the pool's loans owed this week.
            let inflow = (cash - spv.last_cash).max(0.0);
            let interest_owed = pool_interest(&book, agent.id, exo.rate, clock.years_per_tick());
            spv.waterfall.amortisation = scheduled.max(inflow - interest_owed);
        }
        let debt_before = spv.waterfall.debt_principal();
        let paid = spv.waterfall.pay(Period {
            collections,
            opex: power_bill + opex + servicing,
            pool_value,
        });
        spv.waterfall.amortisation = scheduled;
        let share_power = if power_bill + opex + servicing > 0.0 {
            paid.opex / (power_bill + opex + servicing)
        } else {
            0.0
        };
        let account = agent.account;
        ledger.transfer(
            account,
            External::Utilities.account(),
            power_bill * share_power,
            "SPV power",
        );
        ledger.transfer(
            account,
            External::Suppliers.account(),
            (opex + servicing) * share_power,
            "SPV opex and servicing",
        );
        let holders = spv.holders.clone();
        for (i, tranche_holders) in holders.iter().take(paid.interest.len()).enumerate() {
            ledger.pay_shares(
                &directory,
                account,
                tranche_holders,
                paid.interest[i] + paid.principal[i],
                "ABS tranche payment",
            );
        }
        if let Some(equity) = holders.last() {
            ledger.pay_shares(&directory, account, equity, paid.equity, "ABS equity");
        }
        spv.paid_to_equity += paid.equity;
        let debt = debt_before;
        let changed = paid.breach != spv.breach;
        if changed && !liquidating {
            let detail = match paid.breach {
                Some(Breach::Overcollateralisation) => format!(
                    "over-collateralisation breached: pool ${:.0} over debt ${:.0} is {:.3}, below {:.2}; cash goes to the senior",
                    pool_value,
                    debt,
                    pool_value / debt.max(1.0),
                    spv.waterfall.triggers.min_oc
                ),
                Some(Breach::Coverage) => format!(
                    "coverage breached: cash after opex below {:.2} times the debt service; cash goes to the senior",
                    spv.waterfall.triggers.min_dscr
                ),
                None => "triggers cured: cash flows to the junior tranches again".to_string(),
            };
            trigger(
                &mut log,
                &clock,
                agent,
                pool_value,
                fleet.count_owned(agent.id),
                detail,
            );
        }
        spv.breach = paid.breach;
        if spv.waterfall.debt[0].interest_shortfall > 0.01 {
            spv.senior_short_since.get_or_insert(clock.tick);
        } else {
            spv.senior_short_since = None;
        }
        let sold_out = fleet.count_owned(agent.id) == 0
            && (spv.pool == Pool::Lots
                || (performing <= 0.0 && !defaults_pending(&book, agent.id)));
        if !liquidating {
            let accelerated = spv
                .senior_short_since
                .is_some_and(|t| clock.tick >= t + spv.accelerate_after);
            if accelerated || clock.tick >= spv.final_tick {
                spv.liquidating_since = Some(clock.tick);
                let detail = match (accelerated, spv.pool) {
                    (true, Pool::Lots) => "accelerated: senior interest unpaid; the pool is sold",
                    (true, Pool::Loans) => {
                        "accelerated: senior interest unpaid; every dollar after interest pays the senior"
                    }
                    (false, Pool::Lots) => "final maturity: the pool is sold",
                    (false, Pool::Loans) => {
                        "final maturity: what the loans return pays the tranches in order"
                    }
                };
                trigger(
                    &mut log,
                    &clock,
                    agent,
                    pool_value,
                    fleet.count_owned(agent.id),
                    detail.to_string(),
                );
            }
        } else if sold_out {
            // Sold out: the week's proceeds went down the waterfall; what the debt
            // tranches still claim is lost, and the equity lost what it was not paid back.
            let left = ledger.balance(account).max(0.0);
            if let Some(equity) = holders.last() {
                ledger.pay_shares(&directory, account, equity, left, "ABS equity");
            }
            spv.paid_to_equity += left;
            let paid_back = spv.paid_to_equity;
            let e = &mut spv.waterfall.equity;
            e.principal = (e.original - paid_back).max(0.0);
            let lost = spv.waterfall.write_down(0.0);
            spv.wound_up = true;
            let detail = format!(
                "wound up: ${lost:.0} written off (senior {:.1}%, mezzanine {:.1}%, equity {:.1}% of principal)",
                spv.waterfall.debt[0].loss_share() * 100.0,
                spv.waterfall.debt.get(1).map_or(0.0, |t| t.loss_share()) * 100.0,
                spv.waterfall.equity.loss_share() * 100.0,
            );
            trigger(&mut log, &clock, agent, lost, 0, detail);
        }
        spv.last_cash = ledger.balance(account).max(0.0);
        deals.push(spv.clone());
    }
    capital.observe_deals(&deals);
}

/// Phase 9: a pool of lots in liquidation, and the repossessed collateral of a pool of
/// loans, are listed: for `liquidation_ticks` at a reserve of the reference price, then
/// at any bid.
pub fn list_spv_lots(
    clock: Res<Clock>,
    mut fleet: ResMut<Fleet>,
    mut secondary: ResMut<SecondaryMarket>,
    spvs: Query<(&Agent, &Spv)>,
) {
    let mut list: Vec<(&Agent, &Spv)> = spvs.iter().collect();
    list.sort_by_key(|(a, _)| a.id);
    for (agent, spv) in list {
        for lot in fleet.owned_by(agent.id) {
            let since = match spv.pool {
                Pool::Lots => spv.liquidating_since,
                Pool::Loans => fleet.get(lot).repossessed_tick().or(Some(clock.tick)),
            };
            let Some(since) = since else {
                continue;
            };
            let g = fleet.get(lot).generation.0 as usize;
            let market = &secondary.generations[g];
            let reserve = if clock.tick < since + spv.liquidation_ticks {
                spv.liquidation_reserve
                    * market.reference_price.or(market.last_price).unwrap_or(0.0)
            } else {
                0.0
            };
            secondary.list(
                &mut fleet,
                agent.id,
                lot,
                reserve,
                SaleMotive::LenderLiquidation,
            );
        }
    }
}
