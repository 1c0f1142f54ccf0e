//! Usage ahead, with its uncertainty (domain contract, part 3, "Next-term usage, with
//! uncertainty"): pure arithmetic on a daily series. One model forecasts both the rest of the
//! current term and the next one.
//!
//! - **Level**: r0, the mean daily list spend over the 28 days ending on the review month's last
//!   day d_end (from the first day with usage, when that is later). The level already carries
//!   today's mix and prices.
//! - **Growth** is volume growth: ordinary least squares of ln W_k on k, where W_k is the tokens
//!   (U + W5 + W1 + R + O) of week k = 1..13 ending on d_end (week 13 is its last 7 days). A week
//!   counts when it starts on or after the first day and has tokens. Slope b, standard error
//!   se = √(SSR / (n − 2) / Σ(k − k̄)²). Fewer than 6 counting weeks: b = se = 0.
//! - **Scenarios**: b10 = min(b − 1.2816 se, 0) (the lower scenario never assumes growth),
//!   b50 = b, b90 = b + 1.2816 se, each clipped to ±ln(1 + g_max) × 7 / 30.4375. A configured
//!   monthly growth g replaces b by ln(1 + g) × 7 / 30.4375 and is not clipped.
//! - **Day D** in scenario p: r0 × exp(b_p × (D − d_end + 13.5) / 7): the level stands for the
//!   middle of its 28 days, 13.5 days before d_end.
//! - **Backtest**: the model refitted at each of the last three month-ends before d_end that have
//!   6 counting weeks before them, predicting the next calendar month's list spend.

use chrono::NaiveDate;
use serde::Serialize;
use statrs::statistics::Statistics;

use crate::month::Month;

/// Days the level averages over.
pub const LEVEL_DAYS: i64 = 28;
/// Weeks the growth is fitted on.
pub const WEEKS: i64 = 13;
/// The fewest counting weeks a growth estimate rests on.
pub const MIN_WEEKS: usize = 6;
/// The standard normal's 90th percentile: P10 and P90 at ∓1.2816 standard errors.
pub const Z90: f64 = 1.2816;
/// Days in an average month.
pub const DAYS_PER_MONTH: f64 = 30.4375;
/// Month-ends the model is backtested at.
pub const BACKTEST_MONTHS: usize = 3;
/// How far r0 may stray from the review month's daily mean before the review says so.
pub const LEVEL_NOTE_GAP: f64 = 0.10;
/// Where the level stands, in days before d_end: the middle of its 28 days.
const LEVEL_CENTRE: f64 = 13.5;

/// One day of usage: list spend (before the contract discount), net spend, tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Day {
    /// The day (UTC).
    pub day: NaiveDate,
    /// List spend.
    pub list: f64,
    /// Net spend (after the contract discount; billed where the data carries it).
    pub net: f64,
    /// Tokens: U + W5 + W1 + R + O.
    pub tokens: f64,
}

/// What the configuration says of growth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Growth {
    /// The monthly growth the scenarios assume at most (and at least its negative).
    pub max_monthly: f64,
    /// A monthly growth to assume instead of the data's.
    pub fixed_monthly: Option<f64>,
}

impl Default for Growth {
    fn default() -> Self {
        Growth {
            max_monthly: crate::config::renewal::DEFAULT_MAX_MONTHLY_GROWTH,
            fixed_monthly: None,
        }
    }
}

/// A weekly slope of ln(tokens) as a monthly growth rate.
pub fn monthly_rate(slope: f64) -> f64 {
    (slope * DAYS_PER_MONTH / 7.0).exp() - 1.0
}

/// A monthly growth rate as a weekly slope of ln(tokens).
pub fn weekly_slope(monthly: f64) -> f64 {
    (1.0 + monthly).ln() * 7.0 / DAYS_PER_MONTH
}

/// One of the 13 weeks the growth is fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Week {
    /// Its number, 1..13 (13 ends on d_end).
    pub k: i64,
    /// Its first day.
    pub first: NaiveDate,
    /// Its last day.
    pub last: NaiveDate,
    /// Its tokens.
    pub tokens: f64,
    /// Whether it counts (starts on or after the first day and has tokens).
    pub counts: bool,
}

/// The model fitted at one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// The last day of the data the model sees (the review month's last day).
    pub d_end: NaiveDate,
    /// The first day with usage.
    pub first_day: NaiveDate,
    /// The days the level averages over (28, fewer when the data starts later).
    pub level_days: i64,
    /// The level: mean daily list spend over those days.
    pub r0: f64,
    /// Mean daily net spend over the same days.
    pub r0_net: f64,
    /// Mean daily list spend of the month ending on d_end (its days from the first day).
    pub month_mean: f64,
    /// The 13 weeks, oldest first.
    pub weeks: Vec<Week>,
    /// Counting weeks.
    pub counting_weeks: usize,
    /// The slope the data gives (0 with fewer than 6 counting weeks).
    pub data_slope: f64,
    /// Its standard error (0 with fewer than 6 counting weeks).
    pub se: f64,
    /// The slope the scenarios are formed from (the configured growth's, when one is set).
    pub slope: f64,
    /// Whether a configured monthly growth replaced the data's.
    pub fixed: bool,
    /// The scenario slopes b10, b50, b90, clipped.
    pub slopes: [f64; 3],
    /// Which of them the clip moved.
    pub clipped: [bool; 3],
    /// The scenarios' growth as monthly rates.
    pub monthly_growth: [f64; 3],
}

impl Model {
    /// Fits the model on the days up to `d_end`; `None` when there is no usage by then.
    pub fn fit(days: &[Day], d_end: NaiveDate, growth: Growth) -> Option<Model> {
        let seen: Vec<&Day> = days
            .iter()
            .filter(|d| d.day <= d_end && (d.list != 0.0 || d.tokens > 0.0 || d.net != 0.0))
            .collect();
        let first_day = seen.iter().map(|d| d.day).min()?;
        let sum = |from: NaiveDate, f: fn(&Day) -> f64| -> f64 {
            seen.iter()
                .filter(|d| d.day >= from && d.day <= d_end)
                .map(|d| f(d))
                .sum()
        };
        let level_from = (d_end - chrono::Duration::days(LEVEL_DAYS - 1)).max(first_day);
        let level_days = (d_end - level_from).num_days() + 1;
        let r0 = sum(level_from, |d| d.list) / level_days as f64;
        let r0_net = sum(level_from, |d| d.net) / level_days as f64;
        let month_from = Month::of(d_end).first_day().max(first_day);
        let month_mean = sum(month_from, |d| d.list) / ((d_end - month_from).num_days() + 1) as f64;

        let weeks: Vec<Week> = (1..=WEEKS)
            .map(|k| {
                let last = d_end - chrono::Duration::days(7 * (WEEKS - k));
                let first = last - chrono::Duration::days(6);
                let tokens: f64 = seen
                    .iter()
                    .filter(|d| d.day >= first && d.day <= last)
                    .map(|d| d.tokens)
                    .sum();
                Week {
                    k,
                    first,
                    last,
                    tokens,
                    counts: first >= first_day && tokens > 0.0,
                }
            })
            .collect();
        let counting: Vec<&Week> = weeks.iter().filter(|w| w.counts).collect();
        let (data_slope, se) = if counting.len() >= MIN_WEEKS {
            ols(
                &counting.iter().map(|w| w.k as f64).collect::<Vec<_>>(),
                &counting.iter().map(|w| w.tokens.ln()).collect::<Vec<_>>(),
            )
        } else {
            (0.0, 0.0)
        };
        let (slope, fixed) = match growth.fixed_monthly {
            Some(g) => (weekly_slope(g), true),
            None => (data_slope, false),
        };
        let raw = [(slope - Z90 * se).min(0.0), slope, slope + Z90 * se];
        let cap = weekly_slope(growth.max_monthly);
        let slopes = if fixed {
            raw
        } else {
            raw.map(|b| b.clamp(-cap, cap))
        };
        let clipped = [0, 1, 2].map(|i| slopes[i] != raw[i]);
        Some(Model {
            d_end,
            first_day,
            level_days,
            r0,
            r0_net,
            month_mean,
            counting_weeks: counting.len(),
            weeks,
            data_slope,
            se,
            slope,
            fixed,
            slopes,
            clipped,
            monthly_growth: slopes.map(monthly_rate),
        })
    }

    /// The growth factor of day `day` in scenario `p` (0 = P10, 1 = P50, 2 = P90).
    pub fn factor(&self, p: usize, day: NaiveDate) -> f64 {
        let t = (day - self.d_end).num_days() as f64 + LEVEL_CENTRE;
        (self.slopes[p] * t / 7.0).exp()
    }

    /// List spend from `first` through `last` in scenario `p` (0 for an empty span).
    pub fn list(&self, p: usize, first: NaiveDate, last: NaiveDate) -> f64 {
        self.r0 * self.growth_sum(p, first, last)
    }

    fn growth_sum(&self, p: usize, first: NaiveDate, last: NaiveDate) -> f64 {
        first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| self.factor(p, d))
            .sum()
    }

    /// Whether r0 strays from the month's daily mean by more than 10%.
    pub fn level_strays(&self) -> bool {
        self.month_mean > 0.0 && (self.r0 / self.month_mean - 1.0).abs() > LEVEL_NOTE_GAP
    }

    /// What the review says of the model, in sentences: the level against the month's mean,
    /// and what the growth rests on.
    pub fn notes(&self) -> Vec<String> {
        use crate::fmt;
        let mut out = Vec::new();
        if self.level_strays() {
            out.push(format!(
                "The level, {} a day at list over the last {}, is {} the month's daily mean of {}: the forecast starts from the recent level.",
                fmt::usd(self.r0),
                fmt::count(self.level_days, "day"),
                if self.r0 > self.month_mean {
                    format!("{} above", fmt::pct(self.r0 / self.month_mean - 1.0))
                } else {
                    format!("{} below", fmt::pct(1.0 - self.r0 / self.month_mean))
                },
                fmt::usd(self.month_mean)
            ));
        }
        if self.fixed {
            out.push(format!(
                "Growth is the configured {} a month (commitment.monthly_growth), not the data's {}.",
                fmt::pct_signed(monthly_rate(self.slope)),
                if self.counting_weeks >= MIN_WEEKS {
                    fmt::pct_signed(monthly_rate(self.data_slope))
                } else {
                    "(too little history to estimate)".to_owned()
                }
            ));
        } else if self.counting_weeks < MIN_WEEKS {
            out.push(format!(
                "The history is too short to estimate growth ({} of the 13 weeks to {} have usage; at least {MIN_WEEKS} are needed): every scenario assumes none.",
                self.counting_weeks, self.d_end
            ));
        } else if self.counting_weeks < WEEKS as usize {
            out.push(format!(
                "Growth rests on {} weeks of the 13 to {}.",
                self.counting_weeks, self.d_end
            ));
        }
        if self.clipped.iter().any(|c| *c) {
            out.push(format!(
                "Growth is held within ±{} a month (commitment.max_monthly_growth){}.",
                fmt::pct(monthly_rate(
                    self.slopes.iter().fold(0.0_f64, |a, b| a.max(b.abs()))
                )),
                if self.clipped[1] {
                    format!(
                        ": the data's {} a month is more than a term's forecast should assume",
                        fmt::pct_signed(monthly_rate(self.slope))
                    )
                } else {
                    String::new()
                }
            ));
        }
        out
    }
}

/// Ordinary least squares of `y` on `x`: the slope and its standard error.
fn ols(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let (mx, my) = (x.mean(), y.mean());
    // statrs divides by n − 1; the n − 1 cancels in the slope.
    let sxx = x.variance() * (n - 1.0);
    let sxy = x.covariance(y) * (n - 1.0);
    let b = sxy / sxx;
    let a = my - b * mx;
    let ssr: f64 = x
        .iter()
        .zip(y)
        .map(|(xi, yi)| (yi - a - b * xi).powi(2))
        .sum();
    (b, (ssr / (n - 2.0) / sxx).sqrt())
}

/// The model refitted at one month-end, against the month after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestMonth {
    /// The month-end the model was fitted at.
    pub fitted_at: NaiveDate,
    /// The month predicted (the next calendar month).
    pub month: Month,
    /// Its list spend at P10, P50, P90.
    pub predicted: [f64; 3],
    /// Its actual list spend.
    pub actual: f64,
    /// (P50 − actual) / actual; `None` when nothing was spent.
    pub error: Option<f64>,
    /// Whether the actual fell between P10 and P90.
    pub inside: bool,
    /// Counting weeks the refit rested on.
    pub weeks: usize,
}

/// The model's record on the months before the review month.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Backtest {
    /// Oldest first.
    pub months: Vec<BacktestMonth>,
    /// The mean absolute percentage error.
    pub mape: Option<f64>,
    /// How many actuals fell inside P10–P90.
    pub inside: usize,
}

/// Backtests the model at the last three month-ends before `d_end` that have 6 counting weeks
/// before them.
pub fn backtest(days: &[Day], d_end: NaiveDate, growth: Growth) -> Backtest {
    let Some(first) = days.iter().map(|d| d.day).min() else {
        return Backtest::default();
    };
    let mut months = Vec::new();
    let mut m = Month::of(d_end).prev();
    while months.len() < BACKTEST_MONTHS && m.last_day() >= first {
        let end = m.last_day();
        let next = m.next();
        if end < d_end
            && let Some(fit) = Model::fit(days, end, growth)
            && fit.counting_weeks >= MIN_WEEKS
        {
            let (a, b) = (next.first_day(), next.last_day().min(d_end));
            let predicted = [0, 1, 2].map(|p| fit.list(p, a, b));
            let actual: f64 = days
                .iter()
                .filter(|d| d.day >= a && d.day <= b)
                .map(|d| d.list)
                .sum();
            months.push(BacktestMonth {
                fitted_at: end,
                month: next,
                predicted,
                actual,
                error: (actual > 0.0).then(|| (predicted[1] - actual) / actual),
                inside: predicted[0] <= actual && actual <= predicted[2],
                weeks: fit.counting_weeks,
            });
        }
        m = m.prev();
    }
    months.reverse();
    let errors: Vec<f64> = months.iter().filter_map(|b| b.error).collect();
    Backtest {
        mape: (!errors.is_empty())
            .then(|| errors.iter().map(|e| e.abs()).sum::<f64>() / errors.len() as f64),
        inside: months.iter().filter(|b| b.inside).count(),
        months,
    }
}

#[cfg(test)]
mod tests;
