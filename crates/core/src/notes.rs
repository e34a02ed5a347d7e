//! Unsecured notes: high-yield bonds and convertibles an operator owes to bond investors.
//!
//! The structured crate pays coupons, settles maturities and puts, clears new issues and
//! pays recoveries; the miner crate pays arrears and files when they go unpaid. They meet
//! only through these types, as loans do through [`crate::LoanBook`].

use crate::agents::AgentId;
use crate::by_agent::{list, listed};
use bevy_ecs::prelude::*;

/// Index of a note in the [`NoteBook`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NoteId(pub u32);

/// What kind of unsecured note.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoteKind {
    /// A straight high-yield bond.
    HighYield,
    /// A convertible note.
    Convertible {
        /// Issuer's share price at which holders are better off converting, $/share.
        conversion_price: f64,
        /// Tick holders may put the note back at par, if any.
        put_tick: Option<u32>,
    },
}

impl NoteKind {
    /// `convertible` or `high_yield`, for events and outputs.
    pub fn name(&self) -> &'static str {
        match self {
            NoteKind::HighYield => "high_yield",
            NoteKind::Convertible { .. } => "convertible",
        }
    }
}

/// Where a note stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoteStatus {
    /// Paying as agreed (possibly with coupons or principal in arrears).
    Outstanding,
    /// Repaid at maturity or put, or refinanced.
    Repaid,
    /// Converted into shares.
    Converted,
    /// The issuer filed at this tick; holders wait for what the estate pays.
    Defaulted {
        /// Tick of the filing.
        tick: u32,
    },
    /// The estate is wound up: what was not recovered is lost.
    WrittenOff,
}

/// One unsecured note.
#[derive(Debug, Clone)]
pub struct Note {
    /// Its id.
    pub id: NoteId,
    /// Who owes it.
    pub issuer: AgentId,
    /// Holders and their shares (summing to 1).
    pub holders: Vec<(AgentId, f64)>,
    /// High yield or convertible.
    pub kind: NoteKind,
    /// Principal outstanding, $.
    pub principal: f64,
    /// Coupon, fraction of principal per year (fixed).
    pub coupon: f64,
    /// Tick it was issued (negative ticks are before the start, clamped to 0).
    pub issued_tick: u32,
    /// Tick the principal is due.
    pub maturity_tick: u32,
    /// Ticks between coupon dates.
    pub coupon_every: u32,
    /// Next coupon date.
    pub next_coupon_tick: u32,
    /// Coupons due and unpaid, $.
    pub coupon_arrears: f64,
    /// Principal due (at maturity or put) and neither repaid nor refinanced, $.
    pub principal_due: f64,
    /// First tick of unpaid coupons or principal.
    pub arrears_since: Option<u32>,
    /// Ticks the issuer may stay in arrears before it must file (the indenture's grace).
    pub grace_ticks: u32,
    /// Status.
    pub status: NoteStatus,
    /// What holders claim in the issuer's bankruptcy, $ (principal and unpaid coupons).
    pub claim: f64,
    /// What the estate has paid holders on that claim, $.
    pub recovered: f64,
}

impl Note {
    /// Whether the issuer still owes it as a going concern.
    pub fn is_live(&self) -> bool {
        self.status == NoteStatus::Outstanding
    }

    /// Whatever is due and unpaid now, $.
    pub fn arrears(&self) -> f64 {
        self.coupon_arrears + self.principal_due
    }

    /// Whether the grace period of its arrears has run out at `tick`.
    pub fn grace_passed(&self, tick: u32) -> bool {
        self.arrears_since
            .is_some_and(|t| tick > t + self.grace_ticks)
    }
}

/// Every note ever issued, and each issuer's notes.
#[derive(Resource, Debug, Default)]
pub struct NoteBook {
    /// Notes; a [`NoteId`] indexes this list.
    notes: Vec<Note>,
    /// Each issuer's notes in issue order, by issuer id: every operator looks up its own
    /// every week, which a scan of every note ever issued would make quadratic in the
    /// size of the world.
    by_issuer: Vec<Vec<NoteId>>,
}

impl NoteBook {
    /// Adds a note and returns its id (the `id` field is overwritten).
    pub fn add(&mut self, mut note: Note) -> NoteId {
        let id = NoteId(self.notes.len() as u32);
        note.id = id;
        list(&mut self.by_issuer, note.issuer, id);
        self.notes.push(note);
        id
    }

    /// Every note ever issued, in issue order.
    pub fn all(&self) -> &[Note] {
        &self.notes
    }

    /// The note with this id.
    pub fn get(&self, id: NoteId) -> &Note {
        &self.notes[id.0 as usize]
    }

    /// The note with this id, mutably (its issuer must not change).
    pub fn get_mut(&mut self, id: NoteId) -> &mut Note {
        &mut self.notes[id.0 as usize]
    }

    /// Every note of one issuer, whatever its status, in issue order.
    pub fn of_issuer(&self, issuer: AgentId) -> &[NoteId] {
        listed(&self.by_issuer, issuer)
    }

    /// Live notes of one issuer, in issue order.
    pub fn live_of(&self, issuer: AgentId) -> Vec<NoteId> {
        self.of_issuer(issuer)
            .iter()
            .copied()
            .filter(|&id| self.get(id).is_live())
            .collect()
    }

    /// Principal of the live notes of one issuer, $.
    pub fn principal_of(&self, issuer: AgentId) -> f64 {
        self.of_issuer(issuer)
            .iter()
            .map(|&id| self.get(id))
            .filter(|n| n.is_live())
            .map(|n| n.principal)
            .sum()
    }

    /// The issuer files: every live note is in default, its claim the principal and
    /// unpaid coupons. Returns the notes defaulted.
    pub fn default_all(&mut self, issuer: AgentId, tick: u32) -> Vec<NoteId> {
        let defaulted = self.live_of(issuer);
        for &id in &defaulted {
            let note = &mut self.notes[id.0 as usize];
            note.status = NoteStatus::Defaulted { tick };
            note.claim = note.principal + note.coupon_arrears;
        }
        defaulted
    }
}

/// Why an issuer wants to sell new notes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NotePurpose {
    /// Refinance the principal due on this note.
    Rollover(NoteId),
    /// Raise the equity part of GPU purchases its cash cannot pay for.
    Growth,
}

/// An issuer's request to sell new notes this tick.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteRequest {
    /// Who issues.
    pub issuer: AgentId,
    /// Principal wanted, $.
    pub amount: f64,
    /// Why.
    pub purpose: NotePurpose,
}

/// This tick's requests to issue notes, cleared by the bond market in phase 10.
#[derive(Resource, Debug, Default)]
pub struct NoteRequests {
    /// Pending requests, in the order they were made.
    pub requests: Vec<NoteRequest>,
}

/// Cash an operator's expansion wanted and could not pay for this quarter, $: the gap
/// its note issues may fill.
#[derive(Component, Debug, Clone, Default)]
pub struct FundingGap(pub f64);

#[cfg(test)]
mod tests {
    use super::*;

    fn note(issuer: u32, principal: f64) -> Note {
        Note {
            id: NoteId(0),
            issuer: AgentId(issuer),
            holders: vec![(AgentId(9), 1.0)],
            kind: NoteKind::HighYield,
            principal,
            coupon: 0.09,
            issued_tick: 0,
            maturity_tick: 100,
            coupon_every: 26,
            next_coupon_tick: 26,
            coupon_arrears: 5.0,
            principal_due: 0.0,
            arrears_since: Some(10),
            grace_ticks: 4,
            status: NoteStatus::Outstanding,
            claim: 0.0,
            recovered: 0.0,
        }
    }

    #[test]
    fn filing_defaults_only_the_issuers_live_notes_with_their_unpaid_coupons() {
        let mut book = NoteBook::default();
        let a = book.add(note(1, 100.0));
        let b = book.add(note(2, 50.0));
        let c = book.add(note(1, 30.0));
        book.get_mut(c).status = NoteStatus::Repaid;
        let d = book.add(note(1, 20.0));
        // Each issuer's live notes, in issue order, with another's in between.
        assert_eq!(book.live_of(AgentId(1)), vec![a, d]);
        assert_eq!(book.live_of(AgentId(2)), vec![b]);
        assert!(book.live_of(AgentId(9)).is_empty());
        assert_eq!(book.principal_of(AgentId(1)), 120.0);
        book.get_mut(d).status = NoteStatus::Repaid;
        assert_eq!(book.principal_of(AgentId(1)), 100.0);
        assert_eq!(book.default_all(AgentId(1), 7), vec![a]);
        assert!(book.live_of(AgentId(1)).is_empty());
        assert_eq!(book.all().len(), 4);
        assert_eq!(book.get(a).claim, 105.0);
        assert_eq!(book.get(a).status, NoteStatus::Defaulted { tick: 7 });
        assert!(book.get(b).is_live());
        assert!(!book.get(a).grace_passed(14) && book.get(a).grace_passed(15));
    }
}
