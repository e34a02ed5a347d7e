//! Phases 10 and 11 for operators: expansion when a new generation beats the hurdle.

use crate::components::{Bitcoin, Operator};
use firesale_core::prelude::*;
use firesale_core::{
    CreditOffers, Decision, FundingGap, GpuEconomics, LoanPurpose, LoanRequest, LoanRequests,
    LoanStatus, NoteBook,
};
use firesale_markets::{ComputeMarket, Vendor, VendorSale};
use std::collections::BTreeMap;

/// Rack capacity an operator wants built because its expansion ran out of room, kW.
#[derive(Component, Debug, Clone, Default)]
pub struct RackShortfall(pub f64);

/// An order cut short by the vendor's weekly allocation: the tick the operator first
/// ordered. The operator orders again every week until it is served, instead of waiting
/// for its next quarterly review, and the week's allocation goes to waiting orders first,
/// oldest first, as a customer on allocation keeps its place in the vendor's queue. An
/// order it no longer wants (or can no longer finance) leaves the queue. Without the
/// queue, what a lumpy order could not get in its week was lost for a quarter, so a small
/// world (few operators, lumpier orders) built less per unit of scale.
#[derive(Component, Debug, Clone, Default)]
pub struct QueuedOrder(pub Option<u32>);

/// One operator's order this week, before the vendor's allocation is shared out.
struct Order {
    /// The operator.
    operator: Entity,
    /// Its place in the vendor's queue: the tick it first ordered.
    queued_since: u32,
    /// Lots it wants this week.
    lots: u32,
    /// The loan it asks for all of them.
    request: LoanRequest,
}

/// Whether any of `borrower`'s live loans is in arrears or called, or any of its live
/// notes in arrears: an operator in that state neither expands nor bids for used lots.
pub fn debt_in_distress(borrower: AgentId, book: &LoanBook, notes: &NoteBook) -> bool {
    book.live_of(borrower).iter().any(|&id| {
        let loan = book.get(id);
        loan.arrears > 0.0 || matches!(loan.status, LoanStatus::Called { .. })
    }) || notes
        .live_of(borrower)
        .iter()
        .any(|&id| notes.get(id).arrears() > 0.0)
}

/// Phase 10: once a quarter (staggered by agent), and every week while its order waits
/// in the vendor's queue, an operator with no distress values the newest generation at
/// its hurdle rate; if a lot is worth more than the vendor's price and a lender is open,
/// it asks for a loan for the lender's max LTV on what the vendor will deliver this week.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn request_credit(
    clock: Res<Clock>,
    gens: Res<Generations>,
    market: Res<ComputeMarket>,
    fleet: Res<Fleet>,
    offers: Res<CreditOffers>,
    book: Res<LoanBook>,
    notes: Res<NoteBook>,
    ledger: Res<Ledger>,
    vendor: Res<Vendor>,
    mut requests: ResMut<LoanRequests>,
    mut metrics: ResMut<Metrics>,
    mut operators: Query<(
        Entity,
        &Agent,
        &Operator,
        &Racks,
        &PowerContract,
        &mut RackShortfall,
        &mut QueuedOrder,
        Option<&Bitcoin>,
        Option<&mut FundingGap>,
    )>,
) {
    requests.requests.clear();
    let Some(newest) = gens.newest(clock.tick) else {
        return;
    };
    let generation = gens.get(newest);
    // The cheapest open offer, for operators that are not miners and for miners (whom
    // not every lender serves), found once rather than per operator: there are hundreds
    // of lenders and thousands of operators.
    let cheapest = |miner: bool| {
        offers
            .offers
            .iter()
            .filter(|o| o.open && (!miner || o.lends_to_miners))
            .min_by(|a, b| a.spread.total_cmp(&b.spread).then(a.lender.cmp(&b.lender)))
    };
    let cheapest_for = [cheapest(false), cheapest(true)];
    // Orders of this week, in agent order.
    let mut orders: Vec<Order> = Vec::new();
    for (entity, agent, op, racks, power, mut shortfall, mut queued, btc, gap) in operators
        .iter_mut()
        .sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        let review_week = clock.tick % 13 == agent.id.0 % 13;
        if !(review_week || queued.0.is_some()) {
            continue;
        }
        // Whatever follows, an order that is not placed again leaves the queue.
        let queued_since = queued.0.take().unwrap_or(clock.tick);
        if !op.is_active() || op.unpaid_bills > 0.0 {
            continue;
        }
        if debt_in_distress(agent.id, &book, &notes) {
            continue;
        }
        let economics = GpuEconomics {
            cost_per_gpu_hour: market.unit_hour_cost(generation, power.per_kwh(1.0)),
            utilisation: market.expected_utilisation(&gens, newest, 1.0),
            rate: op.params.hurdle_rate,
            hours_per_tick: clock.hours_per_tick(),
            years_per_tick: clock.years_per_tick(),
        };
        let value = op.value_per_gpu(
            newest,
            &economics,
            generation.useful_life_years,
            &market.roadmap,
        ) * f64::from(gens.gpus_per_lot);
        let price = gens.vendor_lot_price(newest, clock.tick, clock.years_per_tick());
        let desired = op
            .params
            .rules
            .expansion
            .lots_wanted(&crate::rules::ExpansionView {
                operator: op,
                value_per_lot: value,
                price_per_lot: price,
                owned_lots: fleet.count_owned(agent.id),
            });
        if desired == 0 {
            continue;
        }
        let fit = (racks.free_kw_for(&fleet, &gens, agent.id, newest) / gens.lot_kw(newest)).floor()
            as u32;
        shortfall.0 = f64::from(desired.saturating_sub(fit)) * gens.lot_kw(newest);
        if desired > fit {
            metrics.generations[newest.0 as usize].racks_short = true;
        }
        let Some(offer) = cheapest_for[usize::from(btc.is_some())] else {
            continue;
        };
        let spare =
            ledger.balance(agent.account) - op.weekly_outgoings * op.params.cash_buffer_weeks;
        let equity_per_lot = price * (1.0 - offer.max_ltv);
        let affordable = if equity_per_lot > 0.0 {
            (spare / equity_per_lot).floor().max(0.0) as u32
        } else {
            desired
        };
        let lots = desired.min(fit).min(affordable);
        // An issuer of notes may sell them for the equity its cash could not pay.
        if let Some(mut gap) = gap {
            gap.0 = f64::from(desired.min(fit) - lots) * equity_per_lot;
        }
        if lots == 0 {
            continue;
        }
        let cost = price * f64::from(lots);
        orders.push(Order {
            operator: entity,
            queued_since,
            lots,
            request: LoanRequest {
                borrower: agent.id,
                borrower_is_miner: btc.is_some(),
                amount: cost * offer.max_ltv,
                purpose: LoanPurpose::Purchase {
                    generation: newest,
                    lots,
                },
                collateral_cost: cost,
                decision: None,
            },
        });
    }
    // The week's allocation (operators buy before anyone else this tick), oldest orders
    // first; what an order cannot get waits in the queue, and is not financed this week.
    let mut queue: Vec<usize> = (0..orders.len()).collect();
    queue.sort_by_key(|&i| (orders[i].queued_since, orders[i].request.borrower));
    let mut allocation = vendor.available(&gens, newest, clock.tick);
    let mut allotted = vec![0u32; orders.len()];
    for i in queue {
        allotted[i] = orders[i].lots.min(allocation);
        allocation -= allotted[i];
    }
    for (order, allotted) in orders.into_iter().zip(allotted) {
        if allotted < order.lots
            && let Ok((.., mut queued, _, _)) = operators.get_mut(order.operator)
        {
            queued.0 = Some(order.queued_since);
        }
        if allotted == 0 {
            continue;
        }
        let share = f64::from(allotted) / f64::from(order.lots);
        let mut request = order.request;
        request.amount *= share;
        request.collateral_cost *= share;
        request.purpose = LoanPurpose::Purchase {
            generation: newest,
            lots: allotted,
        };
        requests.requests.push(request);
    }
}

/// Starts building `kw` of racks if the operator's cash beyond its buffer pays for
/// them; returns whether it did.
pub fn build_racks(
    agent: &Agent,
    op: &Operator,
    racks: &mut Racks,
    ledger: &mut Ledger,
    clock: &Clock,
    kw: f64,
) -> bool {
    let cost = kw * op.params.rack_cost_per_kw;
    let spare = ledger.balance(agent.account) - op.weekly_outgoings * op.params.cash_buffer_weeks;
    if spare <= cost {
        return false;
    }
    ledger.transfer(
        agent.account,
        External::Vendor.account(),
        cost,
        "rack build",
    );
    racks.build(clock.tick + op.params.rack_build_weeks, kw);
    true
}

/// Phase 11: buy the financed lots from the vendor and pledge them, install what fits,
/// and build racks when expansion ran out of room and cash allows.
#[allow(clippy::too_many_arguments)]
pub fn invest_operators(
    clock: Res<Clock>,
    gens: Res<Generations>,
    requests: Res<LoanRequests>,
    mut book: ResMut<LoanBook>,
    mut vendor: ResMut<Vendor>,
    mut fleet: ResMut<Fleet>,
    mut ledger: ResMut<Ledger>,
    mut log: ResMut<EventLog>,
    directory: Res<Directory>,
    mut operators: Query<(&Agent, &Operator, &mut Racks, &mut RackShortfall)>,
) {
    // Each borrower's requests, in the order they were made: looked up per operator
    // rather than scanning every request for each of thousands of operators.
    let mut requests_of: BTreeMap<AgentId, Vec<&LoanRequest>> = BTreeMap::new();
    for request in &requests.requests {
        requests_of
            .entry(request.borrower)
            .or_default()
            .push(request);
    }
    for (agent, op, mut racks, mut shortfall) in operators
        .iter_mut()
        .sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        racks.complete_builds(clock.tick);
        if !op.is_active() {
            continue;
        }
        for &request in requests_of.get(&agent.id).into_iter().flatten() {
            let (LoanPurpose::Purchase { generation, lots }, Some(Decision::Funded(loan))) =
                (request.purpose, &request.decision)
            else {
                continue;
            };
            let mut sale = VendorSale {
                vendor: &mut vendor,
                fleet: &mut fleet,
                ledger: &mut ledger,
                gens: &gens,
                clock: &clock,
                log: &mut log,
            };
            let bought = sale.buy(agent, generation, lots);
            for &lot in &bought {
                fleet.pledge(lot, Some(*loan));
            }
            // Undelivered lots: the unused part of the loan is repaid at once.
            let unused = request.amount * f64::from(lots - bought.len() as u32) / f64::from(lots);
            if unused > 0.0 {
                let l = book.get_mut(*loan);
                let paid = crate::costs::pay_lenders(
                    &mut ledger,
                    &directory,
                    agent.account,
                    l,
                    unused,
                    "undrawn",
                );
                l.principal -= paid.min(l.principal);
                l.original_principal = l.principal;
            }
        }
        racks.install_stored(&mut fleet, &gens, agent.id);
        if shortfall.0 > 0.0 {
            build_racks(agent, op, &mut racks, &mut ledger, &clock, shortfall.0);
            shortfall.0 = 0.0;
        }
    }
}
