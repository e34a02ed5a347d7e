//! Structured finance: the pieces of the article's instruments that are arithmetic
//! before they are behaviour.
//!
//! [`Waterfall`] is a GPU ABS's capital stack (senior, mezzanine and equity tranches over
//! a pool of lots) and the order in which the pool's rent pays them each period: opex,
//! senior interest, mezzanine interest, scheduled amortisation (senior first), then the
//! equity; while an over-collateralisation or debt-service-coverage trigger is breached,
//! everything after interest goes to the senior tranche. Losses are written down from the
//! bottom of the stack. It holds no agent and moves no money itself: an [`Spv`] feeds it
//! what its pool collects and the pool's appraisal, and pays out what it returns through
//! the ledger.
//!
//! The agents and systems of the capital markets: operators' unsecured notes (high-yield
//! bonds and convertibles, [`Issuer`]) bought by [`BondInvestor`]s in a bond market
//! ([`issue_notes`]), serviced in phase 5 ([`service_notes`]), and paid from bankrupt
//! estates after the secured lenders ([`distribute_estates`]); and GPU ABS, whose
//! special-purpose vehicles ([`Spv`]) pay their pools' rent through a [`Waterfall`]
//! ([`pay_waterfalls`]) and sell the pool at final maturity or acceleration.
//!
//! [`by_priority`] splits a defaulted borrower's estate among secured loans, bonds and
//! equity by absolute priority, and [`settle_convertible`] decides whether a convertible
//! note converts, is repaid or must be refinanced.
#![warn(missing_docs)]

mod abs;
mod estates;
mod investor;
mod issuer;
mod market;
mod plugin;
mod priority;
mod service;
mod waterfall;

pub use abs::*;
pub use estates::*;
pub use investor::*;
pub use issuer::*;
pub use market::*;
pub use plugin::*;
pub use priority::*;
pub use service::*;
pub use waterfall::*;
