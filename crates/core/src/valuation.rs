//! Discounted-margin valuation shared by buyers, operators and the fundamental value.

use std::sync::Arc;

/// Present value of a margin paid each tick for `ticks` ticks, starting at `margin`
/// next tick and growing by `growth` per tick, discounted at `rate` per tick.
///
/// Closed form of the growing annuity, with the `rate == growth` limit handled; a
/// negative margin counts as zero because an owner switches a lot off rather than run
/// it at a loss.
pub fn pv_margin(margin: f64, growth: f64, rate: f64, ticks: f64) -> f64 {
    if margin <= 0.0 || ticks <= 0.0 {
        return 0.0;
    }
    let ratio = (1.0 + growth) / (1.0 + rate);
    let pv = if (ratio - 1.0).abs() < 1e-9 {
        margin * ticks / (1.0 + rate)
    } else {
        margin / (1.0 + rate) * (1.0 - ratio.powf(ticks)) / (1.0 - ratio)
    };
    pv.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_plain_sum() {
        let (m, g, r, n): (f64, f64, f64, f64) = (100.0, -0.005, 0.002, 150.0);
        let sum: f64 = (1..=150)
            .map(|k| m * (1.0 + g).powi(k - 1) / (1.0 + r).powi(k))
            .sum();
        assert!((pv_margin(m, g, r, n) - sum).abs() < 1e-6);
        assert!((pv_margin(m, 0.01, 0.01, 10.0) - 1000.0 / 1.01).abs() < 1e-9);
        assert_eq!(pv_margin(-5.0, 0.0, 0.01, 10.0), 0.0);
    }
}

/// Adaptive rent expectations per generation, with a trend-extrapolation weight.
///
/// The level moves toward each observed rent by `weight`; the trend is the smoothed
/// log change of that level; the growth an agent extrapolates is `trend_weight × trend`,
/// bounded so a single wild tick cannot make a lot worth infinity.
#[derive(Debug, Clone, Default)]
pub struct RentExpectation {
    /// Expected rent per generation, $/GPU-hour.
    pub level: Vec<f64>,
    /// Smoothed log growth of the level per tick.
    pub trend: Vec<f64>,
    /// Weight on the latest observation.
    pub weight: f64,
    /// Weight on the trend when extrapolating.
    pub trend_weight: f64,
}

impl RentExpectation {
    /// Expectations for `n` generations, not yet formed.
    pub fn new(n: usize, weight: f64, trend_weight: f64) -> Self {
        RentExpectation {
            level: vec![0.0; n],
            trend: vec![0.0; n],
            weight,
            trend_weight,
        }
    }

    /// Updates every generation's expectation from this tick's rents (0 = not traded yet).
    pub fn observe(&mut self, rents: &[f64]) {
        for (g, &rent) in rents.iter().enumerate() {
            if !(rent.is_finite() && rent > 0.0) {
                continue;
            }
            if self.level[g] <= 0.0 {
                self.level[g] = rent;
                continue;
            }
            let new_level = self.level[g] + self.weight * (rent - self.level[g]);
            let growth = (new_level / self.level[g]).ln();
            self.trend[g] += self.weight * (growth - self.trend[g]);
            self.level[g] = new_level;
        }
    }

    /// Whether two expectations hold the same bits (so one tick's rents move them alike).
    fn same_as(&self, other: &RentExpectation) -> bool {
        let same = |a: &[f64], b: &[f64]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
        };
        self.weight.to_bits() == other.weight.to_bits()
            && self.trend_weight.to_bits() == other.trend_weight.to_bits()
            && same(&self.level, &other.level)
            && same(&self.trend, &other.trend)
    }

    /// Growth per tick extrapolated for a generation.
    pub fn growth(&self, g: usize) -> f64 {
        (self.trend_weight * self.trend[g]).clamp(-0.05, 0.02)
    }

    /// Present value of one GPU of generation `g` to an owner: expected margin per tick
    /// at the given cost per GPU-hour and utilisation, over `years` at `rate` per year.
    pub fn value_per_gpu(&self, g: usize, economics: &GpuEconomics, years: f64) -> f64 {
        let margin = economics.utilisation
            * (self.level[g] - economics.cost_per_gpu_hour)
            * economics.hours_per_tick;
        let ticks = years / economics.years_per_tick;
        // What pv_margin returns for no margin or no time, without its two powers.
        if margin <= 0.0 || ticks <= 0.0 {
            return 0.0;
        }
        let rate = per_tick_rate(economics.rate, economics.years_per_tick);
        pv_margin(margin, self.growth(g), rate, ticks)
    }
}

/// `(1 + rate)^years_per_tick − 1`, remembering the last one worked out on this thread:
/// an owner values every generation at its own rate in a row, so most calls repeat the
/// previous one (the same inputs give the same bits either way).
pub fn per_tick_rate(rate: f64, years_per_tick: f64) -> f64 {
    use std::cell::Cell;
    thread_local! {
        static LAST: Cell<(u64, u64, f64)> = const { Cell::new((u64::MAX, u64::MAX, 0.0)) };
    }
    let key = (rate.to_bits(), years_per_tick.to_bits());
    LAST.with(|last| {
        let (r, y, value) = last.get();
        if (r, y) == key {
            return value;
        }
        let value = (1.0 + rate).powf(years_per_tick) - 1.0;
        last.set((key.0, key.1, value));
        value
    })
}

/// One tick's expectation updates, shared among owners whose expectations are the same:
/// a class's agents start alike and see the same rents, so twenty thousand start-ups
/// hold one expectation. An owner whose expectation matches one already updated this
/// tick takes the updated one (the same bits [`RentExpectation::observe`] would give);
/// from the first tick on, such owners hold the same shared expectation, so the match is
/// found by pointer and nothing is copied.
#[derive(Debug, Default)]
pub struct SharedObservations {
    /// (before, after) pairs of this tick, newest last.
    updates: Vec<(Arc<RentExpectation>, Arc<RentExpectation>)>,
}

impl SharedObservations {
    /// Updates found this tick are kept up to this many (distinct expectations).
    const KEPT: usize = 16;

    /// Updates `expectation` with this tick's `rents`.
    pub fn observe(&mut self, expectation: &mut Arc<RentExpectation>, rents: &[f64]) {
        let found = self
            .updates
            .iter()
            .find(|(before, _)| Arc::ptr_eq(before, expectation))
            .or_else(|| {
                self.updates
                    .iter()
                    .find(|(before, _)| before.same_as(expectation))
            });
        if let Some((_, after)) = found {
            *expectation = Arc::clone(after);
            return;
        }
        let before = Arc::clone(expectation);
        let mut after = RentExpectation::clone(expectation);
        after.observe(rents);
        *expectation = Arc::new(after);
        if self.updates.len() == Self::KEPT {
            self.updates.remove(0);
        }
        self.updates.push((before, Arc::clone(expectation)));
    }
}

/// What an owner plugs into a valuation.
#[derive(Debug, Clone, Copy)]
pub struct GpuEconomics {
    /// Cost of running one GPU-hour (power and opex), $.
    pub cost_per_gpu_hour: f64,
    /// Expected share of hours dispatched and available.
    pub utilisation: f64,
    /// Discount rate per year.
    pub rate: f64,
    /// Hours per tick.
    pub hours_per_tick: f64,
    /// Years per tick.
    pub years_per_tick: f64,
}
