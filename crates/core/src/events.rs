//! The event log: what happened to whom, for `events.jsonl`.

use bevy_ecs::prelude::*;
use serde::Serialize;

/// Kinds of events recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A generation becomes available from the vendor.
    Release,
    /// A covenant is breached.
    CovenantBreach,
    /// A lender calls principal back.
    MarginCall,
    /// A call is cured.
    MarginCallMet,
    /// A borrower defaults.
    Default,
    /// A lender takes the collateral.
    Repossession,
    /// Lots change hands in the secondary auction.
    Trade,
    /// Lots bought new from the vendor.
    PrimaryPurchase,
    /// A new loan is funded.
    LoanOriginated,
    /// A maturing loan is refinanced.
    LoanRefinanced,
    /// A maturing loan is not refinanced.
    RefinanceRefused,
    /// A term-contract tenant stops paying.
    TenantDefault,
    /// A lender's equity is gone.
    LenderFailure,
    /// A repo desk funds a lender's inventory, or lends against a borrower's unpledged
    /// lots.
    RepoFunding,
    /// A repo desk pays off a called loan and holds its lots as repo collateral.
    RepoTakeOut,
    /// Lots scrapped at end of life.
    Scrap,
    /// A tenant loses the capacity it rented in a failed host's site.
    HostingLost,
    /// An operator sells new notes to bond investors.
    BondIssued,
    /// An issuer pays a note's coupon.
    CouponPaid,
    /// A convertible's holders convert it into shares.
    Conversion,
    /// A note's principal falls due and no investor refinances it at a yield the issuer
    /// accepts.
    RolloverFailed,
    /// An issuer's notes default when it files; the amount is their claim.
    BondDefault,
    /// A GPU ABS's trigger is breached or cured, or the deal is accelerated, matures or
    /// is wound up.
    WaterfallTrigger,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Tick.
    pub tick: u32,
    /// Date of the tick.
    pub date: String,
    /// What happened.
    pub kind: EventKind,
    /// Names of the agents involved, the acting one first.
    pub agents: Vec<String>,
    /// Money involved, $.
    pub amount: f64,
    /// Lots involved.
    pub lots: u32,
    /// Generation involved.
    pub generation: Option<String>,
    /// Free text.
    pub detail: String,
}

/// Events of the current tick, drained by the recorder.
#[derive(Resource, Debug, Default)]
pub struct EventLog {
    /// Pending events.
    pub events: Vec<Event>,
    /// The date last written out, and its text: a busy tick records thousands of
    /// events, and formatting a date costs more than copying one.
    last_date: Option<(chrono::NaiveDate, String)>,
}

impl EventLog {
    /// Records an event.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        clock: &crate::Clock,
        kind: EventKind,
        agents: Vec<String>,
        amount: f64,
        lots: u32,
        generation: Option<String>,
        detail: String,
    ) {
        let today = clock.today();
        let date = match &self.last_date {
            Some((date, text)) if *date == today => text.clone(),
            _ => {
                let text = clock.today_str();
                self.last_date = Some((today, text.clone()));
                text
            }
        };
        self.events.push(Event {
            tick: clock.tick,
            date,
            kind,
            agents,
            amount,
            lots,
            generation,
            detail,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_carries_the_date_of_its_own_tick() {
        let mut clock = crate::Clock {
            start: chrono::NaiveDate::from_ymd_opt(2022, 1, 3).unwrap(),
            tick_days: 7,
            ticks: 10,
            tick: 0,
        };
        let mut log = EventLog::default();
        for tick in [0, 0, 1, 5, 5] {
            clock.tick = tick;
            log.push(
                &clock,
                EventKind::Trade,
                Vec::new(),
                0.0,
                0,
                None,
                String::new(),
            );
        }
        let dates: Vec<&str> = log.events.iter().map(|e| e.date.as_str()).collect();
        assert_eq!(
            dates,
            [
                "2022-01-03",
                "2022-01-03",
                "2022-01-10",
                "2022-02-07",
                "2022-02-07"
            ]
        );
    }
}
