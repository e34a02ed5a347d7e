//! Drawing agent parameters from their distributions.

use crate::schema::Dist;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal};

impl Dist {
    /// Draws one value, clamped to `[lo, hi]` (the field's valid range).
    pub fn sample(&self, rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
        let x = match *self {
            Dist::Fixed(x) => x,
            Dist::Uniform(a, b) => {
                if b > a {
                    rng.random_range(a..b)
                } else {
                    a
                }
            }
            Dist::Normal(mean, sd) => Normal::new(mean, sd).map_or(mean, |d| d.sample(rng)),
            Dist::LogNormal(median, sigma) => {
                LogNormal::new(median.ln(), sigma).map_or(median, |d| d.sample(rng))
            }
        };
        x.clamp(lo, hi)
    }

    /// What is wrong with this distribution for a field valid on `[lo, hi]`, if anything.
    pub fn problem(&self, lo: f64, hi: f64) -> Option<String> {
        let finite = |x: f64| x.is_finite();
        let in_range = |x: f64| x >= lo && x <= hi;
        let range = format!("[{lo}, {hi}]");
        match *self {
            Dist::Fixed(x) if !finite(x) || !in_range(x) => {
                Some(format!("expected a value in {range}, found {x}"))
            }
            Dist::Uniform(a, b) if !finite(a) || !finite(b) => Some(format!(
                "Uniform(low, high) needs finite bounds, found ({a}, {b})"
            )),
            Dist::Uniform(a, b) if a > b => Some(format!(
                "Uniform(low, high) needs low <= high, found ({a}, {b})"
            )),
            Dist::Uniform(a, b) if !in_range(a) || !in_range(b) => Some(format!(
                "expected bounds in {range}, found Uniform({a}, {b})"
            )),
            Dist::Normal(mean, sd) if !finite(mean) || !finite(sd) || sd < 0.0 => Some(format!(
                "Normal(mean, sd) needs a finite mean and sd >= 0, found ({mean}, {sd})"
            )),
            Dist::Normal(mean, _) if !in_range(mean) => {
                Some(format!("expected a mean in {range}, found {mean}"))
            }
            Dist::LogNormal(median, sigma)
                if !finite(median) || median <= 0.0 || !finite(sigma) || sigma < 0.0 =>
            {
                Some(format!(
                    "LogNormal(median, sigma) needs median > 0 and sigma >= 0, found ({median}, {sigma})"
                ))
            }
            Dist::LogNormal(_, sigma) if sigma > 5.0 => Some(format!(
                "LogNormal sigma above 5 spreads draws over more than ten orders of magnitude, found {sigma}"
            )),
            Dist::LogNormal(median, _) if !in_range(median) => {
                Some(format!("expected a median in {range}, found {median}"))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn draws_stay_in_range_and_bad_parameters_are_named() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..100 {
            let x = Dist::Normal(0.5, 1.0).sample(&mut rng, 0.0, 1.0);
            assert!((0.0..=1.0).contains(&x));
        }
        assert!(Dist::Uniform(2.0, 1.0).problem(0.0, 10.0).is_some());
        assert!(Dist::Fixed(1.5).problem(0.0, 1.0).is_some());
        assert!(Dist::LogNormal(-1.0, 0.1).problem(0.0, 10.0).is_some());
        assert!(Dist::Uniform(0.2, 0.4).problem(0.0, 1.0).is_none());
    }
}
