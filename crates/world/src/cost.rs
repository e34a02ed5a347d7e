//! What a run will cost before it starts: agents, lots and memory, estimated from the
//! world file alone, so that a world too large for the machine is refused at once with
//! the fields that make it large, instead of hanging or exhausting memory mid-run.
//!
//! The estimate errs high: every lot the vendor may deliver over the horizon is counted
//! (lots are kept for the whole run, scrapped ones too, for the conservation check).

use crate::error::WorldError;
use crate::schema::{Dist, WorldFile};
use crate::spawn::tick_of;
use crate::validate::limit;
use bytesize::ByteSize;

/// Memory of a world with no agents and no lots (schedule, resources, writers).
const BASE_BYTES: f64 = 16e6;
/// Memory per agent (components, expectations, rack and loan indexes), measured on
/// `subprime_compute` with 600 start-ups: about 7 KB.
const BYTES_PER_AGENT: f64 = 8e3;
/// Memory per lot (the lot, fleet indexes, dispatch), measured on `subprime_compute`
/// with 100k lots: about 76 B.
const BYTES_PER_LOT: f64 = 128.0;

/// Limits a run is held to before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most memory a run may be estimated to need, bytes.
    pub max_memory: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_memory: 4 * 1024 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Parses a size such as `8GiB`, `500MB` or `1000000` (bytes) for `--max-memory`.
    pub fn parse_memory(text: &str) -> Result<u64, String> {
        text.trim()
            .parse::<ByteSize>()
            .map(|b| b.as_u64())
            .map_err(|e| format!("expected a size such as 8GiB or 500MB, found {text:?} ({e})"))
    }
}

/// What a run of a world is expected to hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Agents spawned.
    pub agents: u64,
    /// Lots owned at the start.
    pub starting_lots: f64,
    /// Most lots the vendor may deliver over the horizon.
    pub vendor_lots: f64,
    /// Memory, bytes.
    pub bytes: f64,
    /// The fields that drive the lot count, largest first: (field path, lots).
    pub drivers: Vec<(String, f64)>,
}

impl Estimate {
    /// Lots created over the run, at most.
    pub fn lots(&self) -> f64 {
        self.starting_lots + self.vendor_lots
    }

    /// One line for `firesale check`.
    pub fn describe(&self) -> String {
        format!(
            "about {} agents, up to {} lots, up to {} of memory",
            self.agents,
            human(self.lots()),
            ByteSize(self.bytes as u64).display().iec()
        )
    }
}

/// The mean of a distribution as drawn for a field valid on `[0, hi]`.
fn mean(dist: &Dist, hi: f64) -> f64 {
    let m = match *dist {
        Dist::Fixed(x) => x,
        Dist::Uniform(a, b) => 0.5 * (a + b),
        Dist::Normal(mean, _) => mean,
        Dist::LogNormal(median, sigma) => median * (0.5 * sigma * sigma).min(50.0).exp(),
    };
    m.clamp(0.0, hi)
}

/// Estimates agents, lots and memory of a validated world.
pub fn estimate(w: &WorldFile) -> Estimate {
    let per_lot = f64::from(w.gpus_per_lot.max(1));
    let mut drivers = Vec::new();
    let mut starting_lots = 0.0;
    let mut agents = 0u64;
    let mut growth_per_tick = 0.0;
    let years_per_tick = f64::from(w.tick_days) / 365.0;
    for (i, o) in w.operators.iter().enumerate() {
        let lots = f64::from(o.count) * (mean(&o.gpus, limit::GPUS) / per_lot).round();
        agents += u64::from(o.count);
        starting_lots += lots;
        growth_per_tick += lots * o.max_growth * years_per_tick;
        drivers.push((format!("operators[{i}].gpus × count"), lots));
    }
    for (i, b) in w.buyers.iter().enumerate() {
        let lots = f64::from(b.count) * (mean(&b.gpus, limit::GPUS) / per_lot).round();
        agents += u64::from(b.count);
        starting_lots += lots;
        drivers.push((format!("buyers[{i}].gpus × count"), lots));
        if b.buys_primary {
            growth_per_tick += f64::from(b.count) * f64::from(b.max_lots_per_tick);
        }
    }
    agents += w.lenders.iter().map(|l| u64::from(l.count)).sum::<u64>();
    // The vendor delivers, each tick, at most its limits over the generations on sale,
    // and at most what the agents' purchase rules can ask for.
    let release_ticks: Vec<(i64, Option<u32>)> = w
        .generations
        .iter()
        .map(|g| {
            (
                i64::from(tick_of(w.start, w.tick_days.max(1), g.release)),
                g.vendor_lots_per_tick,
            )
        })
        .collect();
    let mut vendor_lots = 0.0;
    let mut per_generation = vec![0.0; w.generations.len()];
    for t in 0..i64::from(w.ticks) {
        let on_sale: Vec<usize> = (0..release_ticks.len())
            .filter(|&g| release_ticks[g].0 <= t)
            .collect();
        let supply: f64 = on_sale
            .iter()
            .map(|&g| release_ticks[g].1.map_or(f64::INFINITY, f64::from))
            .sum();
        let delivered = supply.min(growth_per_tick.max(1.0));
        if delivered > 0.0 && supply > 0.0 {
            for &g in &on_sale {
                let share = release_ticks[g]
                    .1
                    .map_or(1.0, |l| f64::from(l) / supply.max(1.0));
                per_generation[g] += delivered * share.min(1.0);
            }
        }
        vendor_lots += delivered;
    }
    for (g, lots) in per_generation.into_iter().enumerate() {
        drivers.push((
            format!("generations[{g}].vendor_lots_per_tick × ticks"),
            lots,
        ));
    }
    drivers.retain(|(_, lots)| *lots > 0.0);
    drivers.sort_by(|a, b| b.1.total_cmp(&a.1));
    let bytes = BASE_BYTES
        + agents as f64 * BYTES_PER_AGENT
        + (starting_lots + vendor_lots) * BYTES_PER_LOT;
    Estimate {
        agents,
        starting_lots,
        vendor_lots,
        bytes,
        drivers,
    }
}

/// Refuses a world whose estimated memory passes the limit, naming what drives it.
pub fn check_cost(w: &WorldFile, file: &str, limits: &Limits) -> Result<Estimate, WorldError> {
    let estimate = estimate(w);
    if estimate.bytes <= limits.max_memory as f64 {
        return Ok(estimate);
    }
    let drivers: Vec<String> = estimate
        .drivers
        .iter()
        .take(3)
        .map(|(path, lots)| format!("{path}: {} lots", human(*lots)))
        .collect();
    let need = ByteSize(estimate.bytes.min(u64::MAX as f64) as u64);
    Err(WorldError::TooLarge {
        file: file.to_string(),
        message: format!(
            "a run would need about {} of memory (limit {}): {} agents and up to {} lots over {} ticks. Largest: {}. Lower those fields, or raise the limit with --max-memory {}",
            need.display().iec(),
            ByteSize(limits.max_memory).display().iec(),
            estimate.agents,
            human(estimate.lots()),
            w.ticks,
            if drivers.is_empty() {
                "agents".to_string()
            } else {
                drivers.join("; ")
            },
            ByteSize((estimate.bytes * 1.25).min(u64::MAX as f64) as u64)
                .display()
                .iec_short()
                .to_string()
                .replace(' ', "")
        ),
    })
}

/// A count in a few characters: 1234, 12.3k, 4.5M, 2.5e9.
fn human(x: f64) -> String {
    if x < 1e4 {
        format!("{x:.0}")
    } else if x < 1e6 {
        format!("{:.1}k", x / 1e3)
    } else if x < 1e9 {
        format!("{:.1}M", x / 1e6)
    } else {
        format!("{x:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_and_decimal_units() {
        assert_eq!(Limits::parse_memory("1KiB"), Ok(1024));
        assert_eq!(Limits::parse_memory("2 MB"), Ok(2_000_000));
        assert_eq!(Limits::parse_memory("4096"), Ok(4096));
        assert!(Limits::parse_memory("lots").is_err());
    }

    #[test]
    fn log_normal_means_are_bounded() {
        assert_eq!(mean(&Dist::LogNormal(1.0, 100.0), 1e8), 1e8);
        assert!((mean(&Dist::Uniform(2.0, 4.0), 10.0) - 3.0).abs() < 1e-12);
    }
}
