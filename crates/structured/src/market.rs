//! Phase 10, the bond market: issuers' requests to sell notes meet the yields bond
//! investors ask. Each request is a uniform-price book: investors quote a yield and an
//! amount, the cheapest fill it, and every buyer gets the yield of the last one needed.
//! A request the book cannot fill, or fills only above the issuer's highest yield,
//! fails: a rollover that fails leaves the principal due, and the issuer has its grace
//! period to find the cash before it must file.

use crate::investor::{BondInvestor, PricingView};
use crate::issuer::{IssueKind, Issuer, value_issuer};
use firesale_core::prelude::*;
use firesale_core::{
    FundingGap, Note, NoteBook, NoteId, NoteKind, NotePurpose, NoteRequest, NoteRequests,
    NoteStatus,
};
use firesale_markets::Exogenous;
use firesale_miner::{Bitcoin, Operator};
use std::collections::VecDeque;

/// What the bond market remembers: BTC's recent highs and who defaulted lately.
#[derive(Resource, Debug, Default)]
pub struct BondMarket {
    /// BTC price of each of the past year's ticks, oldest first.
    pub btc_prices: VecDeque<f64>,
    /// Ticks of the past year's bond defaults (one per issuer).
    pub recent_defaults: VecDeque<u32>,
    /// Issuers that have ever had notes.
    pub issuers: std::collections::BTreeSet<AgentId>,
}

impl BondMarket {
    /// BTC's fall from its high of the past year, 0-1.
    pub fn btc_drawdown(&self, price: f64) -> f64 {
        let high = self.btc_prices.iter().copied().fold(price, f64::max);
        if high > 0.0 { 1.0 - price / high } else { 0.0 }
    }

    /// Share of issuers that defaulted on their notes in the past year.
    pub fn default_rate(&self) -> f64 {
        if self.issuers.is_empty() {
            0.0
        } else {
            self.recent_defaults.len() as f64 / self.issuers.len() as f64
        }
    }
}

/// The capital markets' series, for `capital.csv`.
#[derive(Resource, Debug, Default, Clone)]
pub struct CapitalMetrics {
    /// Principal of live convertibles, $.
    pub convertible_outstanding: f64,
    /// Principal of live high-yield notes, $.
    pub high_yield_outstanding: f64,
    /// Principal of notes issued this tick, $.
    pub issued: f64,
    /// Straight yield of this tick's last new issue.
    pub new_issue_yield: Option<f64>,
    /// Coupons paid this tick, $.
    pub coupons_paid: f64,
    /// Rollovers that found no buyer at an acceptable yield, cumulative.
    pub failed_rollovers_cum: u32,
    /// Notes in default, cumulative.
    pub bond_defaults_cum: u32,
    /// Issuers that defaulted on notes, cumulative.
    pub bond_issuer_defaults_cum: u32,
    /// Convertibles converted, cumulative.
    pub conversions_cum: u32,
    /// Claims of defaulted notes, cumulative, $.
    pub bond_claims_cum: f64,
    /// What estates paid noteholders, cumulative, $.
    pub bond_recovered_cum: f64,
    /// The GPU ABS deals' tranches, summed over deals (None: no deal).
    pub abs: Option<AbsMetrics>,
}

/// The GPU ABS deals of a world at the last payment date, summed over deals.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AbsMetrics {
    /// The pools' appraisal, $.
    pub pool_value: f64,
    /// Principal outstanding of the senior, mezzanine and equity tranches, $ (the
    /// equity's less the cash it has been paid).
    pub principal: [f64; 3],
    /// Original principal of each, $.
    pub original: [f64; 3],
    /// Principal written off so far, $.
    pub written_down: [f64; 3],
    /// What each would lose if the pools were sold at their appraisal now, $.
    pub loss_at_marks: [f64; 3],
    /// Deals whose trigger diverts cash to the senior this week.
    pub breached: u32,
    /// Deals being sold (accelerated or matured) or wound up.
    pub liquidating: u32,
    /// Deals not yet wound up.
    pub running: u32,
}

impl AbsMetrics {
    /// Shares of each tranche's original principal written off.
    pub fn loss_shares(&self) -> [f64; 3] {
        self.shares(&self.written_down)
    }

    /// Shares of each tranche's original principal lost if the pools were sold at their
    /// appraisal now (the written-off share once a deal is wound up).
    pub fn loss_shares_at_marks(&self) -> [f64; 3] {
        self.shares(&self.loss_at_marks)
    }

    fn shares(&self, amounts: &[f64; 3]) -> [f64; 3] {
        std::array::from_fn(|i| {
            if self.original[i] > 0.0 {
                (amounts[i] / self.original[i]).clamp(0.0, 1.0)
            } else {
                0.0
            }
        })
    }
}

impl CapitalMetrics {
    /// Sums the deals' tranches, the mezzanine being every debt tranche below the senior.
    pub fn observe_deals(&mut self, deals: &[crate::abs::Spv]) {
        if deals.is_empty() {
            self.abs = None;
            return;
        }
        let mut m = AbsMetrics::default();
        for spv in deals {
            let w = &spv.waterfall;
            m.pool_value += spv.pool_value;
            // The pool sold at its appraisal now: what each tranche would have lost
            // (written off already, plus the shortfall of a deal still running).
            let mut at_marks = w.clone();
            if !spv.wound_up {
                at_marks.equity.principal = (w.equity.original - spv.paid_to_equity).max(0.0);
                at_marks.write_down(spv.pool_value + spv.last_cash);
            }
            for (i, t) in w.debt.iter().enumerate() {
                let k = i.min(1);
                m.principal[k] += t.principal;
                m.original[k] += t.original;
                m.written_down[k] += t.written_down;
                m.loss_at_marks[k] += at_marks.debt[i].written_down;
            }
            m.principal[2] +=
                at_marks.equity.principal + at_marks.equity.written_down - w.equity.written_down;
            m.original[2] += w.equity.original;
            m.written_down[2] += w.equity.written_down;
            m.loss_at_marks[2] += at_marks.equity.written_down;
            m.breached += u32::from(spv.breach.is_some() && spv.liquidating_since.is_none());
            m.liquidating += u32::from(spv.liquidating_since.is_some());
            m.running += u32::from(!spv.wound_up);
        }
        self.abs = Some(m);
    }
}

pub use firesale_miner::pay_holders;

/// One investor's quote for one issue.
struct Quote {
    investor: AgentId,
    yield_asked: f64,
    amount: f64,
}

/// Phase 10: clear this tick's note requests (rollovers first, then expansion), and
/// remember the year's BTC prices for next tick's drawdown.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn issue_notes(
    clock: Res<Clock>,
    exo: Res<Exogenous>,
    fleet: Res<Fleet>,
    gens: Res<Generations>,
    metrics: Res<Metrics>,
    loans: Res<LoanBook>,
    directory: Res<Directory>,
    mut ledger: ResMut<Ledger>,
    mut notes: ResMut<NoteBook>,
    mut requests: ResMut<NoteRequests>,
    mut market: ResMut<BondMarket>,
    mut capital: ResMut<CapitalMetrics>,
    mut log: ResMut<EventLog>,
    investors: Query<(&Agent, &BondInvestor)>,
    mut issuers: Query<(
        &Agent,
        &Operator,
        &mut Issuer,
        Option<&Bitcoin>,
        Option<&mut FundingGap>,
    )>,
) {
    capital.issued = 0.0;
    capital.new_issue_yield = None;
    // Expansion its cash could not pay for, as requests after the rollovers.
    for (agent, op, issuer, _, gap) in issuers
        .iter_mut()
        .sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        let Some(mut gap) = gap else { continue };
        let wanted = std::mem::take(&mut gap.0);
        if op.is_active()
            && issuer.issues_for_growth
            && wanted >= issuer.min_issue
            && notes
                .live_of(agent.id)
                .iter()
                .all(|&id| notes.get(id).arrears() <= 0.0)
        {
            requests.requests.push(NoteRequest {
                issuer: agent.id,
                amount: wanted,
                purpose: NotePurpose::Growth,
            });
        }
    }
    let mut investor_list: Vec<(&Agent, &BondInvestor)> = investors.iter().collect();
    investor_list.sort_by_key(|(a, _)| a.id);
    let drawdown = market.btc_drawdown(exo.btc_price);
    let default_rate = market.default_rate();
    for mut request in std::mem::take(&mut requests.requests) {
        let Ok((agent, op, mut issuer, btc, _)) = issuers.get_mut(directory.entity(request.issuer))
        else {
            continue;
        };
        // A rollover refinances what is still due after the issuer's own payments.
        let refinanced = match request.purpose {
            NotePurpose::Rollover(old) => Some(old),
            NotePurpose::Growth => None,
        };
        if let Some(old) = refinanced {
            let note = notes.get(old);
            if !note.is_live() || note.principal_due <= 0.01 {
                continue;
            }
            request.amount = note.principal_due;
        }
        if !op.is_active() {
            continue;
        }
        let value = value_issuer(
            agent, btc, &ledger, &exo, &fleet, &gens, &metrics, &loans, &notes,
        );
        // A rollover replaces debt; a growth issue adds to it (and to the cash).
        let (debt, assets) = match request.purpose {
            NotePurpose::Rollover(_) => (value.debt, value.assets),
            NotePurpose::Growth => (value.debt + request.amount, value.assets + request.amount),
        };
        let view = PricingView {
            rate: exo.rate,
            leverage: if assets > 0.0 {
                debt / assets
            } else {
                f64::INFINITY
            },
            miner: btc.is_some(),
            btc_drawdown: drawdown,
            default_rate,
        };
        let mut quotes: Vec<Quote> = investor_list
            .iter()
            .filter_map(|(investor, fund)| {
                let yield_asked = fund.pricing.required_yield(&view)?;
                // What it holds of the issuer, the note this issue repays aside.
                let held: f64 = notes
                    .live_of(agent.id)
                    .iter()
                    .filter(|&&id| Some(id) != refinanced)
                    .map(|&id| {
                        let n = notes.get(id);
                        n.principal
                            * n.holders
                                .iter()
                                .filter(|(h, _)| *h == investor.id)
                                .map(|(_, s)| s)
                                .sum::<f64>()
                    })
                    .sum();
                let room = fund.max_issuer_share * fund.capital - held;
                let amount = room.min(ledger.balance(investor.account)).max(0.0);
                (yield_asked.is_finite() && amount > 0.0).then_some(Quote {
                    investor: investor.id,
                    yield_asked,
                    amount,
                })
            })
            .collect();
        quotes.sort_by(|a, b| {
            a.yield_asked
                .total_cmp(&b.yield_asked)
                .then(a.investor.cmp(&b.investor))
        });
        let mut left = request.amount;
        let mut fills = Vec::new();
        let mut clearing = None;
        for q in &quotes {
            if left <= 0.0 {
                break;
            }
            let take = q.amount.min(left);
            fills.push((q.investor, take));
            left -= take;
            clearing = Some(q.yield_asked);
        }
        let filled = left <= request.amount * 1e-9;
        let accepted = clearing.filter(|y| filled && *y <= issuer.max_yield);
        let Some(straight_yield) = accepted else {
            if let NotePurpose::Rollover(old) = request.purpose {
                capital.failed_rollovers_cum += 1;
                log.push(
                    &clock,
                    EventKind::RolloverFailed,
                    vec![agent.name.clone()],
                    request.amount,
                    0,
                    None,
                    format!(
                        "note {}: {}",
                        old.0,
                        match clearing {
                            Some(y) if filled => format!(
                                "investors ask {:.2}%, above its {:.2}%",
                                y * 100.0,
                                issuer.max_yield * 100.0
                            ),
                            _ if quotes.is_empty() => format!(
                                "no investor buys at any yield (leverage {:.2}, BTC {:.0}% below its yearly high, {:.0}% of issuers defaulted in the past year)",
                                view.leverage,
                                view.btc_drawdown * 100.0,
                                view.default_rate * 100.0
                            ),
                            _ => format!(
                                "investors offer ${:.0} of ${:.0}",
                                request.amount - left.max(0.0),
                                request.amount
                            ),
                        }
                    ),
                );
            }
            continue;
        };
        let share_price = issuer.price_shares(&value);
        let id = sell_note(
            &clock,
            &directory,
            &mut ledger,
            &mut notes,
            agent,
            &issuer,
            &fills,
            request.amount,
            straight_yield,
            share_price,
        );
        market.issuers.insert(agent.id);
        capital.issued += request.amount;
        capital.new_issue_yield = Some(straight_yield);
        let mut names = vec![agent.name.clone()];
        names.extend(fills.iter().map(|(h, _)| directory.name(*h).to_string()));
        let note = notes.get(id);
        let mut detail = format!(
            "{} at {:.2}% coupon (straight yield {:.2}%)",
            note.kind.name(),
            note.coupon * 100.0,
            straight_yield * 100.0
        );
        if let NotePurpose::Rollover(old) = request.purpose {
            detail.push_str(&format!(", refinancing note {}", old.0));
            let repaid = {
                let old_note = notes.get(old);
                let due = old_note.principal_due;
                pay_holders(
                    &mut ledger,
                    &directory,
                    agent.account,
                    old_note,
                    due,
                    "note refinanced",
                )
            };
            let old_note = notes.get_mut(old);
            old_note.principal_due -= repaid;
            old_note.principal -= repaid.min(old_note.principal);
            if old_note.principal <= 0.01 {
                old_note.principal = 0.0;
                old_note.principal_due = 0.0;
                old_note.status = NoteStatus::Repaid;
            }
            if old_note.arrears() <= 0.01 {
                old_note.arrears_since = None;
            }
        }
        log.push(
            &clock,
            EventKind::BondIssued,
            names,
            request.amount,
            0,
            None,
            detail,
        );
    }
    capital.convertible_outstanding = 0.0;
    capital.high_yield_outstanding = 0.0;
    for note in notes.all().iter().filter(|n| n.is_live()) {
        match note.kind {
            NoteKind::Convertible { .. } => capital.convertible_outstanding += note.principal,
            NoteKind::HighYield => capital.high_yield_outstanding += note.principal,
        }
    }
    market.btc_prices.push_back(exo.btc_price);
    let year = clock.ticks_in_years(1.0) as usize;
    while market.btc_prices.len() > year.max(1) {
        market.btc_prices.pop_front();
    }
    while market
        .recent_defaults
        .front()
        .is_some_and(|&t| t + year as u32 <= clock.tick)
    {
        market.recent_defaults.pop_front();
    }
}

/// Books a new note: the buyers pay the issuer, and the note's terms follow the
/// issuer's kind of issue at `straight_yield`.
#[allow(clippy::too_many_arguments)]
fn sell_note(
    clock: &Clock,
    directory: &Directory,
    ledger: &mut Ledger,
    notes: &mut NoteBook,
    agent: &Agent,
    issuer: &Issuer,
    fills: &[(AgentId, f64)],
    amount: f64,
    straight_yield: f64,
    share_price: f64,
) -> NoteId {
    for (holder, paid) in fills {
        ledger.transfer(
            directory.account(*holder),
            agent.account,
            *paid,
            "note issued",
        );
    }
    let (kind, coupon) = match issuer.kind {
        IssueKind::HighYield => (NoteKind::HighYield, straight_yield),
        IssueKind::Convertible {
            premium,
            put_ticks,
            coupon_cut,
        } => (
            NoteKind::Convertible {
                conversion_price: share_price.max(0.01) * (1.0 + premium),
                put_tick: put_ticks.map(|p| clock.tick + p),
            },
            (straight_yield - coupon_cut).max(0.0),
        ),
    };
    notes.add(Note {
        id: NoteId(0),
        issuer: agent.id,
        holders: fills.iter().map(|(h, paid)| (*h, paid / amount)).collect(),
        kind,
        principal: amount,
        coupon,
        issued_tick: clock.tick,
        maturity_tick: clock.tick + issuer.tenor_ticks,
        coupon_every: issuer.coupon_every.max(1),
        next_coupon_tick: clock.tick + issuer.coupon_every.max(1),
        coupon_arrears: 0.0,
        principal_due: 0.0,
        arrears_since: None,
        grace_ticks: issuer.grace_ticks,
        status: NoteStatus::Outstanding,
        claim: 0.0,
        recovered: 0.0,
    })
}
