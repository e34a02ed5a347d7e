//! Replayed inputs: an exogenous process (BTC price, network hashrate, AI demand, the
//! risk-free rate, the power price) read from a CSV of `date,value` instead of drawn.
//!
//! A series file is plain CSV with a `date,value` header; lines starting with `#` are
//! comments (where the numbers come from). Dates are ISO (`2022-06-30`) and strictly
//! increasing; values are finite (and positive, except a rate). Between two dates the
//! value is interpolated linearly, so month-end figures become a weekly path. The series
//! must cover the run, from its first tick to its last: a replay never extrapolates.

use crate::error::WorldError;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// A series read from its file: dated values, dates strictly increasing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// The file it was read from.
    pub file: PathBuf,
    /// (date, value), in date order.
    pub points: Vec<(NaiveDate, f64)>,
}

/// What values a series may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// Finite and above zero (prices, hashrate, demand, a multiplier).
    Positive,
    /// Finite, from -10% to 100% a year (a rate).
    Rate,
}

/// Every replayed input of a world, read when it is loaded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Replays {
    /// BTC price, $.
    pub btc_price: Option<Series>,
    /// Network hashrate, EH/s.
    pub hashrate_eh: Option<Series>,
    /// AI-services demand, H100-equivalent GPUs at the reference price.
    pub demand: Option<Series>,
    /// Risk-free rate, per year.
    pub rate: Option<Series>,
    /// Multiplier on every power contract.
    pub power: Option<Series>,
}

impl Replays {
    /// Each replayable input with the world field that names it.
    pub fn fields(&self) -> [(&'static str, &Option<Series>); 5] {
        [
            ("btc.price_series", &self.btc_price),
            ("btc.hashrate_series", &self.hashrate_eh),
            ("demand.series", &self.demand),
            ("rates.series", &self.rate),
            ("power.series", &self.power),
        ]
    }

    /// One line per replayed input: the field, its file, how many points and their span.
    pub fn describe(&self) -> Vec<String> {
        self.fields()
            .into_iter()
            .filter_map(|(field, series)| {
                let s = series.as_ref()?;
                Some(format!(
                    "{field} replays {}: {} points, {} to {}",
                    s.file.display(),
                    s.points.len(),
                    s.points[0].0,
                    s.points[s.points.len() - 1].0
                ))
            })
            .collect()
    }
}

impl Series {
    /// Reads and checks the series at `file` for the world field `field`.
    pub fn read(file: &Path, field: &str, values: Values) -> Result<Series, WorldError> {
        let text = std::fs::read_to_string(file).map_err(|e| WorldError::Series {
            file: file.to_path_buf(),
            line: 0,
            field: field.to_string(),
            message: format!("cannot read the series: {e}"),
        })?;
        Series::parse(&text, file, field, values)
    }

    /// Parses and checks a series' text (`file` and `field` name it in errors).
    pub fn parse(
        text: &str,
        file: &Path,
        field: &str,
        values: Values,
    ) -> Result<Series, WorldError> {
        let fail = |line: usize, message: String| WorldError::Series {
            file: file.to_path_buf(),
            line,
            field: field.to_string(),
            message,
        };
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        match lines.next() {
            Some((_, header)) if header.replace(' ', "").eq_ignore_ascii_case("date,value") => {}
            Some((n, header)) => {
                return Err(fail(
                    n,
                    format!("expected the header `date,value`, found `{header}`"),
                ));
            }
            None => {
                return Err(fail(
                    1,
                    "the series is empty: expected a `date,value` header and rows".into(),
                ));
            }
        }
        let mut points: Vec<(NaiveDate, f64)> = Vec::new();
        for (n, line) in lines {
            let (date, value) = line
                .split_once(',')
                .ok_or_else(|| fail(n, format!("expected `date,value`, found `{line}`")))?;
            let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| {
                fail(
                    n,
                    format!("`{}` is not a date: expected YYYY-MM-DD", date.trim()),
                )
            })?;
            let value: f64 = value
                .trim()
                .parse()
                .map_err(|_| fail(n, format!("`{}` is not a number", value.trim())))?;
            let ok = value.is_finite()
                && match values {
                    Values::Positive => value > 0.0,
                    Values::Rate => (-0.1..=1.0).contains(&value),
                };
            if !ok {
                let expected = match values {
                    Values::Positive => "a finite number above zero",
                    Values::Rate => "a finite rate from -0.1 to 1.0 a year",
                };
                return Err(fail(n, format!("{value} on {date}: expected {expected}")));
            }
            if let Some((last, _)) = points.last()
                && date <= *last
            {
                return Err(fail(
                    n,
                    format!("{date} does not come after {last}: dates must increase"),
                ));
            }
            points.push((date, value));
        }
        if points.is_empty() {
            return Err(fail(1, "the series has a header but no rows".into()));
        }
        Ok(Series {
            file: file.to_path_buf(),
            points,
        })
    }

    /// Checks that the series covers `first` to `last` (the run's first and last days).
    pub fn check_covers(
        &self,
        field: &str,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<(), WorldError> {
        let (start, end) = (self.points[0].0, self.points[self.points.len() - 1].0);
        if start > first || end < last {
            return Err(WorldError::Series {
                file: self.file.clone(),
                line: 0,
                field: field.to_string(),
                message: format!(
                    "covers {start} to {end}; the run needs {first} to {last} (a replay never \
                     extrapolates: extend the file, or shorten the run with --ticks)"
                ),
            });
        }
        Ok(())
    }

    /// The value on `date`, interpolated linearly between the dates around it (the first
    /// or last value outside the series, which [`Series::check_covers`] rules out for a run).
    pub fn at(&self, date: NaiveDate) -> f64 {
        let i = self.points.partition_point(|(d, _)| *d <= date);
        if i == 0 {
            return self.points[0].1;
        }
        if i == self.points.len() {
            return self.points[i - 1].1;
        }
        let (d0, v0) = self.points[i - 1];
        let (d1, v1) = self.points[i];
        let span = (d1 - d0).num_days() as f64;
        let into = (date - d0).num_days() as f64;
        v0 + (v1 - v0) * into / span
    }
}

/// Reads every series a world names (relative paths from the directory of
/// `world_file`), checks that each covers the run, and keeps them in `world.replays`.
pub fn read_replays(world: &mut crate::WorldFile, world_file: &Path) -> Result<(), WorldError> {
    let (first, last) = (world.start, world.end_date());
    let read = |field: &str,
                path: &Option<String>,
                values: Values|
     -> Result<Option<Series>, WorldError> {
        let Some(path) = path else {
            return Ok(None);
        };
        let series = Series::read(&resolve_series_path(world_file, path), field, values)?;
        series.check_covers(field, first, last)?;
        Ok(Some(series))
    };
    world.replays = Replays {
        btc_price: read(
            "btc.price_series",
            &world.btc.price_series,
            Values::Positive,
        )?,
        hashrate_eh: read(
            "btc.hashrate_series",
            &world.btc.hashrate_series,
            Values::Positive,
        )?,
        demand: read("demand.series", &world.demand.series, Values::Positive)?,
        rate: read("rates.series", &world.rates.series, Values::Rate)?,
        power: read("power.series", &world.power.series, Values::Positive)?,
    };
    Ok(())
}

/// Resolves a series path from a world file: relative paths are relative to the directory
/// of the world file.
pub fn resolve_series_path(world_file: &Path, series: &str) -> PathBuf {
    let path = Path::new(series);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        world_file
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Series, WorldError> {
        Series::parse(
            text,
            Path::new("btc.csv"),
            "btc.price_series",
            Values::Positive,
        )
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_series_interpolates_between_its_dates() {
        let s = parse("# source: exchange closes\ndate,value\n2022-01-01,100\n2022-01-11,200\n")
            .unwrap();
        assert_eq!(s.at(date("2022-01-01")), 100.0);
        assert_eq!(s.at(date("2022-01-06")), 150.0);
        assert_eq!(s.at(date("2022-01-11")), 200.0);
        assert!(
            s.check_covers("f", date("2022-01-01"), date("2022-01-11"))
                .is_ok()
        );
        let short = s.check_covers("f", date("2022-01-01"), date("2022-02-01"));
        assert!(
            short
                .unwrap_err()
                .to_string()
                .contains("the run needs 2022-01-01 to 2022-02-01")
        );
    }

    #[test]
    fn bad_series_name_the_file_line_and_field() {
        let cases = [
            ("", ":1: btc.price_series: the series is empty"),
            (
                "when,price\n",
                ":1: btc.price_series: expected the header `date,value`",
            ),
            (
                "date,value\n",
                ":1: btc.price_series: the series has a header but no rows",
            ),
            (
                "date,value\n2022-01-01,1\n2021-12-31,2\n",
                ":3: btc.price_series: 2021-12-31 does not come after 2022-01-01",
            ),
            (
                "date,value\n2022-01-01,1\n2022-01-01,2\n",
                ":3: btc.price_series: 2022-01-01 does not come after",
            ),
            (
                "date,value\n2022-01-01,NaN\n",
                ":2: btc.price_series: NaN on 2022-01-01: expected a finite number above zero",
            ),
            (
                "date,value\n2022-01-01,-5\n",
                ":2: btc.price_series: -5 on 2022-01-01",
            ),
            (
                "date,value\n01/02/2022,5\n",
                ":2: btc.price_series: `01/02/2022` is not a date",
            ),
            (
                "date,value\n2022-01-01,five\n",
                ":2: btc.price_series: `five` is not a number",
            ),
            (
                "date,value\n# note\n2022-01-01\n",
                ":3: btc.price_series: expected `date,value`",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text).expect_err(text).to_string();
            assert!(err.starts_with("btc.csv:"), "{err}");
            assert!(err.contains(expected), "{text:?}: {err} lacks {expected}");
        }
        let rate = Series::parse(
            "date,value\n2022-01-01,0\n",
            Path::new("r.csv"),
            "rates.series",
            Values::Rate,
        );
        assert!(rate.is_ok(), "a zero rate is a rate");
    }
}
