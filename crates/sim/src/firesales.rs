//! Fire sales measured as researchers measure them (Pulvino 1998): the price of a
//! distressed sale against the non-distressed price of the same generation, never
//! against a valuation no agent holds.
//!
//! Each tick the auction records, per generation, the distressed lots that traded, the
//! clearing price, and the non-distressed reference (its latest voluntary prices carried
//! to today by the move of the best bid, else where the book would have cleared without
//! the distressed asks, else the best bid). Here those
//! are summed over the run (`distressed_discount`, volume-weighted) and searched for
//! their peak: the largest discount volume-weighted over a short window, counted only
//! when enough distressed lots traded in that window for one odd lot not to make it.

use firesale_core::{Clock, Generations, Metrics};
use std::collections::VecDeque;

/// The largest volume-weighted average of a per-generation figure over a rolling window
/// of ticks, with where and when it was reached.
#[derive(Debug, Clone, Default)]
pub struct WindowPeak {
    /// Ticks of the window.
    window: usize,
    /// Fewest lots in the window for its average to count.
    min_lots: f64,
    /// Per generation, the window's (lots, figure × lots).
    recent: Vec<VecDeque<(f64, f64)>>,
    /// The largest average so far: (value, generation, date).
    pub peak: Option<(f64, String, String)>,
}

impl WindowPeak {
    /// A peak over `window` ticks for `generations` generations, counted only where the
    /// window holds at least `min_lots` lots.
    pub fn new(generations: usize, window: usize, min_lots: f64) -> Self {
        WindowPeak {
            window: window.max(1),
            min_lots,
            recent: vec![VecDeque::new(); generations],
            peak: None,
        }
    }

    /// Adds one tick's (lots, figure × lots) of generation `g`; a window ending on a tick
    /// that `counts` may become the peak.
    fn push(&mut self, g: usize, entry: (f64, f64), counts: bool, name: &str, clock: &Clock) {
        let window = &mut self.recent[g];
        window.push_back(entry);
        if window.len() > self.window {
            window.pop_front();
        }
        let (lots, weighted) = window
            .iter()
            .fold((0.0, 0.0), |(a, b), (l, w)| (a + l, b + w));
        if counts
            && lots > 0.0
            && lots >= self.min_lots
            && self.peak.as_ref().is_none_or(|p| weighted / lots > p.0)
        {
            self.peak = Some((weighted / lots, name.to_string(), clock.today_str()));
        }
    }
}

/// Running measures of the run's fire sales.
#[derive(Debug, Clone, Default)]
pub struct FireSaleTracker {
    /// Peak of the distressed discount (window and volume guard from the world).
    pub distressed_peak: WindowPeak,
    /// Peak of the gap of the clearing price below the benchmark fundamental value over
    /// 4 ticks (the measure before distressed and voluntary sales were told apart; kept
    /// for comparison).
    pub fundamental_peak: WindowPeak,
    /// Distressed lots sold against a reference, over the run.
    measured_lots: f64,
    /// Their discount × lots, over the run.
    weighted: f64,
    /// Lots of repossessed collateral sold by lenders against a reference, over the run.
    lender_lots: f64,
    /// Their discount × lots, over the run.
    lender_weighted: f64,
    /// Lots sold by distressed sellers.
    pub distressed_lots: u64,
    /// Lots sold by voluntary sellers.
    pub voluntary_lots: u64,
    /// Ticks in which some voluntary lot traded.
    pub ticks_with_voluntary_trades: u32,
    /// Ticks observed.
    pub ticks: u32,
}

impl FireSaleTracker {
    /// A tracker for `generations` generations with the world's measuring conventions.
    pub fn new(generations: usize, window: u32, min_lots: u32) -> Self {
        FireSaleTracker {
            distressed_peak: WindowPeak::new(generations, window as usize, f64::from(min_lots)),
            fundamental_peak: WindowPeak::new(generations, 4, 0.0),
            ..Default::default()
        }
    }

    /// Adds one tick's auction results.
    pub fn observe(&mut self, clock: &Clock, gens: &Generations, metrics: &Metrics) {
        self.ticks += 1;
        let mut voluntary_this_tick = false;
        for (g, m) in metrics.generations.iter().enumerate() {
            let name = &gens.list[g].name;
            self.distressed_lots += m.distressed_volume;
            let voluntary = m.volume - m.distressed_volume;
            self.voluntary_lots += voluntary;
            voluntary_this_tick |= voluntary > 0;
            let lots = m.distressed_volume as f64;
            let entry = m
                .distressed_discount
                .map_or((0.0, 0.0), |d| (lots, d * lots));
            self.measured_lots += entry.0;
            self.weighted += entry.1;
            if let Some(d) = m.distressed_discount {
                self.lender_lots += m.lender_sale_volume as f64;
                self.lender_weighted += d * m.lender_sale_volume as f64;
            }
            self.distressed_peak
                .push(g, entry, entry.0 > 0.0, name, clock);
            let traded = m.volume as f64;
            let gap = m
                .secondary_price
                .filter(|_| m.fundamental > 0.0)
                .map(|p| 1.0 - p / m.fundamental);
            self.fundamental_peak.push(
                g,
                gap.map_or((0.0, 0.0), |d| (traded, d * traded)),
                m.volume > 0,
                name,
                clock,
            );
        }
        self.ticks_with_voluntary_trades += u32::from(voluntary_this_tick);
    }

    /// The run's distressed discount, volume-weighted over every distressed lot sold
    /// against a reference (None when none was).
    pub fn distressed_discount(&self) -> Option<f64> {
        (self.measured_lots > 0.0).then(|| self.weighted / self.measured_lots)
    }

    /// The discount on repossessed collateral sold by lenders (live or failed),
    /// volume-weighted over those lots (None when none was sold against a reference):
    /// the part of the fire sale the repo market is about.
    pub fn lender_sale_discount(&self) -> Option<f64> {
        (self.lender_lots > 0.0).then(|| self.lender_weighted / self.lender_lots)
    }

    /// Share of ticks in which some voluntary lot traded.
    pub fn voluntary_trade_share(&self) -> f64 {
        if self.ticks == 0 {
            0.0
        } else {
            f64::from(self.ticks_with_voluntary_trades) / f64::from(self.ticks)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use firesale_core::GenerationMetrics;

    fn tick(tracker: &mut FireSaleTracker, t: u32, lots: u64, discount: Option<f64>) {
        let clock = Clock {
            start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            tick_days: 7,
            ticks: 10,
            tick: t,
        };
        let gens = Generations {
            list: vec![firesale_core::Generation {
                name: "H100".into(),
                hardware: firesale_core::Hardware::Gpu,
                release_tick: 0,
                released_in_run: false,
                perf: 1.0,
                kw_per_gpu: 1.0,
                list_price: 1.0,
                list_price_decline: 0.0,
                liquid_cooled: false,
                useful_life_years: 5.0,
                max_age_years: 5.0,
                vendor_lots_per_tick: None,
            }],
            gpus_per_lot: 8,
        };
        let metrics = Metrics {
            generations: vec![GenerationMetrics {
                volume: lots,
                distressed_volume: lots,
                distressed_discount: discount,
                ..Default::default()
            }],
            ..Default::default()
        };
        tracker.observe(&clock, &gens, &metrics);
    }

    #[test]
    fn one_odd_lot_is_no_peak_but_counts_in_the_run() {
        let mut tracker = FireSaleTracker::new(1, 4, 10);
        tick(&mut tracker, 0, 1, Some(0.9));
        assert_eq!(
            tracker.distressed_peak.peak, None,
            "one lot is below the volume guard"
        );
        tick(&mut tracker, 1, 20, Some(0.3));
        let (peak, ..) = tracker.distressed_peak.peak.clone().unwrap();
        assert!((peak - (0.9 + 20.0 * 0.3) / 21.0).abs() < 1e-12);
        let run = tracker.distressed_discount().unwrap();
        assert!((run - (0.9 + 6.0) / 21.0).abs() < 1e-12);
        tick(&mut tracker, 2, 5, None);
        assert_eq!(
            tracker.distressed_lots, 26,
            "lots without a reference still count"
        );
    }
}
