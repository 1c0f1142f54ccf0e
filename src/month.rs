//! Calendar months (UTC) and the date arithmetic the review needs.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Serialize, Serializer};

/// A calendar month, ordered in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// The month of `year` (any) and `month` (1..=12).
    pub fn new(year: i32, month: u32) -> Option<Month> {
        (1..=12).contains(&month).then_some(Month { year, month })
    }

    /// The month a day falls in.
    pub fn of(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }

    /// From a month index `year * 12 + (month - 1)`.
    pub fn from_index(index: i32) -> Month {
        Month {
            year: index.div_euclid(12),
            month: index.rem_euclid(12) as u32 + 1,
        }
    }

    /// `year * 12 + (month - 1)`: consecutive months have consecutive indexes.
    pub fn index(&self) -> i32 {
        self.year * 12 + self.month as i32 - 1
    }

    /// First day of the month.
    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    /// Last day of the month.
    pub fn last_day(&self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("valid date")
    }

    /// Number of days in the month.
    pub fn days(&self) -> i64 {
        (self.last_day() - self.first_day()).num_days() + 1
    }

    /// The month after this one.
    pub fn next(&self) -> Month {
        self.plus(1)
    }

    /// The month before this one.
    pub fn prev(&self) -> Month {
        self.plus(-1)
    }

    /// This month moved by `n` months.
    pub fn plus(&self, n: i32) -> Month {
        Month::from_index(self.index() + n)
    }

    /// A given day of this month, clamped to its last day.
    pub fn day(&self, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, day).unwrap_or_else(|| self.last_day())
    }

    /// The day `months` months after `date`, clamped to month end (chrono's month arithmetic).
    pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
        date.checked_add_months(Months::new(months)).unwrap_or(date)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a month; write it as YYYY-MM (e.g. 2026-10)");
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year = y.parse().map_err(|_| bad())?;
        let month = m.parse().map_err(|_| bad())?;
        Month::new(year, month).ok_or_else(bad)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `2026-10` as a month, for tests.
#[cfg(test)]
pub fn ym(s: &str) -> Month {
    s.parse().expect("a month")
}

/// `2026-10-05` as a date, for tests.
#[cfg(test)]
pub fn day(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_arithmetic() {
        let m: Month = "2026-02".parse().unwrap();
        assert_eq!(m.days(), 28);
        assert_eq!(m.prev().to_string(), "2026-01");
        assert_eq!(m.plus(-2).to_string(), "2025-12");
        assert_eq!(m.plus(11).to_string(), "2027-01");
        assert_eq!(Month::from_index(m.index()), m);
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
        assert_eq!("2024-02".parse::<Month>().unwrap().days(), 29);
        assert_eq!(m.day(31), NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
    }

    #[test]
    fn bad_months_are_rejected() {
        for s in ["2026-13", "2026-1", "26-10", "october", "2026/10"] {
            assert!(s.parse::<Month>().is_err(), "{s}");
        }
    }
}
