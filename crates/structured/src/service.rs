//! Phase 5 for notes: coupons on their dates, and what each note does when its
//! principal falls due (at maturity, or at a convertible's put date when its holders put
//! it): convert, be repaid from spare cash, or ask the bond market to refinance it.

use crate::issuer::{Issuer, value_issuer};
use crate::market::{CapitalMetrics, pay_holders};
use crate::priority::{Settlement, settle_convertible};
use firesale_core::prelude::*;
use firesale_core::{NoteBook, NoteKind, NotePurpose, NoteRequest, NoteRequests, NoteStatus};
use firesale_markets::Exogenous;
use firesale_miner::{Bitcoin, Operator};

/// Phase 5: pay coupons, settle notes falling due, and queue rollovers for phase 10.
#[allow(clippy::too_many_arguments)]
pub fn service_notes(
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
    mut capital: ResMut<CapitalMetrics>,
    mut log: ResMut<EventLog>,
    mut issuers: Query<(&Agent, &Operator, &mut Issuer, Option<&Bitcoin>)>,
) {
    requests.requests.clear();
    capital.coupons_paid = 0.0;
    let years_per_tick = clock.years_per_tick();
    for (agent, op, mut issuer, btc) in issuers
        .iter_mut()
        .sort_by_key::<&Agent, _>(|agent| agent.id)
    {
        if !op.is_active() {
            continue;
        }
        let value = value_issuer(
            agent, btc, &ledger, &exo, &fleet, &gens, &metrics, &loans, &notes,
        );
        let share_price = issuer.price_shares(&value);
        let secured_due = loans.owed_now(agent.id);
        for id in notes.live_of(agent.id) {
            let note = notes.get_mut(id);
            if clock.tick >= note.next_coupon_tick.min(note.maturity_tick) {
                // A coupon date, or at maturity the stub since the last one; no coupon
                // falls after the maturity.
                let last = note.next_coupon_tick.saturating_sub(note.coupon_every);
                let ticks = clock.tick.min(note.next_coupon_tick).saturating_sub(last);
                note.coupon_arrears +=
                    note.principal * note.coupon * f64::from(ticks) * years_per_tick;
                note.next_coupon_tick = if clock.tick >= note.maturity_tick {
                    u32::MAX
                } else {
                    note.next_coupon_tick + note.coupon_every
                };
            }
            if note.coupon_arrears > 0.0 {
                let due = note.coupon_arrears;
                let paid = pay_holders(&mut ledger, &directory, agent.account, note, due, "coupon");
                note.coupon_arrears -= paid;
                if note.coupon_arrears <= 0.01 {
                    note.coupon_arrears = 0.0;
                }
                if paid > 0.0 {
                    capital.coupons_paid += paid;
                    log.push(
                        &clock,
                        EventKind::CouponPaid,
                        vec![agent.name.clone()],
                        paid,
                        0,
                        None,
                        format!("note {} ({})", id.0, note.kind.name()),
                    );
                }
            }
            let (conversion_price, put_now) = match note.kind {
                NoteKind::Convertible {
                    conversion_price,
                    put_tick,
                } => (conversion_price, put_tick == Some(clock.tick)),
                NoteKind::HighYield => (0.0, false),
            };
            let matures = clock.tick >= note.maturity_tick;
            // Holders put only when converting is worth less than par.
            let put = put_now && share_price <= conversion_price;
            if note.principal_due <= 0.0 && (matures || put) {
                // Cash beyond its repayment buffer of outgoings and what its secured loans call or
                // have in arrears (they rank first).
                let spare = ledger.balance(agent.account)
                    - op.weekly_outgoings * op.params.repayment_buffer_weeks
                    - secured_due;
                match settle_convertible(share_price, conversion_price, note.principal, spare) {
                    Settlement::Convert => {
                        // Holders take principal / conversion price new shares and sell
                        // them in the market; the issuer owes nothing more.
                        let new_shares = note.principal / conversion_price;
                        let proceeds = new_shares * share_price;
                        for (holder, share) in &note.holders {
                            ledger.transfer(
                                External::Shareholders.account(),
                                directory.account(*holder),
                                proceeds * share,
                                "converted shares sold",
                            );
                        }
                        issuer.shares += new_shares;
                        note.status = NoteStatus::Converted;
                        capital.conversions_cum += 1;
                        log.push(
                            &clock,
                            EventKind::Conversion,
                            vec![agent.name.clone()],
                            note.principal,
                            0,
                            None,
                            format!(
                                "note {}: share price {:.2} above conversion price {:.2}",
                                id.0, share_price, conversion_price
                            ),
                        );
                        note.principal = 0.0;
                        continue;
                    }
                    Settlement::Repay => {
                        let principal = note.principal;
                        pay_holders(
                            &mut ledger,
                            &directory,
                            agent.account,
                            note,
                            principal,
                            "note repaid",
                        );
                        note.principal = 0.0;
                        note.status = NoteStatus::Repaid;
                        continue;
                    }
                    Settlement::Refinance => note.principal_due = note.principal,
                }
            }
            if note.principal_due > 0.0 {
                requests.requests.push(NoteRequest {
                    issuer: agent.id,
                    amount: note.principal_due,
                    purpose: NotePurpose::Rollover(id),
                });
            }
            if note.arrears() > 0.01 {
                note.arrears_since.get_or_insert(clock.tick);
            } else {
                note.arrears_since = None;
            }
        }
    }
}
