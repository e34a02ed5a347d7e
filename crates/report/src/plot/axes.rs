//! Axes and ranges: the date axis, the log axis, padded value ranges and tick labels.

use std::ops::Range;

use chrono::{Datelike, NaiveDate};
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, ValueFormatter};
use plotters::prelude::*;

use crate::data::Series;

/// The first and last date (as day numbers) of a set of x vectors.
pub(crate) fn span<'a>(xs: impl IntoIterator<Item = &'a Vec<f64>>) -> (f64, f64) {
    let (lo, hi) = xs
        .into_iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    if lo > hi {
        (0.0, 7.0)
    } else {
        (lo, hi.max(lo + 7.0))
    }
}

/// A date axis (x in day numbers) with ticks on month starts, spaced so that at most
/// `max_ticks` fit, labelled `YYYY-MM` (or `YYYY` when ticks are a year or more apart).
/// Its own coordinate type because plotters' date coordinates need a feature the
/// workspace does not enable, and its key-point wrapper cannot carry a formatter.
#[derive(Clone)]
pub(crate) struct TimeAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    yearly: bool,
}

fn date(day: f64) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day.round() as i32).unwrap_or_default()
}

fn month_start(month_index: i32) -> f64 {
    let d = NaiveDate::from_ymd_opt(
        month_index.div_euclid(12),
        month_index.rem_euclid(12) as u32 + 1,
        1,
    )
    .unwrap_or_default();
    f64::from(d.num_days_from_ce())
}

impl TimeAxis {
    pub(crate) fn new((lo, hi): (f64, f64), max_ticks: usize) -> Self {
        let pad = (hi - lo) * 0.01;
        let (lo, hi) = (lo - pad, hi + pad);
        let month = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
        let (m0, m1) = (month(date(lo)), month(date(hi)));
        let months = (m1 - m0 + 1).max(1);
        let step = [1, 2, 3, 6, 12, 24, 60, 120]
            .into_iter()
            .find(|s| months / s <= max_ticks.max(2) as i32)
            .unwrap_or(240);
        let first = m0 + (step - m0.rem_euclid(step)) % step;
        let ticks = (first..=m1 + 1)
            .step_by(step as usize)
            .map(month_start)
            .filter(|&d| d >= lo && d <= hi)
            .collect();
        Self {
            lo,
            hi,
            ticks,
            yearly: step >= 12,
        }
    }

    pub(super) fn label(&self, day: f64) -> String {
        let d = date(day);
        if self.yearly {
            d.year().to_string()
        } else {
            format!("{}-{:02}", d.year(), d.month())
        }
    }

    /// The x range drawn, for reference lines across the panel.
    pub(crate) fn bounds(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }
}

impl Ranged for TimeAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let share = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (f64::from(limit.1 - limit.0) * share + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.max_num_points() == 0 {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for TimeAxis {
    fn format(day: &f64) -> String {
        let d = date(*day);
        format!("{}-{:02}", d.year(), d.month())
    }

    fn format_ext(&self, day: &f64) -> String {
        self.label(*day)
    }
}

/// A log-scaled y axis with ticks at 1-3, 1-2-5 (or denser) multiples of powers of ten.
/// plotters' own log coordinate puts a single tick on ranges narrower than a decade,
/// which is the usual case for one generation's prices.
#[derive(Clone)]
pub(crate) struct LogAxis {
    lo: f64,
    hi: f64,
}

impl LogAxis {
    /// `range` must be positive, as [`log_range`] returns it.
    pub(crate) fn new(range: Range<f64>) -> Self {
        let lo = range.start.max(f64::MIN_POSITIVE);
        Self {
            lo,
            hi: range.end.max(lo * 1.01),
        }
    }

    fn ticks(&self, mantissas: &[f64]) -> Vec<f64> {
        let (first, last) = (
            self.lo.log10().floor() as i32,
            self.hi.log10().ceil() as i32,
        );
        (first..=last)
            .flat_map(|e| mantissas.iter().map(move |m| m * 10f64.powi(e)))
            .filter(|v| *v >= self.lo && *v <= self.hi)
            .collect()
    }
}

impl Ranged for LogAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let (lo, hi) = (self.lo.ln(), self.hi.ln());
        let share = (v.max(self.lo * 1e-3).ln() - lo) / (hi - lo);
        limit.0 + (f64::from(limit.1 - limit.0) * share + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let max = hint.max_num_points();
        let mut best = Vec::new();
        for mantissas in [
            &[1.0][..],
            &[1.0, 3.0],
            &[1.0, 2.0, 5.0],
            &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0],
            &[1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        ] {
            let ticks = self.ticks(mantissas);
            if ticks.len() > max {
                break;
            }
            let enough = ticks.len() >= 5;
            best = ticks;
            if enough {
                break;
            }
        }
        best
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for LogAxis {
    fn format(v: &f64) -> String {
        fmt_num(*v)
    }
}

/// The present values of `series`, optionally only the positive ones (for log axes).
fn values<'a>(series: impl IntoIterator<Item = &'a Series>) -> impl Iterator<Item = f64> {
    series.into_iter().flatten().flatten().copied()
}

/// A padded linear range over all values, optionally stretched to include zero.
pub(crate) fn linear_range<'a>(
    series: impl IntoIterator<Item = &'a Series>,
    include_zero: bool,
) -> Range<f64> {
    let (mut lo, mut hi) = values(series).fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    if lo > hi {
        return 0.0..1.0;
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        (hi.abs() * 0.1).max(1.0)
    };
    let lo = if include_zero && lo == 0.0 {
        0.0
    } else {
        lo - pad
    };
    let hi = if include_zero && hi == 0.0 {
        0.0
    } else {
        hi + pad
    };
    lo..hi
}

/// A padded range over the positive values, for a log axis (non-positive values cannot
/// be placed on it and are skipped when drawing).
pub(crate) fn log_range<'a>(series: impl IntoIterator<Item = &'a Series>) -> Range<f64> {
    let (lo, hi) = values(series)
        .filter(|&v| v > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if lo > hi {
        return 1.0..10.0;
    }
    (lo / 1.25)..(hi * 1.25).max(lo * 2.0)
}

/// Formats a tick value compactly: thousands separators become k/M/B/T suffixes and
/// about three significant digits are kept, so money axes stay narrow.
pub(crate) fn fmt_num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    let a = v.abs();
    // "k" only from 10 000, so that years and four-digit prices stay as written.
    let (scaled, suffix) = [
        (1e12, 1e12, "T"),
        (1e9, 1e9, "B"),
        (1e6, 1e6, "M"),
        (1e4, 1e3, "k"),
    ]
    .into_iter()
    .find(|&(from, _, _)| a >= from)
    .map_or((v, ""), |(_, unit, s)| (v / unit, s));
    let decimals = (2 - scaled.abs().log10().floor() as i32).clamp(0, 4) as usize;
    let mut text = format!("{scaled:.decimals$}");
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if text == "-0" {
        text = "0".to_string();
    }
    text + suffix
}

/// A fraction column as percent, so axes read "35" rather than "0.35".
pub(crate) fn pct(s: &Series) -> Series {
    s.iter().map(|v| v.map(|v| v * 100.0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compact() {
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(0.035), "0.035");
        assert_eq!(fmt_num(2.5), "2.5");
        assert_eq!(fmt_num(1500.0), "1500");
        assert_eq!(fmt_num(25_000.0), "25k");
        assert_eq!(fmt_num(-1.25e9), "-1.25B");
        assert_eq!(fmt_num(0.30000000000000004), "0.3");
    }

    #[test]
    fn date_ticks_fall_on_month_starts() {
        let start = f64::from(
            NaiveDate::from_ymd_opt(2024, 1, 1)
                .unwrap()
                .num_days_from_ce(),
        );
        let axis = TimeAxis::new((start, start + 7.0 * 119.0), 10);
        assert!(!axis.ticks.is_empty() && axis.ticks.len() <= 11);
        assert!(axis.ticks.iter().all(|&t| date(t).day() == 1));
        assert_eq!(axis.label(start), "2024-01");
    }

    #[test]
    fn log_axis_has_several_ticks_within_a_decade() {
        let ticks = LogAxis::new(4_000.0..25_000.0).key_points(8);
        assert_eq!(ticks, vec![5_000.0, 7_000.0, 10_000.0, 15_000.0, 20_000.0]);
        let wide = LogAxis::new(50.0..60_000.0).key_points(8);
        assert_eq!(
            wide,
            vec![100.0, 300.0, 1_000.0, 3_000.0, 10_000.0, 30_000.0]
        );
    }
}
