//! Loans: what a borrower and its lenders share.
//!
//! The miner crate pays and answers calls; the lender crate marks, calls, declares
//! default and repossesses. They meet only through these types.

use crate::agents::AgentId;
use crate::by_agent::{list, listed};
use crate::fleet::GenId;
use bevy_ecs::prelude::*;
use smallvec::SmallVec;
use std::collections::VecDeque;

/// A loan's lenders and their shares. Every loan the shipped worlds make has one lender,
/// whose share is kept in the loan itself rather than in a list of its own elsewhere on
/// the heap: paying, marking and calling read it for every live loan every tick, and in
/// servicing debt at planet scale the extra fetch from memory took over half of the
/// step's own time. A club of lenders spills to the heap as a `Vec` would.
pub type LenderShares = SmallVec<[(AgentId, f64); 1]>;

/// Index of a loan in the [`LoanBook`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LoanId(pub u32);

/// Covenants written into a loan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Covenants {
    /// Highest loan-to-value before a margin call (on the lender's own mark).
    pub max_ltv: f64,
    /// Lowest debt-service coverage ratio before a call.
    pub min_dscr: f64,
    /// Ticks the borrower has to cure a call or pay arrears.
    pub cure_ticks: u32,
}

/// Why a loan was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallReason {
    /// Loan-to-value above the covenant.
    Ltv,
    /// Debt-service coverage below the covenant.
    Dscr,
    /// Matured and not refinanced.
    Maturity,
}

/// Where a loan stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoanStatus {
    /// Paying as agreed.
    Performing,
    /// The lender demands `amount` of principal back by `deadline`.
    Called {
        /// Principal to repay to cure.
        amount: f64,
        /// Last tick to cure.
        deadline: u32,
        /// Why.
        reason: CallReason,
    },
    /// In default since `tick`; waiting for repossession.
    Defaulted {
        /// Tick of default.
        tick: u32,
    },
    /// Defaulted and its collateral repossessed; recoveries still come in as lots sell.
    Resolved,
    /// Paid off (or refinanced into another loan).
    Repaid,
}

/// A loan from one lender or a club of lenders to an operator.
#[derive(Debug, Clone)]
pub struct Loan {
    /// Its id.
    pub id: LoanId,
    /// Who owes it.
    pub borrower: AgentId,
    /// Lenders and their shares (summing to 1); the first is the agent bank whose
    /// marking policy tests the covenants.
    pub lenders: LenderShares,
    /// Principal outstanding, $.
    pub principal: f64,
    /// Principal at origination, $.
    pub original_principal: f64,
    /// Spread over the risk-free rate (floating), fraction/yr.
    pub spread: f64,
    /// Scheduled principal repayment per tick, $.
    pub amortisation: f64,
    /// Tick it was made.
    pub start_tick: u32,
    /// Tick the remaining principal is due.
    pub maturity_tick: u32,
    /// Covenants.
    pub covenants: Covenants,
    /// BTC posted as extra collateral.
    pub btc_collateral: f64,
    /// Scheduled payments missed and not yet paid, $.
    pub arrears: f64,
    /// First tick of the current arrears.
    pub arrears_since: Option<u32>,
    /// Status.
    pub status: LoanStatus,
    /// Principal outstanding when it defaulted, $.
    pub defaulted_principal: f64,
    /// Cash recovered after default (BTC, cash, sale proceeds of repossessed lots), $.
    pub recovered: f64,
}

impl Loan {
    /// A new performing loan; its id is set by [`LoanBook::add`].
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        borrower: AgentId,
        lenders: Vec<(AgentId, f64)>,
        principal: f64,
        spread: f64,
        amortisation: f64,
        start_tick: u32,
        maturity_tick: u32,
        covenants: Covenants,
    ) -> Self {
        Loan {
            id: LoanId(0),
            borrower,
            lenders: lenders.into_iter().collect(),
            principal,
            original_principal: principal,
            spread,
            amortisation,
            start_tick,
            maturity_tick,
            covenants,
            btc_collateral: 0.0,
            arrears: 0.0,
            arrears_since: None,
            status: LoanStatus::Performing,
            defaulted_principal: 0.0,
            recovered: 0.0,
        }
    }

    /// Whether the borrower still owes payments on it.
    pub fn is_live(&self) -> bool {
        matches!(
            self.status,
            LoanStatus::Performing | LoanStatus::Called { .. }
        )
    }

    /// Interest for one tick at risk-free `rate`.
    pub fn interest(&self, rate: f64, years_per_tick: f64) -> f64 {
        self.principal * (rate + self.spread).max(0.0) * years_per_tick
    }
}

/// Every loan ever made, with indexes by borrower and by lender so that an agent's loans
/// are found without scanning the book (a planet-scale world holds tens of thousands).
///
/// A loan's borrower and lenders never change once it is added: the indexes rely on it.
#[derive(Resource, Debug, Default)]
pub struct LoanBook {
    loans: Vec<Loan>,
    by_borrower: Vec<Vec<LoanId>>,
    by_lender: Vec<Vec<LoanId>>,
}

impl LoanBook {
    /// Adds a loan and returns its id (the `id` field is overwritten).
    pub fn add(&mut self, mut loan: Loan) -> LoanId {
        let id = LoanId(self.loans.len() as u32);
        loan.id = id;
        list(&mut self.by_borrower, loan.borrower, id);
        for &(lender, _) in &loan.lenders {
            list(&mut self.by_lender, lender, id);
        }
        self.loans.push(loan);
        id
    }

    /// The loan with this id.
    pub fn get(&self, id: LoanId) -> &Loan {
        &self.loans[id.0 as usize]
    }

    /// The loan with this id, mutably.
    pub fn get_mut(&mut self, id: LoanId) -> &mut Loan {
        &mut self.loans[id.0 as usize]
    }

    /// Every loan ever made, in id order.
    pub fn all(&self) -> &[Loan] {
        &self.loans
    }

    /// Every loan ever made, mutably (a loan's borrower and lenders must not change).
    pub fn all_mut(&mut self) -> &mut [Loan] {
        &mut self.loans
    }

    /// Number of loans ever made.
    pub fn len(&self) -> usize {
        self.loans.len()
    }

    /// Whether no loan was ever made.
    pub fn is_empty(&self) -> bool {
        self.loans.is_empty()
    }

    /// Every loan of a borrower, whatever its status, in id order.
    pub fn of_borrower(&self, borrower: AgentId) -> impl Iterator<Item = &Loan> + '_ {
        listed(&self.by_borrower, borrower)
            .iter()
            .map(|id| self.get(*id))
    }

    /// Every loan a lender has a share of, whatever its status, in id order.
    pub fn of_lender(&self, lender: AgentId) -> impl Iterator<Item = &Loan> + '_ {
        listed(&self.by_lender, lender)
            .iter()
            .map(|id| self.get(*id))
    }

    /// A lender's share of the principal of all live loans, $.
    pub fn exposure(&self, lender: AgentId) -> f64 {
        self.of_lender(lender)
            .filter(|l| l.is_live())
            .flat_map(|l| {
                l.lenders
                    .iter()
                    .filter(move |(who, _)| *who == lender)
                    .map(move |(_, s)| s * l.principal)
            })
            .sum()
    }

    /// Live loans of a borrower, in id order.
    pub fn live_of(&self, borrower: AgentId) -> Vec<LoanId> {
        self.of_borrower(borrower)
            .filter(|l| l.is_live())
            .map(|l| l.id)
            .collect()
    }

    /// What a borrower owes now on its live loans: arrears and called principal, $.
    pub fn owed_now(&self, borrower: AgentId) -> f64 {
        self.of_borrower(borrower)
            .filter(|l| l.is_live())
            .map(|l| {
                l.arrears
                    + match l.status {
                        LoanStatus::Called { amount, .. } => amount,
                        _ => 0.0,
                    }
            })
            .sum()
    }
}

/// Terms a lender currently offers for new loans, posted each tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CreditOffer {
    /// The lender.
    pub lender: AgentId,
    /// Whether it lends at all this tick.
    pub open: bool,
    /// Spread over risk-free, fraction/yr.
    pub spread: f64,
    /// Highest loan-to-value at origination.
    pub max_ltv: f64,
    /// Covenant max LTV written into new loans.
    pub covenant_ltv: f64,
    /// Covenant min DSCR.
    pub min_dscr: f64,
    /// Cure period, ticks.
    pub cure_ticks: u32,
    /// Tenor, ticks.
    pub tenor_ticks: u32,
    /// Share of principal amortised over the tenor (the rest is a balloon).
    pub amortising_share: f64,
    /// Most new lending it will do now, $.
    pub capacity: f64,
    /// Whether it lends to BTC miners.
    pub lends_to_miners: bool,
}

/// All lenders' current offers.
#[derive(Resource, Debug, Default)]
pub struct CreditOffers {
    /// Offers in lender id order.
    pub offers: Vec<CreditOffer>,
}

/// What a borrower asks financing for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoanPurpose {
    /// Buying `lots` new lots of `generation` from the vendor.
    Purchase {
        /// Generation to buy.
        generation: GenId,
        /// How many lots.
        lots: u32,
    },
    /// Refinancing a maturing loan.
    Refinance {
        /// The maturing loan.
        loan: LoanId,
    },
}

/// A lender's answer to a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Funded as this loan.
    Funded(LoanId),
    /// Refused, with the reason.
    Refused(&'static str),
}

/// A borrower's request for a loan.
#[derive(Debug, Clone, PartialEq)]
pub struct LoanRequest {
    /// The borrower.
    pub borrower: AgentId,
    /// Whether the borrower is a BTC miner.
    pub borrower_is_miner: bool,
    /// Amount asked, $.
    pub amount: f64,
    /// What for.
    pub purpose: LoanPurpose,
    /// Value of the collateral at cost (vendor price for a purchase), $.
    pub collateral_cost: f64,
    /// The answer, filled by the lenders.
    pub decision: Option<Decision>,
}

/// Requests of this step, answered by lenders and read back by borrowers.
#[derive(Resource, Debug, Default)]
pub struct LoanRequests {
    /// Requests in the order they were made.
    pub requests: Vec<LoanRequest>,
}

/// One repossession: a defaulted loan's lots taken by its lenders, and how they sold.
#[derive(Debug, Clone, PartialEq)]
pub struct Repossession {
    /// Tick of the repossession.
    pub tick: u32,
    /// The defaulted loan.
    pub loan: LoanId,
    /// Lots taken, per generation.
    pub lots_by_generation: Vec<u32>,
    /// Lots sold so far.
    pub sold: u32,
    /// Sale proceeds so far, $.
    pub proceeds: f64,
    /// Fundamental value of the sold lots when they sold, $.
    pub fundamental_at_sale: f64,
    /// Straight-line book value of the sold lots when they sold, $.
    pub book_at_sale: f64,
    /// Tick of the last sale.
    pub last_sale_tick: Option<u32>,
}

impl Repossession {
    /// Lots taken.
    pub fn lots(&self) -> u32 {
        self.lots_by_generation.iter().sum()
    }
}

/// Every repossession of the run, in order.
#[derive(Resource, Debug, Default)]
pub struct Repossessions {
    /// Repossessions; a lot's `repossession` indexes this list.
    pub list: Vec<Repossession>,
}

/// A borrower's recent cash flows, which lenders read to test DSCR covenants.
#[derive(Component, Debug, Clone, Default)]
pub struct BorrowerBooks {
    /// Operating cash flow (revenue − operating costs) of recent ticks, newest last.
    pub operating_cash_flow: VecDeque<f64>,
    /// Scheduled debt service (interest + amortisation) of recent ticks, newest last.
    pub debt_service: VecDeque<f64>,
}

impl BorrowerBooks {
    /// Ticks of history kept (a quarter of weekly ticks).
    pub const WINDOW: usize = 13;

    /// Appends one tick, dropping the oldest beyond the window.
    pub fn push(&mut self, operating_cash_flow: f64, debt_service: f64) {
        self.operating_cash_flow.push_back(operating_cash_flow);
        self.debt_service.push_back(debt_service);
        while self.operating_cash_flow.len() > Self::WINDOW {
            self.operating_cash_flow.pop_front();
            self.debt_service.pop_front();
        }
    }

    /// Trailing debt-service coverage ratio, None without debt service.
    pub fn dscr(&self) -> Option<f64> {
        Self::coverage(self.trailing())
    }

    /// Operating cash flow and scheduled debt service over the window, $.
    pub fn trailing(&self) -> (f64, f64) {
        (
            self.operating_cash_flow.iter().sum(),
            self.debt_service.iter().sum(),
        )
    }

    /// Coverage ratio of trailing (cash flow, debt service), None without debt service.
    pub fn coverage((cash_flow, service): (f64, f64)) -> Option<f64> {
        (service > 0.0).then(|| cash_flow / service)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loan(lenders: Vec<(AgentId, f64)>) -> Loan {
        let covenants = Covenants {
            max_ltv: 0.7,
            min_dscr: 1.2,
            cure_ticks: 4,
        };
        Loan::new(AgentId(9), lenders, 100.0, 0.05, 1.0, 0, 52, covenants)
    }

    #[test]
    fn a_lone_lender_is_kept_in_the_loan_and_a_club_keeps_its_order() {
        let mut book = LoanBook::default();
        let alone = book.add(loan(vec![(AgentId(3), 1.0)]));
        let club = book.add(loan(vec![(AgentId(5), 0.25), (AgentId(2), 0.75)]));
        assert!(
            !book.get(alone).lenders.spilled(),
            "one lender needs no list of its own"
        );
        assert_eq!(book.get(alone).lenders.as_slice(), [(AgentId(3), 1.0)]);
        assert_eq!(
            book.get(club).lenders.as_slice(),
            [(AgentId(5), 0.25), (AgentId(2), 0.75)],
            "the lead lender stays first"
        );
        let of = |lender| {
            book.of_lender(AgentId(lender))
                .map(|l| l.id)
                .collect::<Vec<_>>()
        };
        assert_eq!((of(3), of(5), of(2)), (vec![alone], vec![club], vec![club]));
        assert_eq!(book.exposure(AgentId(2)), 75.0);
    }
}
