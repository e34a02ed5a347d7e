//! The rig price index: simulated rig trades priced in $/TH by efficiency tier, the way
//! public rig price indices quote them.
//!
//! Each week, within a tier, the index is the trade-weighted price per TH/s of every rig
//! lot that changed hands in the auctions: Σ price × rigs / Σ TH/s traded. A week with no
//! trade in a tier carries the last value forward and says so in its `carried` flag, as
//! published indices do; before a tier's first trade it has no value.

use firesale_core::{Clock, Generations, Hardware, Metrics};

/// Efficiency tiers of the index: name and J/TH bounds, lower bound inclusive.
pub const RIG_TIERS: [(&str, f64, f64); 4] = [
    ("under_25", 0.0, 25.0),
    ("25_38", 25.0, 38.0),
    ("38_68", 38.0, 68.0),
    ("over_68", 68.0, f64::INFINITY),
];

/// The tier (index into [`RIG_TIERS`]) of a rig of this efficiency.
pub fn rig_tier(j_per_th: f64) -> usize {
    RIG_TIERS
        .iter()
        .position(|&(_, lo, hi)| j_per_th >= lo && j_per_th < hi)
        .unwrap_or(RIG_TIERS.len() - 1)
}

/// One tier's index in one week.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TierPoint {
    /// $ per TH/s (None before the tier's first trade).
    pub usd_per_th: Option<f64>,
    /// Lots of the tier traded this week.
    pub lots: u64,
    /// Of those, lots sold by distressed sellers (issue 10's split).
    pub distressed_lots: u64,
    /// No trade this week: the value is last week's, carried forward.
    pub carried: bool,
}

/// The rig figures of one week.
#[derive(Debug, Clone, PartialEq)]
pub struct RigWeek {
    /// Tick.
    pub tick: u32,
    /// Date of the tick.
    pub date: String,
    /// Hashprice, $ per PH/s per day.
    pub hashprice: f64,
    /// Rigs installed (units).
    pub rigs_installed: u64,
    /// Rigs installed but switched off: the hashprice did not cover their owner's power.
    pub rigs_switched_off: u64,
    /// The index per tier, in [`RIG_TIERS`] order.
    pub tiers: [TierPoint; 4],
}

/// A tier's largest fall over the run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TierMove {
    /// Tier (`25_38` ...).
    pub tier: String,
    /// Highest index value, $/TH.
    pub peak: f64,
    /// When (the first week at that value).
    pub peak_date: String,
    /// Lowest value after the peak, $/TH.
    pub trough: f64,
    /// When.
    pub trough_date: String,
    /// trough / peak - 1.
    pub change: f64,
}

/// Builds the index week by week from each tick's metrics (reads only; draws nothing).
#[derive(Debug, Clone, Default)]
pub struct RigIndex {
    last: [Option<f64>; 4],
    /// Every week so far.
    pub weeks: Vec<RigWeek>,
}

impl RigIndex {
    /// Adds this tick's week; does nothing in a world without rigs.
    pub fn observe(&mut self, clock: &Clock, gens: &Generations, m: &Metrics) {
        let mut value = [0.0; 4];
        let mut th = [0.0; 4];
        let mut tiers = [TierPoint::default(); 4];
        let mut any_rig = false;
        for (g, generation) in gens.list.iter().enumerate() {
            let Hardware::Asic {
                th_per_unit,
                j_per_th,
            } = generation.hardware
            else {
                continue;
            };
            any_rig = true;
            let gm = &m.generations[g];
            let Some(price) = gm.secondary_price.filter(|_| gm.volume > 0) else {
                continue;
            };
            let t = rig_tier(j_per_th);
            let rigs = gm.volume as f64 * f64::from(gens.gpus_per_lot);
            value[t] += price * rigs;
            th[t] += th_per_unit * rigs;
            tiers[t].lots += gm.volume;
            tiers[t].distressed_lots += gm.distressed_volume;
        }
        if !any_rig {
            return;
        }
        for (t, point) in tiers.iter_mut().enumerate() {
            if th[t] > 0.0 {
                self.last[t] = Some(value[t] / th[t]);
            } else {
                point.carried = self.last[t].is_some();
            }
            point.usd_per_th = self.last[t];
        }
        self.weeks.push(RigWeek {
            tick: clock.tick,
            date: clock.today_str(),
            hashprice: m.hashprice,
            rigs_installed: m.rig_units_installed,
            rigs_switched_off: m.rig_units_off,
            tiers,
        });
    }

    /// Each tier's largest fall: its peak, then its lowest value after the peak (tiers
    /// that never traded are left out). Empty in a world without rigs.
    pub fn moves(&self) -> Vec<TierMove> {
        (0..RIG_TIERS.len())
            .filter_map(|t| {
                let values: Vec<(f64, &str)> = self
                    .weeks
                    .iter()
                    .filter_map(|w| w.tiers[t].usd_per_th.map(|v| (v, w.date.as_str())))
                    .collect();
                let peak_at = (0..values.len())
                    .max_by(|&a, &b| values[a].0.total_cmp(&values[b].0).then(b.cmp(&a)))?;
                let (peak, peak_date) = values[peak_at];
                let (trough, trough_date) = values[peak_at..]
                    .iter()
                    .copied()
                    .min_by(|a, b| a.0.total_cmp(&b.0))?;
                Some(TierMove {
                    tier: RIG_TIERS[t].0.to_string(),
                    peak,
                    peak_date: peak_date.to_string(),
                    trough,
                    trough_date: trough_date.to_string(),
                    change: if peak > 0.0 { trough / peak - 1.0 } else { 0.0 },
                })
            })
            .collect()
    }

    /// This tick's week, if the world has rigs and it was observed.
    pub fn latest(&self) -> Option<&RigWeek> {
        self.weeks.last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rig(name: &str, th_per_unit: f64, j_per_th: f64) -> firesale_core::Generation {
        firesale_core::Generation {
            name: name.into(),
            hardware: Hardware::Asic {
                th_per_unit,
                j_per_th,
            },
            release_tick: 0,
            released_in_run: false,
            perf: 0.0,
            kw_per_gpu: th_per_unit * j_per_th / 1000.0,
            list_price: 1.0,
            list_price_decline: 0.0,
            liquid_cooled: false,
            useful_life_years: 5.0,
            max_age_years: 5.0,
            vendor_lots_per_tick: None,
        }
    }

    fn week(index: &mut RigIndex, tick: u32, trades: [(u64, Option<f64>); 2]) {
        let clock = Clock {
            start: chrono::NaiveDate::from_ymd_opt(2022, 1, 3).unwrap(),
            tick_days: 7,
            ticks: 10,
            tick,
        };
        let gens = Generations {
            list: vec![rig("S19 Pro", 110.0, 29.5), rig("S19", 95.0, 34.5)],
            gpus_per_lot: 10,
        };
        let metrics = Metrics {
            generations: trades
                .iter()
                .map(|&(volume, price)| firesale_core::GenerationMetrics {
                    volume,
                    secondary_price: price,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        index.observe(&clock, &gens, &metrics);
    }

    #[test]
    fn the_index_weights_by_terahash_and_carries_quiet_weeks() {
        let mut index = RigIndex::default();
        week(&mut index, 0, [(0, None), (0, None)]);
        assert_eq!(
            index.weeks[0].tiers[1],
            TierPoint::default(),
            "no trade yet"
        );
        // 2 lots of S19 Pro at $5,500 a rig (50 $/TH), 1 lot of S19 at $3,800 (40 $/TH).
        week(&mut index, 1, [(2, Some(5_500.0)), (1, Some(3_800.0))]);
        let point = index.weeks[1].tiers[1];
        let expected = (2.0 * 5_500.0 + 3_800.0) / (2.0 * 110.0 + 95.0);
        assert!((point.usd_per_th.unwrap() - expected).abs() < 1e-9);
        assert_eq!((point.lots, point.carried), (3, false));
        week(&mut index, 2, [(0, None), (0, None)]);
        let point = index.weeks[2].tiers[1];
        assert_eq!(point.usd_per_th, Some(expected));
        assert!(
            point.carried,
            "a quiet week carries the last value and says so"
        );
        assert_eq!(
            index.weeks[2].tiers[0].usd_per_th, None,
            "no rig of that tier"
        );
    }

    #[test]
    fn a_tiers_fall_runs_from_its_peak_to_the_lowest_value_after_it() {
        let mut index = RigIndex::default();
        // S19 Pro at 40, 60, 30 (after the peak), 45 $/TH; an earlier 20 does not count.
        for (tick, usd_per_th) in [(0, 20.0), (1, 60.0), (2, 30.0), (3, 45.0)] {
            week(&mut index, tick, [(1, Some(usd_per_th * 110.0)), (0, None)]);
        }
        let moves = index.moves();
        assert_eq!(moves.len(), 1, "only the tier that traded");
        let m = &moves[0];
        assert_eq!(m.tier, "25_38");
        assert!((m.peak - 60.0).abs() < 1e-9 && (m.trough - 30.0).abs() < 1e-9);
        assert_eq!(
            (m.peak_date.as_str(), m.trough_date.as_str()),
            ("2022-01-10", "2022-01-17")
        );
        assert!((m.change + 0.5).abs() < 1e-12);
    }

    #[test]
    fn tiers_follow_the_public_index_bounds() {
        assert_eq!(rig_tier(21.5), 0, "S19 XP");
        assert_eq!(rig_tier(29.5), 1, "S19 Pro");
        assert_eq!(rig_tier(34.5), 1, "S19");
        assert_eq!(rig_tier(38.0), 2, "M30S sits at the lower bound of 38-68");
        assert_eq!(rig_tier(55.0), 2, "T17");
        assert_eq!(rig_tier(98.0), 3, "S9");
    }
}
