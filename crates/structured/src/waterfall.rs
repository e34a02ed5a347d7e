//! The cash-flow waterfall and loss allocation of a tranched pool.

/// One tranche of the capital stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Tranche {
    /// Name (`senior`, `mezzanine`, `equity`).
    pub name: String,
    /// Principal at issue, $.
    pub original: f64,
    /// Principal outstanding, $ (after repayments and write-downs).
    pub principal: f64,
    /// Coupon per period (0 for the equity, which takes the residual).
    pub coupon: f64,
    /// Interest due and not paid, carried to the next period, $.
    pub interest_shortfall: f64,
    /// Principal written down by losses so far, $.
    pub written_down: f64,
}

impl Tranche {
    /// A tranche of `principal` paying `coupon` per period.
    pub fn new(name: &str, principal: f64, coupon: f64) -> Self {
        Tranche {
            name: name.to_string(),
            original: principal,
            principal,
            coupon,
            interest_shortfall: 0.0,
            written_down: 0.0,
        }
    }

    /// Share of its original principal lost so far.
    pub fn loss_share(&self) -> f64 {
        if self.original > 0.0 {
            self.written_down / self.original
        } else {
            0.0
        }
    }
}

/// When cash stops flowing to the junior tranches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Triggers {
    /// Least pool value over the debt tranches' principal (over-collateralisation).
    pub min_oc: f64,
    /// Least cash after opex over the period's debt service (interest and scheduled
    /// amortisation).
    pub min_dscr: f64,
}

/// Which trigger diverted cash this period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breach {
    /// Pool value fell below `min_oc` of the debt.
    Overcollateralisation,
    /// Cash after opex fell below `min_dscr` of the debt service.
    Coverage,
}

/// What a period brings in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    /// Rent collected from the pool, $.
    pub collections: f64,
    /// Servicing, power and other opex due, $.
    pub opex: f64,
    /// The pool's lots at their mark, $.
    pub pool_value: f64,
}

/// Where a period's cash went.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Payments {
    /// Opex paid, $.
    pub opex: f64,
    /// Interest paid per debt tranche, senior first, $.
    pub interest: Vec<f64>,
    /// Principal repaid per debt tranche, senior first, $.
    pub principal: Vec<f64>,
    /// Residual paid to the equity, $.
    pub equity: f64,
    /// The trigger that diverted cash to the senior tranche, if one did.
    pub breach: Option<Breach>,
}

/// A tranched pool: debt tranches from the most senior down, and the equity below them.
#[derive(Debug, Clone, PartialEq)]
pub struct Waterfall {
    /// Debt tranches, most senior first (senior, mezzanine ...).
    pub debt: Vec<Tranche>,
    /// The equity tranche (residual claim, first loss).
    pub equity: Tranche,
    /// Scheduled amortisation of the debt per period, $ (paid senior first).
    pub amortisation: f64,
    /// Triggers.
    pub triggers: Triggers,
}

impl Waterfall {
    /// Debt principal outstanding, $.
    pub fn debt_principal(&self) -> f64 {
        self.debt.iter().map(|t| t.principal).sum()
    }

    /// Runs one period's cash through the waterfall: opex, each debt tranche's interest
    /// (with any shortfall carried from before) in order of seniority, scheduled
    /// amortisation senior first, then the equity. While a trigger is breached the cash
    /// left after interest pays down the senior tranches instead of reaching the equity.
    pub fn pay(&mut self, period: Period) -> Payments {
        let mut cash = period.collections.max(0.0);
        let mut out = Payments {
            interest: vec![0.0; self.debt.len()],
            principal: vec![0.0; self.debt.len()],
            ..Payments::default()
        };
        out.opex = period.opex.max(0.0).min(cash);
        cash -= out.opex;
        let service: f64 = self
            .debt
            .iter()
            .map(|t| t.principal * t.coupon + t.interest_shortfall)
            .sum::<f64>()
            + self.amortisation.min(self.debt_principal());
        let debt = self.debt_principal();
        out.breach = if debt > 0.0 && period.pool_value < self.triggers.min_oc * debt {
            Some(Breach::Overcollateralisation)
        } else if service > 0.0 && cash < self.triggers.min_dscr * service {
            Some(Breach::Coverage)
        } else {
            None
        };
        for (i, t) in self.debt.iter_mut().enumerate() {
            let due = t.principal * t.coupon + t.interest_shortfall;
            let paid = due.min(cash);
            cash -= paid;
            out.interest[i] = paid;
            t.interest_shortfall = due - paid;
        }
        // Principal, senior first: the schedule when all is well, everything when a
        // trigger is breached.
        let mut to_principal = match out.breach {
            Some(_) => cash,
            None => self.amortisation.min(cash),
        };
        cash -= to_principal;
        for (i, t) in self.debt.iter_mut().enumerate() {
            let paid = to_principal.min(t.principal);
            t.principal -= paid;
            to_principal -= paid;
            out.principal[i] = paid;
        }
        // Cash beyond every debt principal (a fully repaid stack) is the equity's too.
        out.equity = cash + to_principal;
        out
    }

    /// Writes down the claims the pool can no longer cover: with the pool worth
    /// `pool_value` (its lots sold or marked), the shortfall against the debt and equity
    /// principal is lost from the bottom of the stack, the equity first, then each debt
    /// tranche from the most junior up. Returns the loss written down now, $.
    pub fn write_down(&mut self, pool_value: f64) -> f64 {
        let claims = self.debt_principal() + self.equity.principal;
        let mut loss = (claims - pool_value.max(0.0)).max(0.0);
        let total = loss;
        for t in std::iter::once(&mut self.equity).chain(self.debt.iter_mut().rev()) {
            let hit = loss.min(t.principal);
            t.principal -= hit;
            t.written_down += hit;
            loss -= hit;
        }
        total - loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// $100 pool: senior 70 at 1%, mezzanine 20 at 2%, equity 10; amortisation 5.
    fn abs() -> Waterfall {
        Waterfall {
            debt: vec![
                Tranche::new("senior", 70.0, 0.01),
                Tranche::new("mezzanine", 20.0, 0.02),
            ],
            equity: Tranche::new("equity", 10.0, 0.0),
            amortisation: 5.0,
            triggers: Triggers {
                min_oc: 1.05,
                min_dscr: 1.2,
            },
        }
    }

    #[test]
    fn cash_pays_opex_interest_in_order_the_schedule_then_the_equity() {
        let mut w = abs();
        let paid = w.pay(Period {
            collections: 12.0,
            opex: 1.0,
            pool_value: 100.0,
        });
        assert_eq!(paid.opex, 1.0);
        assert!((paid.interest[0] - 0.7).abs() < 1e-12 && (paid.interest[1] - 0.4).abs() < 1e-12);
        assert_eq!(
            paid.principal,
            vec![5.0, 0.0],
            "amortisation goes senior first"
        );
        assert!((paid.equity - (12.0 - 1.0 - 1.1 - 5.0)).abs() < 1e-12);
        assert_eq!(paid.breach, None);
        assert_eq!(w.debt[0].principal, 65.0);
    }

    #[test]
    fn a_thin_period_pays_senior_interest_first_and_carries_the_shortfall() {
        let mut w = abs();
        let paid = w.pay(Period {
            collections: 1.5,
            opex: 1.0,
            pool_value: 100.0,
        });
        assert_eq!(
            paid.interest[0], 0.5,
            "senior takes what is left after opex"
        );
        assert_eq!(paid.interest[1], 0.0, "mezzanine gets nothing");
        assert!((w.debt[0].interest_shortfall - 0.2).abs() < 1e-12);
        assert!((w.debt[1].interest_shortfall - 0.4).abs() < 1e-12);
        assert_eq!(paid.breach, Some(Breach::Coverage));
        // Next period the shortfall is paid before anything else of the tranche.
        let paid = w.pay(Period {
            collections: 20.0,
            opex: 0.0,
            pool_value: 100.0,
        });
        assert!((paid.interest[0] - 0.9).abs() < 1e-12 && (paid.interest[1] - 0.8).abs() < 1e-12);
    }

    #[test]
    fn a_breached_trigger_sends_everything_after_interest_to_the_senior() {
        let mut w = abs();
        // Pool marked at 90 against 90 of debt: OC 1.0 below 1.05.
        let paid = w.pay(Period {
            collections: 12.0,
            opex: 1.0,
            pool_value: 90.0,
        });
        assert_eq!(paid.breach, Some(Breach::Overcollateralisation));
        assert_eq!(paid.equity, 0.0, "the equity is cut off");
        assert!((paid.principal[0] - (12.0 - 1.0 - 1.1)).abs() < 1e-12);
        assert_eq!(paid.principal[1], 0.0);
    }

    #[test]
    fn the_senior_loses_only_after_the_mezzanine_and_equity_are_gone() {
        for (pool, equity, mezz, senior) in [
            (95.0, 5.0, 0.0, 0.0),
            (90.0, 10.0, 0.0, 0.0),
            (75.0, 10.0, 15.0, 0.0),
            (70.0, 10.0, 20.0, 0.0),
            (50.0, 10.0, 20.0, 20.0),
        ] {
            let mut w = abs();
            let lost = w.write_down(pool);
            assert!((lost - (100.0 - pool)).abs() < 1e-12);
            assert_eq!(
                (
                    w.equity.written_down,
                    w.debt[1].written_down,
                    w.debt[0].written_down
                ),
                (equity, mezz, senior),
                "pool at {pool}"
            );
        }
        let mut w = abs();
        w.write_down(50.0);
        assert_eq!(w.equity.loss_share(), 1.0);
        assert_eq!(w.debt[1].loss_share(), 1.0);
        assert!((w.debt[0].loss_share() - 20.0 / 70.0).abs() < 1e-12);
    }
}
