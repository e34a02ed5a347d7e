//! Structured finance: the pieces of the article's instruments that are arithmetic
//! before they are behaviour.
//!
//! [`Waterfall`] is a GPU ABS's capital stack (senior, mezzanine and equity tranches over
//! a pool of lots) and the order in which the pool's rent pays them each period: opex,
//! senior interest, mezzanine interest, scheduled amortisation (senior first), then the
//! equity; while an over-collateralisation or debt-service-coverage trigger is breached,
//! everything after interest goes to the senior tranche. Losses are written down from the
//! bottom of the stack. It holds no agent and moves no money itself: the simulation's
//! SPV agent (issue 12) will feed it the rent it collects and the mark of its lots, and
//! pay out what it returns through the ledger.
//!
//! [`by_priority`] splits a defaulted borrower's estate among secured loans, bonds and
//! equity by absolute priority, and [`settle_convertible`] decides whether a convertible
//! note converts, is repaid or must be refinanced.
#![warn(missing_docs)]

mod priority;
mod waterfall;

pub use priority::*;
pub use waterfall::*;
