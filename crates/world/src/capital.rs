//! The capital markets in a world file: operators' unsecured notes and the bond
//! investors who buy them.

use crate::schema::Dist;
use chrono::NaiveDate;
use firesale_core::rules::RuleChoice;
use serde::{Deserialize, Serialize};

/// Unsecured notes of an operator class: those it owes at the start and what it sells
/// when a note falls due or its expansion needs equity its cash cannot pay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotesSpec {
    /// Share price its first valuation is scaled to, $ (starting convertibles' conversion
    /// prices are premiums over it).
    #[serde(default = "default_share_price")]
    pub initial_share_price: f64,
    /// Notes outstanding at the start, each a share of its starting fleet's cost (they
    /// paid for that share of the fleet, in place of its equity).
    #[serde(default)]
    pub outstanding: Vec<StartingNote>,
    /// The notes it sells from now on.
    pub new_issues: NewIssueSpec,
}

fn default_share_price() -> f64 {
    10.0
}

/// A note owed at the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartingNote {
    /// High yield or convertible.
    pub kind: StartingNoteKind,
    /// Principal as a share of the starting fleet's cost.
    pub share_of_fleet_cost: f64,
    /// Coupon, per year.
    pub coupon: f64,
    /// Issue date (coupons fall every `new_issues.coupon_weeks` from it).
    pub issued: NaiveDate,
    /// Maturity date (after the start).
    pub maturity: NaiveDate,
}

/// Kind of a note owed at the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StartingNoteKind {
    /// A straight high-yield bond.
    HighYield,
    /// A convertible.
    Convertible {
        /// Conversion price over `initial_share_price`.
        premium: f64,
        /// Date holders may put it at par (None: no put).
        #[serde(default)]
        put: Option<NaiveDate>,
    },
}

/// What an issuer sells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIssueSpec {
    /// High yield or convertible.
    pub kind: NewNoteKind,
    /// Tenor, years.
    pub tenor_years: f64,
    /// Weeks between coupon dates.
    #[serde(default = "default_coupon_weeks")]
    pub coupon_weeks: u32,
    /// Weeks it may miss a payment before it must file (the indenture's grace period).
    #[serde(default = "default_grace_weeks")]
    pub grace_weeks: u32,
    /// Highest straight yield it accepts: above it a rollover fails.
    pub max_yield: f64,
    /// Whether it sells notes to pay the equity part of expansion its cash cannot.
    #[serde(default)]
    pub for_growth: bool,
    /// Smallest issue worth selling, $.
    #[serde(default)]
    pub min_issue: f64,
}

fn default_coupon_weeks() -> u32 {
    26
}

fn default_grace_weeks() -> u32 {
    4
}

/// Kind of the notes an issuer sells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NewNoteKind {
    /// A straight high-yield bond at the yield investors ask.
    HighYield,
    /// A convertible.
    Convertible {
        /// Conversion price over the share price at issue.
        premium: f64,
        /// Years after issue holders may put it (None: no put).
        #[serde(default)]
        put_years: Option<f64>,
        /// Points of yield the conversion option is worth to buyers: the coupon is the
        /// straight yield asked less this.
        coupon_cut: f64,
    },
}

/// A class of bond investors: high-yield and convertible funds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BondInvestorClass {
    /// Class name.
    pub name: String,
    /// Number of agents.
    pub count: u32,
    /// Capital at the start, $.
    pub capital: Dist,
    /// Most of its capital it holds in one issuer's notes.
    pub max_issuer_share: f64,
    /// Its weight in holding the notes operators owe at the start (0: none).
    #[serde(default)]
    pub starting_book_weight: f64,
    /// Its decision rules by name (left out: the built-ins; `firesale rules`).
    #[serde(default, skip_serializing_if = "InvestorRuleChoices::is_empty")]
    pub rules: InvestorRuleChoices,
}

/// The rules a bond investor class chooses (None: the family's built-in).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvestorRuleChoices {
    /// `investor.pricing`: the yield it asks of a new note.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::rule_choice::investor_pricing",
        serialize_with = "crate::rule_choice::some"
    )]
    pub pricing: Option<RuleChoice>,
}

impl InvestorRuleChoices {
    /// Whether it names no rule.
    pub fn is_empty(&self) -> bool {
        self.pricing.is_none()
    }
}

/// A GPU ABS: a special-purpose vehicle that bought a pool of lots, or of operators'
/// GPU loans, with the money of its tranches' holders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbsSpec {
    /// The deal's name (its SPV is `<name>-spv`).
    pub name: String,
    /// What the SPV owns.
    pub pool: AbsPool,
    /// Servicer's fee, share of the cash collected.
    pub servicing_share: f64,
    /// Cash reserve funded at issue, as a share of the pool's cost.
    pub reserve_share: f64,
    /// Years from the start to the legal final maturity, when the pool is sold.
    pub tenor_years: f64,
    /// Share of the debt amortised by schedule over the tenor (the rest is paid by
    /// what the pool returns beyond it, at the latest by the sale at maturity).
    pub amortising_share: f64,
    /// The capital stack, most senior first; the last is the equity (coupon 0).
    pub tranches: Vec<TrancheSpec>,
    /// Least value of the pool over the debt before cash is diverted to the senior.
    pub min_oc: f64,
    /// Least cash after opex over the debt service before cash is diverted.
    pub min_dscr: f64,
    /// Weeks of unpaid senior interest before the deal is accelerated: every dollar
    /// after interest pays the senior, and a pool of lots is sold.
    pub accelerate_after_weeks: u32,
    /// Reserve of the first `liquidation_weeks` of a sale, as a share of the reference price.
    pub liquidation_reserve: f64,
    /// Weeks the servicer holds out for that reserve before selling at any bid.
    pub liquidation_weeks: u32,
}

/// What a GPU ABS owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AbsPool {
    /// Lots it runs in the compute market for spot rent.
    Lots {
        /// Generation of the pool's lots.
        generation: String,
        /// GPUs in the pool.
        gpus: f64,
        /// When the pool was bought, new at the vendor's list price (on or before the start).
        bought: NaiveDate,
        /// Power price of the pool's racks, $/kWh.
        power_price: f64,
    },
    /// The starting GPU loans of these operator classes (it is their only lender); it
    /// sells the collateral of a loan that defaults.
    Loans {
        /// Operator classes whose starting loans it holds.
        operators: Vec<String>,
    },
}

/// One tranche of a GPU ABS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrancheSpec {
    /// `senior`, `mezzanine`, `equity` ...
    pub name: String,
    /// Share of the pool's cost and reserve it funded.
    pub share: f64,
    /// Coupon, per year (0 for the equity).
    pub coupon: f64,
    /// Bond investor class holding it (its agents pro rata to their capital).
    pub holder: String,
}
