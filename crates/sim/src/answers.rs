//! The questions credit analysts ask of a run, tracked tick by tick from what the run
//! recorded (never from anything the agents could not have produced).

use firesale_core::{Clock, Generations, Metrics, Repossession};
use serde::Serialize;

/// Running tallies for the analysts' answers.
#[derive(Debug, Clone, Default)]
pub struct AnswerTracker {
    /// Largest paper-vs-market LTV gap so far, and its date.
    pub illusion: Option<(f64, String)>,
    /// (btc return, demand return) pairs in calm ticks.
    pub calm: Vec<(f64, f64)>,
    /// The same in stress ticks.
    pub stress: Vec<(f64, f64)>,
    /// Date of the first operator default.
    pub first_default: Option<String>,
    /// Date of the first tenant default.
    pub first_tenant_default: Option<String>,
}

impl AnswerTracker {
    /// Takes one finished tick into account.
    pub fn observe(
        &mut self,
        clock: &Clock,
        metrics: &Metrics,
        btc_return: f64,
        demand_return: f64,
    ) {
        let date = clock.today_str();
        if let (Some(market), Some(paper)) = (metrics.ltv_market, metrics.ltv_paper) {
            let gap = market - paper;
            if self.illusion.as_ref().is_none_or(|(g, _)| gap > *g) {
                self.illusion = Some((gap, date.clone()));
            }
        }
        if clock.tick > 0 {
            let pair = (btc_return, demand_return);
            if metrics.stress {
                self.stress.push(pair)
            } else {
                self.calm.push(pair)
            }
        }
        if metrics.defaults_cum > 0 && self.first_default.is_none() {
            self.first_default = Some(date.clone());
        }
        if metrics.tenant_defaults_cum > 0 && self.first_tenant_default.is_none() {
            self.first_tenant_default = Some(date);
        }
    }
}

/// Pearson correlation of pairs (None under 10 pairs or with no variance).
pub fn correlation(pairs: &[(f64, f64)]) -> Option<f64> {
    if pairs.len() < 10 {
        return None;
    }
    let n = pairs.len() as f64;
    let (mx, my) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// "Liquidating 10,000 H100s": how the run's largest repossession sold.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LargestLiquidation {
    /// Date of the repossession.
    pub date: String,
    /// Generation most of its lots belong to.
    pub generation: String,
    /// Lots repossessed.
    pub lots: u32,
    /// GPUs repossessed.
    pub gpus: u64,
    /// Lots sold by the end of the run.
    pub sold_lots: u32,
    /// Weeks from repossession to the last sale, when every lot sold.
    pub weeks_to_sell: Option<f64>,
    /// `1 - proceeds / fundamental value at sale` over the sold lots.
    pub discount_to_fundamental: Option<f64>,
    /// `1 - proceeds / straight-line book value at sale` over the sold lots.
    pub discount_to_book: Option<f64>,
}

impl LargestLiquidation {
    /// Describes the largest of the run's repossessions, if any.
    pub fn of(list: &[Repossession], clock: &Clock, gens: &Generations) -> Option<Self> {
        let r = list
            .iter()
            .max_by_key(|r| (r.lots(), std::cmp::Reverse(r.tick)))?;
        let main = (0..r.lots_by_generation.len())
            .max_by_key(|&g| (r.lots_by_generation[g], std::cmp::Reverse(g)))?;
        let ratio = |value: f64| (value > 0.0 && r.sold > 0).then(|| 1.0 - r.proceeds / value);
        Some(LargestLiquidation {
            date: clock.date_of(r.tick).to_string(),
            generation: gens.list[main].name.clone(),
            lots: r.lots(),
            gpus: u64::from(r.lots()) * u64::from(gens.gpus_per_lot),
            sold_lots: r.sold,
            weeks_to_sell: (r.sold == r.lots())
                .then(|| {
                    r.last_sale_tick
                        .map(|t| f64::from(t - r.tick) * f64::from(clock.tick_days) / 7.0)
                })
                .flatten(),
            discount_to_fundamental: ratio(r.fundamental_at_sale),
            discount_to_book: ratio(r.book_at_sale),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_of_a_line_is_one() {
        let pairs: Vec<(f64, f64)> = (0..20)
            .map(|i| (f64::from(i), 2.0 * f64::from(i) + 1.0))
            .collect();
        assert!((correlation(&pairs).unwrap() - 1.0).abs() < 1e-12);
        let anti: Vec<(f64, f64)> = (0..20).map(|i| (f64::from(i), -f64::from(i))).collect();
        assert!((correlation(&anti).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(correlation(&pairs[..5]), None);
    }
}
