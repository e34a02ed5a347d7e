//! Recoveries in default by absolute priority, and what a convertible note does at its
//! maturity or put date.

/// Splits what a defaulted borrower's estate realises among its claims by absolute
/// priority: `claims` are amounts owed, most senior first (secured GPU loans, then
/// unsecured bonds and convertibles, then equity); each class is paid in full before the
/// next gets anything, and a class that cannot be paid in full shares what is left pro
/// rata. Returns what each claim recovers, $.
pub fn by_priority(value: f64, claims: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut left = value.max(0.0);
    claims
        .iter()
        .map(|class| {
            let owed: f64 = class.iter().map(|c| c.max(0.0)).sum();
            let paid = owed.min(left);
            left -= paid;
            let share = if owed > 0.0 { paid / owed } else { 0.0 };
            class.iter().map(|c| c.max(0.0) * share).collect()
        })
        .collect()
}

/// What a convertible note becomes at its maturity or put date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// Holders convert: the issuer's shares are worth more than the principal.
    Convert,
    /// The issuer repays the principal from cash.
    Repay,
    /// The issuer must refinance the principal (or default if nobody lends).
    Refinance,
}

/// A convertible holder converts when the shares it would receive (principal over the
/// conversion price) are worth more than the principal, i.e. when the issuer's share
/// price is above the conversion price; otherwise it takes its principal back (at
/// maturity, or by putting the note), which the issuer pays from cash beyond its buffer
/// or must refinance.
pub fn settle_convertible(
    share_price: f64,
    conversion_price: f64,
    principal: f64,
    spare_cash: f64,
) -> Settlement {
    if conversion_price > 0.0 && share_price > conversion_price {
        Settlement::Convert
    } else if spare_cash >= principal {
        Settlement::Repay
    } else {
        Settlement::Refinance
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secured_claims_are_paid_before_bonds_and_bonds_before_equity() {
        // Two secured loans of 60 and 40, two bonds of 50 each, equity of 30.
        let claims = vec![vec![60.0, 40.0], vec![50.0, 50.0], vec![30.0]];
        let paid = by_priority(150.0, &claims);
        assert_eq!(paid[0], vec![60.0, 40.0], "secured in full");
        assert_eq!(paid[1], vec![25.0, 25.0], "bonds share the rest pro rata");
        assert_eq!(paid[2], vec![0.0], "equity gets nothing");
        let paid = by_priority(80.0, &claims);
        assert_eq!(paid[0], vec![48.0, 32.0]);
        assert_eq!(
            paid[1],
            vec![0.0, 0.0],
            "no bond recovery until secured are whole"
        );
        let paid = by_priority(250.0, &claims);
        assert_eq!(paid[2], vec![30.0]);
    }

    #[test]
    fn a_convertible_converts_only_above_its_conversion_price() {
        assert_eq!(
            settle_convertible(12.0, 10.0, 100.0, 0.0),
            Settlement::Convert
        );
        assert_eq!(
            settle_convertible(10.0, 10.0, 100.0, 500.0),
            Settlement::Repay
        );
        assert_eq!(
            settle_convertible(8.0, 10.0, 100.0, 50.0),
            Settlement::Refinance
        );
    }
}
