//! How an owner expects a generation's rent to move over a lot's life: its rent outlook.
//!
//! Two built-in outlooks, chosen per class (`rules: (outlook: Rule("adaptive", {}))`):
//!
//! - `roadmap` (the default): today's rent, as the owner has smoothed it, carried forward
//!   by the [`Roadmap`] the compute market forecasts from what everyone knows: the fleet
//!   installed today, the generations the vendor has announced (release dates,
//!   performance, power, price, weekly supply), the trend of demand and the end of each
//!   cohort's life. As announced generations ship they undercut older ones in the merit
//!   order, so an older lot's expected rent falls, and it goes dark when the price falls
//!   below its running cost. A used lot is then worth what its remaining place in the
//!   merit order is worth, not what its own rent history extrapolates.
//! - `adaptive`: the owner extrapolates each generation's own smoothed rent trend
//!   ([`RentExpectation::growth`]) and ignores the roadmap: the rule every valuation
//!   used before roadmaps were forecast, kept so that a world can ask how much of a
//!   crisis is owners valuing old hardware as if nothing newer were coming.

use crate::rules::{Family, Registry, RuleInfo};
use crate::{GpuEconomics, RentExpectation};
use std::sync::{Arc, RwLock};

/// The compute market's forecast of every generation's rent, made each tick from the
/// announced roadmap (see `firesale_markets::forecast_rents`). Paths are relative to
/// today, so each owner anchors them on its own smoothed rent and observed dispatch.
#[derive(Debug, Clone, Default)]
pub struct Roadmap {
    /// Per generation, expected rent `s` ticks ahead over the forecast's rent today,
    /// `s = 1..=len` at index `s - 1`; past the end the last value holds.
    pub rent_ratio: Vec<Vec<f64>>,
    /// Per generation, expected rent `s` ticks ahead over today's observed rent: the
    /// forecast's ratio times the part of today's gap that has closed by then
    /// (`rent_ratio × exp(gap × (convergence^s − 1))`), worked out once a forecast by
    /// [`Roadmap::close_gaps`]; what valuations read.
    pub expected_ratio: Vec<Vec<f64>>,
    /// Per generation, expected change in the share of hours a unit earns `s` ticks
    /// ahead against today's forecast (dispatch times availability), same indexing.
    pub dispatch_shift: Vec<Vec<f64>>,
    /// Per generation, the log of today's clearing price over the forecast's own price
    /// today: the part of today's price the roadmap does not explain, which the market
    /// expects to close at `convergence` a tick (0 for rigs).
    pub gap: Vec<f64>,
    /// Share of the gap left after one tick (from the world's
    /// `compute.forecast_gap_half_life_years`; 1 keeps it for ever).
    pub convergence: f64,
    /// Largest share of hours a unit can earn (the market's availability).
    pub availability: f64,
    /// The forecast's compute price per H100-hour, today and each tick ahead (before
    /// the gap), for the record.
    pub forecast_price: Vec<f64>,
}

impl Roadmap {
    /// Works out `expected_ratio` from the forecast's ratios, gaps and convergence.
    pub fn close_gaps(&mut self) {
        self.expected_ratio = self
            .rent_ratio
            .iter()
            .enumerate()
            .map(|(g, ratios)| {
                let gap = self.gap.get(g).copied().unwrap_or(0.0);
                let mut left = 1.0;
                ratios
                    .iter()
                    .map(|r| {
                        left *= self.convergence;
                        r * (gap * (left - 1.0)).exp()
                    })
                    .collect()
            })
            .collect();
    }

    /// Present value of one unit of generation `g`: the owner's smoothed rent `level`
    /// moved by the forecast's ratio and the closing of today's gap, its observed
    /// utilisation moved by the forecast's change in dispatch, less its running cost,
    /// summed over `ticks` (a fractional last tick counts in part) at `rate` per tick. A
    /// tick with a negative margin counts as zero: the owner switches the unit off.
    pub fn present_value(
        &self,
        g: usize,
        level: f64,
        economics: &GpuEconomics,
        rate: f64,
        ticks: f64,
    ) -> f64 {
        if ticks <= 0.0 || level <= 0.0 {
            return 0.0;
        }
        let (Some(ratio), Some(shift)) = (self.expected_ratio.get(g), self.dispatch_shift.get(g))
        else {
            // No forecast (a view built outside a run): today's rent held flat.
            let margin = economics.utilisation
                * (level - economics.cost_per_gpu_hour)
                * economics.hours_per_tick;
            return crate::pv_margin(margin, 0.0, rate, ticks);
        };
        let ceiling = self.availability.max(economics.utilisation);
        let discount = 1.0 / (1.0 + rate);
        // Margin `s` ticks ahead, per hour.
        let at = |s: usize| {
            let i = s.min(ratio.len()).saturating_sub(1);
            let (r, d) = if ratio.is_empty() {
                (1.0, 0.0)
            } else {
                (ratio[i], shift[i])
            };
            let utilisation = (economics.utilisation + d).clamp(0.0, ceiling);
            (utilisation * (level * r - economics.cost_per_gpu_hour)).max(0.0)
        };
        // Summed a quarter at a time: the margin of a quarter's middle tick times the
        // quarter's discount factors. A valuation is asked for tens of thousands of times
        // a tick, each owner at its own power price and rate, and the forecast moves
        // little within a quarter (planet: 16 s a run summed tick by tick, 11 s so).
        let block = (0.25 / economics.years_per_tick).round().max(1.0) as usize;
        let block_sum =
            (1.0 - discount.powi(block as i32)) / (1.0 - discount).max(f64::MIN_POSITIVE);
        let whole = ticks.floor() as usize;
        let part = ticks - ticks.floor();
        let mut value = 0.0;
        let mut factor = 1.0; // discount to the tick before the block
        let mut s = 1;
        while s + block <= whole + 1 {
            value += at(s + block / 2) * factor * discount * block_sum;
            factor *= discount.powi(block as i32);
            s += block;
        }
        while s <= whole {
            factor *= discount;
            value += at(s) * factor;
            s += 1;
        }
        if part > 0.0 {
            value += at(whole + 1) * factor * discount * part;
        }
        value * economics.hours_per_tick
    }
}

/// What an owner reads to value a unit: its own smoothed rents, the forecast roadmap,
/// and the economics of the unit to it.
pub struct OutlookView<'a> {
    /// The owner's smoothed rents and trends.
    pub expectation: &'a RentExpectation,
    /// The market's forecast from the announced roadmap.
    pub roadmap: &'a Roadmap,
    /// The generation valued (its index).
    pub generation: usize,
    /// Running cost, utilisation, rate and tick length, to the owner.
    pub economics: &'a GpuEconomics,
    /// Years the owner counts on (its horizon, capped by the unit's remaining life).
    pub years: f64,
}

/// `owner.outlook`: what one unit of a generation is worth to an owner over the years
/// it counts on, from how it expects the generation's rent to move.
pub trait RentOutlook: Send + Sync {
    /// Present value of one unit (one GPU, or one rig), $.
    fn value_per_gpu(&self, view: &OutlookView) -> f64;
}

/// The `roadmap` outlook (see the module's doc).
pub struct RoadmapOutlook;

impl RentOutlook for RoadmapOutlook {
    fn value_per_gpu(&self, v: &OutlookView) -> f64 {
        let e = v.economics;
        let ticks = v.years / e.years_per_tick;
        let level = v
            .expectation
            .level
            .get(v.generation)
            .copied()
            .unwrap_or(0.0);
        if ticks <= 0.0 || level <= 0.0 {
            return 0.0;
        }
        let rate = crate::per_tick_rate(e.rate, e.years_per_tick);
        v.roadmap.present_value(v.generation, level, e, rate, ticks)
    }
}

/// The `adaptive` outlook: each generation's own smoothed rent trend, extrapolated.
pub struct AdaptiveOutlook;

impl RentOutlook for AdaptiveOutlook {
    fn value_per_gpu(&self, v: &OutlookView) -> f64 {
        v.expectation
            .value_per_gpu(v.generation, v.economics, v.years)
    }
}

/// Share of a gap left after one tick when it halves every `half_life_years` (0 for a
/// half-life of zero: the gap closes at once).
pub fn convergence_per_tick(half_life_years: f64, years_per_tick: f64) -> f64 {
    if half_life_years > 0.0 {
        0.5_f64.powf(years_per_tick / half_life_years)
    } else {
        0.0
    }
}

/// `owner.outlook` rules: how operators and buyers expect rents to move.
pub static OUTLOOK_RULES: Family<dyn RentOutlook> = Family::new(|| {
    RwLock::new(Registry::new(
        "owner.outlook",
        "how an owner expects a generation's rent to move over a lot's life (its values, bids, marks and sales start from it)",
        vec![
            RuleInfo::without_params(
                "roadmap",
                "today's smoothed rent moved by the compute market's forecast from the announced roadmap (releases, performance, power, vendor supply), demand's trend and cohorts' end of life; dark when below running cost",
                |_| Ok(Arc::new(RoadmapOutlook)),
            ),
            RuleInfo::without_params(
                "adaptive",
                "each generation's own smoothed rent trend, extrapolated (blind to the roadmap)",
                |_| Ok(Arc::new(AdaptiveOutlook)),
            ),
        ],
    ))
});

#[cfg(test)]
mod tests {
    use super::*;

    fn economics() -> GpuEconomics {
        GpuEconomics {
            cost_per_gpu_hour: 0.5,
            utilisation: 0.9,
            rate: 0.1,
            hours_per_tick: 168.0,
            years_per_tick: 7.0 / 365.0,
        }
    }

    /// A forecast with these ratios and dispatch shifts, no gap, availability 0.95.
    fn roadmap(rent_ratio: Vec<Vec<f64>>, dispatch_shift: Vec<Vec<f64>>) -> Roadmap {
        let mut roadmap = Roadmap {
            gap: vec![0.0; rent_ratio.len()],
            rent_ratio,
            dispatch_shift,
            convergence: 1.0,
            expected_ratio: Vec::new(),
            availability: 0.95,
            forecast_price: Vec::new(),
        };
        roadmap.close_gaps();
        roadmap
    }

    #[test]
    fn a_flat_roadmap_is_the_flat_annuity() {
        let roadmap = roadmap(vec![vec![1.0; 10]], vec![vec![0.0; 10]]);
        let e = economics();
        let margin = 0.9 * (2.0 - 0.5) * 168.0;
        let flat = crate::pv_margin(margin, 0.0, 0.002, 25.0);
        let value = roadmap.present_value(0, 2.0, &e, 0.002, 25.0);
        assert!((value - flat).abs() < 1e-6 * flat, "{value} vs {flat}");
    }

    #[test]
    fn a_falling_roadmap_is_worth_less_and_dark_ticks_count_nothing() {
        let e = economics();
        let falling: Vec<f64> = (1..=100).map(|s| 1.0 - 0.01 * f64::from(s)).collect();
        let roadmap = roadmap(vec![vec![1.0; 100], falling], vec![vec![0.0; 100]; 2]);
        let flat = roadmap.present_value(0, 2.0, &e, 0.002, 100.0);
        let down = roadmap.present_value(1, 2.0, &e, 0.002, 100.0);
        assert!(down < 0.6 * flat, "{down} vs {flat}");
        // From s = 75 the rent (2 × ratio) is below the cost 0.5: the quarters after the
        // one that holds it (weeks 66-78) add nothing.
        let to_78 = roadmap.present_value(1, 2.0, &e, 0.002, 78.0);
        assert!((down - to_78).abs() < 1e-9);
    }

    #[test]
    fn a_generation_pushed_out_of_dispatch_earns_nothing_once_dark() {
        let e = economics();
        let roadmap = roadmap(
            vec![vec![1.0; 52]],
            vec![(0..52).map(|s| if s < 26 { 0.0 } else { -0.95 }).collect()],
        );
        // Dark from week 27: the third and fourth quarters earn nothing.
        let half = roadmap.present_value(0, 2.0, &e, 0.002, 26.0);
        let year = roadmap.present_value(0, 2.0, &e, 0.002, 52.0);
        assert!(half > 0.0);
        assert!((half - year).abs() < 1e-9, "dark weeks earn nothing");
    }
}
