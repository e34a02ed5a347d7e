//! Discounted-margin valuation shared by buyers, operators and the fundamental value.

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
