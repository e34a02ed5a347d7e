//! Quantiles across runs, computed the same way whatever order the runs finished in.

/// The quantiles written for every series: 5, 25, 50, 75 and 95%.
pub const LEVELS: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];

/// Column names of [`LEVELS`].
pub const LEVEL_COLUMNS: [&str; 5] = ["p5", "p25", "p50", "p75", "p95"];

/// The distribution of one figure across the runs that have it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// Runs with a value.
    pub n: usize,
    /// Their mean (summed in run order).
    pub mean: f64,
    /// Quantiles at [`LEVELS`].
    pub q: [f64; 5],
}

impl Band {
    /// The band of `values` (in run order; `NaN` marks a run without a value), or `None`
    /// when no run has one. Quantiles interpolate linearly between order statistics
    /// (Hyndman & Fan type 7, the default of R and NumPy).
    pub fn of(values: &[f64]) -> Option<Band> {
        let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        if present.is_empty() {
            return None;
        }
        let n = present.len();
        let mean = present.iter().sum::<f64>() / n as f64;
        present.sort_by(f64::total_cmp);
        let q = LEVELS.map(|p| {
            let h = (n - 1) as f64 * p;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            let (a, b) = (present[lo], present[hi]);
            if a == b {
                a
            } else {
                a + (h - lo as f64) * (b - a)
            }
        });
        Some(Band { n, mean, q })
    }

    /// `[p5, p25, p50, p75, p95]` as options, for charts.
    pub fn quantiles(band: Option<&Band>) -> [Option<f64>; 5] {
        [0, 1, 2, 3, 4].map(|i| band.map(|b| b.q[i]))
    }
}

/// A number as CSV text: Rust's shortest round-trip form, which is the same on every
/// machine and thread count.
pub fn num(v: f64) -> String {
    if v == 0.0 { "0".into() } else { format!("{v}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let b = Band::of(&[5.0, 1.0, f64::NAN, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!(b.n, 5);
        assert_eq!(b.mean, 3.0);
        assert_eq!(b.q, [1.2, 2.0, 3.0, 4.0, 4.8]);
        assert_eq!(Band::of(&[7.0]).unwrap().q, [7.0; 5]);
        assert!(Band::of(&[f64::NAN]).is_none());
    }

    #[test]
    fn numbers_have_one_spelling() {
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(num(1e21), "1000000000000000000000");
    }
}
