//! `capital.csv`: the capital markets' series (worlds with notes only).

use firesale_structured::CapitalMetrics;

/// Columns of `capital.csv`.
pub const CAPITAL_COLUMNS: [&str; 12] = [
    "tick",
    "date",
    "convertible_outstanding",
    "high_yield_outstanding",
    "notes_issued",
    "new_issue_yield",
    "coupons_paid",
    "failed_rollovers_cum",
    "bond_defaults_cum",
    "conversions_cum",
    "bond_claims_cum",
    "bond_recovered_cum",
];

/// One tick's cells of `capital.csv` after the tick and date: numbers, None for an
/// empty cell; counts as numbers too.
pub fn capital_cells(c: &CapitalMetrics) -> Vec<Option<f64>> {
    vec![
        Some(c.convertible_outstanding),
        Some(c.high_yield_outstanding),
        Some(c.issued),
        c.new_issue_yield,
        Some(c.coupons_paid),
        Some(f64::from(c.failed_rollovers_cum)),
        Some(f64::from(c.bond_defaults_cum)),
        Some(f64::from(c.conversions_cum)),
        Some(c.bond_claims_cum),
        Some(c.bond_recovered_cum),
    ]
}
