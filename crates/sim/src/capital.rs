//! `capital.csv`: the capital markets' series (worlds with notes or GPU ABS only).

use firesale_structured::CapitalMetrics;

/// Columns of `capital.csv`.
pub const CAPITAL_COLUMNS: [&str; 24] = [
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
    "abs_pool_value",
    "senior_principal",
    "mezz_principal",
    "equity_principal",
    "senior_loss",
    "mezz_loss",
    "equity_loss",
    "senior_loss_at_marks",
    "mezz_loss_at_marks",
    "equity_loss_at_marks",
    "abs_breached",
    "abs_liquidating",
];

/// One tick's cells of `capital.csv` after the tick and date: numbers, None for an
/// empty cell; counts as numbers too.
pub fn capital_cells(c: &CapitalMetrics) -> Vec<Option<f64>> {
    let mut cells = vec![
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
    ];
    match &c.abs {
        Some(a) => {
            cells.push(Some(a.pool_value));
            cells.extend(a.principal.iter().map(|&p| Some(p)));
            cells.extend(a.loss_shares().iter().map(|&l| Some(l)));
            cells.extend(a.loss_shares_at_marks().iter().map(|&l| Some(l)));
            cells.push(Some(f64::from(a.breached)));
            cells.push(Some(f64::from(a.liquidating)));
        }
        None => cells.extend([None; 12]),
    }
    cells
}
