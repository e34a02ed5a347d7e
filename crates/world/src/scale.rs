//! `scale`: the same economy at another size.
//!
//! A world's `scale` multiplies everything whose size is a count of the market (agents,
//! AI demand, vendor supply, an ABS pool of lots, the lot thresholds of the fire-sale
//! measures) and leaves everything that is a price, a rate, a share or one agent's
//! terms alone. So a neo-cloud, a bank and a buyer look the same at any scale; there are
//! just more (or fewer) of them, facing proportionally more (or less) demand.
//!
//! Counts are whole numbers, so a class of 3 at scale 0.25 cannot hold 0.75 agents. It
//! gets one agent whose balance sheet (cash, equity, fleet, racks, credit line, outside
//! income, BTC) is 0.75 of the file's, so each class's total stays proportional to the
//! scale. The network hashrate is not scaled: the miners are price takers on a network
//! far larger than any world's fleet.

use crate::schema::{Dist, WorldFile};

/// The most a world may be scaled by, either way: counts beyond this are refused by the
/// agent limits anyway.
pub const SCALE_RANGE: (f64, f64) = (0.001, 1_000.0);

impl WorldFile {
    /// The world at its `scale`, with `scale` set back to 1 (so the world written to the
    /// output reruns the same run) and the description saying what was scaled. A world
    /// at scale 1 is returned unchanged.
    pub fn at_scale(mut self) -> WorldFile {
        let s = self.scale;
        if s == 1.0 {
            return self;
        }
        for o in &mut self.operators {
            let f = rescale_count(&mut o.count, s);
            for d in [&mut o.cash, &mut o.gpus, &mut o.btc, &mut o.hashrate_ph] {
                *d = d.times(f);
            }
        }
        for l in &mut self.lenders {
            let f = rescale_count(&mut l.count, s);
            l.equity = l.equity.times(f);
        }
        for b in &mut self.buyers {
            let f = rescale_count(&mut b.count, s);
            for d in [
                &mut b.cash,
                &mut b.credit_line,
                &mut b.air_kw,
                &mut b.liquid_kw,
                &mut b.gpus,
                &mut b.outside_income_per_week,
            ] {
                *d = d.times(f);
            }
            b.max_lots_per_tick = scale_whole(b.max_lots_per_tick, f);
        }
        for i in &mut self.bond_investors {
            let f = rescale_count(&mut i.count, s);
            i.capital = i.capital.times(f);
        }
        for deal in &mut self.abs {
            if let crate::capital::AbsPool::Lots { gpus, .. } = &mut deal.pool {
                *gpus *= s;
            }
        }
        for g in &mut self.generations {
            if let Some(n) = &mut g.vendor_lots_per_tick {
                *n = scale_whole(*n, s);
            }
        }
        self.demand.initial *= s;
        if let Some(series) = &mut self.replays.demand {
            for (_, v) in &mut series.points {
                *v *= s;
            }
        }
        let m = &mut self.measures;
        m.reference_min_lots = scale_whole(m.reference_min_lots, s);
        m.peak_min_lots = scale_whole(m.peak_min_lots, s);
        self.description = format!(
            "{} [at scale {s}: agent counts, balance sheets of rounded classes, demand, \
             vendor supply, ABS lot pools and the measures' lot thresholds multiplied]",
            self.description
        );
        self.scale = 1.0;
        self
    }
}

/// Multiplies a class's count by `s`, rounding to a whole agent (at least one for a
/// class that had any), and returns the factor its agents' balance sheets take so the
/// class's total is `s` times the file's.
fn rescale_count(count: &mut u32, s: f64) -> f64 {
    if *count == 0 {
        return 1.0;
    }
    let exact = f64::from(*count) * s;
    let whole = exact.round().max(1.0);
    *count = whole as u32;
    exact / whole
}

/// A whole-number size times `f`, rounded, kept at 1 or more if it was positive.
fn scale_whole(n: u32, f: f64) -> u32 {
    if n == 0 {
        return 0;
    }
    (f64::from(n) * f).round().max(1.0) as u32
}

impl Dist {
    /// The distribution of `f` times a draw (a log-normal's median moves, its sigma not).
    pub fn times(&self, f: f64) -> Dist {
        match *self {
            Dist::Fixed(v) => Dist::Fixed(v * f),
            Dist::Uniform(a, b) => Dist::Uniform(a * f, b * f),
            Dist::Normal(m, sd) => Dist::Normal(m * f, sd * f),
            Dist::LogNormal(median, sigma) => Dist::LogNormal(median * f, sigma),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::load;

    fn world(sets: &[&str]) -> crate::WorldFile {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        load("subprime_compute", None, None, &sets)
            .expect("loads")
            .1
    }

    #[test]
    fn scale_multiplies_counts_and_demand_and_keeps_class_totals() {
        let one = world(&[]);
        let four = world(&["scale=4"]);
        assert_eq!(four.scale, 1.0, "scale is applied once");
        assert_eq!(four.demand.initial, 4.0 * one.demand.initial);
        for (a, b) in one.operators.iter().zip(&four.operators) {
            assert_eq!(b.count, 4 * a.count);
            assert_eq!(b.cash, a.cash, "a whole class keeps its agents' size");
        }
        let quarter = world(&["scale=0.25"]);
        for (a, q) in one.lenders.iter().zip(&quarter.lenders) {
            let total = |n: u32, d: &crate::Dist| f64::from(n) * centre(d);
            let (full, small) = (total(a.count, &a.equity), total(q.count, &q.equity));
            assert!(q.count >= 1);
            assert!(
                (small - 0.25 * full).abs() < 1e-6 * full,
                "{}: class equity {small} is not a quarter of {full}",
                a.name
            );
        }
    }

    /// Where a distribution sits (every one of its location parameters scales alike).
    fn centre(d: &crate::Dist) -> f64 {
        match *d {
            crate::Dist::Fixed(v) => v,
            crate::Dist::Uniform(a, b) => 0.5 * (a + b),
            crate::Dist::Normal(m, _) | crate::Dist::LogNormal(m, _) => m,
        }
    }

    #[test]
    fn scale_one_leaves_the_world_as_it_is() {
        assert_eq!(world(&[]), world(&["scale=1"]));
    }
}
