//! Simulated time: ticks of `tick_days` days from a start date.

use bevy_ecs::prelude::*;
use chrono::{Duration, NaiveDate};

/// The run's calendar; `tick` is the tick being simulated.
#[derive(Resource, Debug, Clone)]
pub struct Clock {
    /// First day of tick 0.
    pub start: NaiveDate,
    /// Days per tick (7 for weekly).
    pub tick_days: u32,
    /// Ticks in the run.
    pub ticks: u32,
    /// The tick being simulated.
    pub tick: u32,
}

impl Clock {
    /// First day of tick `tick`.
    pub fn date_of(&self, tick: u32) -> NaiveDate {
        self.start + Duration::days(i64::from(tick) * i64::from(self.tick_days))
    }

    /// First day of the current tick.
    pub fn today(&self) -> NaiveDate {
        self.date_of(self.tick)
    }

    /// Current date as `YYYY-MM-DD`.
    pub fn today_str(&self) -> String {
        self.today().format("%Y-%m-%d").to_string()
    }

    /// First tick on or after `date` (0 when the date is before the start).
    pub fn tick_of(&self, date: NaiveDate) -> u32 {
        let days = (date - self.start).num_days();
        if days <= 0 {
            0
        } else {
            (days as u64).div_ceil(u64::from(self.tick_days)) as u32
        }
    }

    /// Length of a tick in years (365-day years).
    pub fn years_per_tick(&self) -> f64 {
        f64::from(self.tick_days) / 365.0
    }

    /// Hours in a tick.
    pub fn hours_per_tick(&self) -> f64 {
        f64::from(self.tick_days) * 24.0
    }

    /// Ticks in `years` years, rounded to the nearest tick.
    pub fn ticks_in_years(&self, years: f64) -> u32 {
        (years / self.years_per_tick()).round().max(0.0) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_ticks_round_trip() {
        let clock = Clock {
            start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            tick_days: 7,
            ticks: 10,
            tick: 0,
        };
        assert_eq!(clock.date_of(2).to_string(), "2024-01-15");
        assert_eq!(
            clock.tick_of(NaiveDate::from_ymd_opt(2024, 1, 15).unwrap()),
            2
        );
        assert_eq!(
            clock.tick_of(NaiveDate::from_ymd_opt(2024, 1, 16).unwrap()),
            3
        );
        assert_eq!(clock.ticks_in_years(1.0), 52);
    }
}
