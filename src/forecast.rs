//! A forecast of daily spend with its uncertainty: pure arithmetic on a daily series.
//!
//! **Method** (trend, day of week, bootstrapped residuals):
//!
//! 1. Fit the logarithm of daily spend over the last 26 weeks of history (at least 60 days) by
//!    ordinary least squares: a level, a trend and a day-of-week effect (six dummies, Sunday the
//!    base), solved through the SVD pseudo-inverse (`nalgebra`). On the log scale the trend is a
//!    growth rate and the weekly cycle a ratio (weekends at 40% of weekdays stay at 40% as spend
//!    grows), and the noise is proportional to spend, as it is in usage.
//! 2. Re-anchor the level on the last four weeks: their mean residual is added to it, so that a
//!    recent step (a launch) carries into the forecast instead of being averaged away.
//! 3. Simulate 1,000 paths: each resamples the residuals in blocks of a week (keeping runs of
//!    high and low days together), refits the trend on fitted + resampled residuals (the
//!    uncertainty of the trend itself), lets the level wander like a random walk (one of the
//!    history's four-week mean residuals, drawn at random, scaled by √(days ahead / 28): how far
//!    spend strays from its trend for weeks at a time), and adds a second block-resampled
//!    residual run to each future day; a day's spend is never below 0. Residuals are scaled by
//!    √(n / (n − 8)) for the eight fitted parameters.
//! 4. P10, P50 and P90 of every day and of the running total are the paths' quantiles
//!    (`statrs`, the median-unbiased estimator R-8).
//!
//! The random draws come from a ChaCha8 generator (`rand_chacha`, portable and reproducible) with
//! a fixed seed: the same history gives the same forecast, bit for bit.
//!
//! Fewer than 60 days of history is too little to separate a trend from a weekly cycle: the
//! forecast declines with a message.

use chrono::{Datelike, NaiveDate};
use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use statrs::statistics::{Data, OrderStatistics};

/// The least history the forecast accepts, in days with data.
pub const MIN_HISTORY_DAYS: usize = 60;
/// How far back the fit looks, in days.
pub const WINDOW_DAYS: i64 = 182;
/// Days whose mean residual re-anchors the level.
pub const ANCHOR_DAYS: usize = 28;
/// Simulated paths.
pub const PATHS: usize = 1000;
/// Residuals are resampled in blocks of this many days.
pub const BLOCK_DAYS: usize = 7;
const PARAMS: usize = 8;
const SEED: u64 = 0x676f_7672_6576_6965;

/// P10, P50 and P90 of daily spend, day by day, and of the running total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// The first day forecast.
    pub first: NaiveDate,
    /// The last day forecast.
    pub last: NaiveDate,
    /// Days of history the fit used.
    pub fit_days: usize,
    /// Each day's spend: [P10, P50, P90].
    pub daily: Vec<[f64; 3]>,
    /// The total from `first` through each day: [P10, P50, P90].
    pub cumulative: Vec<[f64; 3]>,
}

impl Forecast {
    /// The total over the whole horizon: [P10, P50, P90] (zeros for an empty horizon).
    pub fn total(&self) -> [f64; 3] {
        self.cumulative.last().copied().unwrap_or([0.0; 3])
    }

    /// The day of a forecast index.
    pub fn day(&self, i: usize) -> NaiveDate {
        self.first + chrono::Duration::days(i as i64)
    }
}

/// One row of the design matrix: level, trend (per 100 days from `t0`), Monday..Saturday.
fn design(day: NaiveDate, t0: NaiveDate) -> [f64; PARAMS] {
    let mut x = [0.0; PARAMS];
    x[0] = 1.0;
    x[1] = (day - t0).num_days() as f64 / 100.0;
    let dow = day.weekday().num_days_from_monday() as usize; // Monday 0 .. Sunday 6
    if dow < 6 {
        x[2 + dow] = 1.0;
    }
    x
}

/// `len` residuals drawn in blocks of consecutive days.
fn block_resample(resid: &[f64], len: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let n = resid.len();
    let block = BLOCK_DAYS.min(n).max(1);
    let mut out = Vec::with_capacity(len + block);
    while out.len() < len {
        let start = rng.random_range(0..=n - block);
        out.extend_from_slice(&resid[start..start + block]);
    }
    out.truncate(len);
    out
}

/// Forecasts every day from `first` through `last` from the days of `history` before `first`.
/// `history` holds (day, spend) for days with data, in any order.
pub fn forecast(
    history: &[(NaiveDate, f64)],
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Forecast, String> {
    let mut past: Vec<(NaiveDate, f64)> = history
        .iter()
        .copied()
        .filter(|(d, v)| *d < first && v.is_finite())
        .collect();
    past.sort_by_key(|(d, _)| *d);
    if past.len() < MIN_HISTORY_DAYS {
        return Err(format!(
            "only {} days of spend before {first}; a forecast needs at least {MIN_HISTORY_DAYS}",
            past.len()
        ));
    }
    let since = first - chrono::Duration::days(WINDOW_DAYS);
    let in_window = past.iter().filter(|(d, _)| *d >= since).count();
    let fit = &past[past.len() - in_window.max(MIN_HISTORY_DAYS)..];
    let n = fit.len();
    let t0 = fit[0].0;
    let x = DMatrix::from_fn(n, PARAMS, |i, j| design(fit[i].0, t0)[j]);
    // A day without spend would have no logarithm: shift by a thousandth of the mean.
    let shift = (fit.iter().map(|(_, v)| v.max(0.0)).sum::<f64>() / n as f64 * 1e-3).max(1e-6);
    let y = DVector::from_iterator(n, fit.iter().map(|(_, v)| (v.max(0.0) + shift).ln()));
    let pinv = x
        .clone()
        .svd(true, true)
        .pseudo_inverse(1e-9)
        .map_err(|e| format!("the trend cannot be fitted: {e}"))?;
    let beta = &pinv * &y;
    let fitted = &x * &beta;
    let inflate = (n as f64 / (n - PARAMS) as f64).sqrt();
    let resid: Vec<f64> = (0..n).map(|i| (y[i] - fitted[i]) * inflate).collect();
    let anchor =
        resid[n - ANCHOR_DAYS.min(n)..].iter().sum::<f64>() / ANCHOR_DAYS.min(n) as f64 / inflate;

    // The four-week mean residuals of the fit, newest first, centred: how far the level strays.
    let mut wander: Vec<f64> = resid
        .rchunks_exact(ANCHOR_DAYS)
        .map(|c| c.iter().sum::<f64>() / ANCHOR_DAYS as f64)
        .collect();
    let centre = wander.iter().sum::<f64>() / wander.len().max(1) as f64;
    wander.iter_mut().for_each(|w| *w -= centre);

    let horizon = (last - first).num_days() + 1;
    let h = horizon.max(0) as usize;
    let future: Vec<[f64; PARAMS]> = (0..h)
        .map(|j| design(first + chrono::Duration::days(j as i64), t0))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    // Day-major: samples[j * PATHS + p].
    let mut daily = vec![0.0; h * PATHS];
    let mut running = vec![0.0; h * PATHS];
    for p in 0..PATHS {
        let e = DVector::from_vec(block_resample(&resid, n, &mut rng));
        let mut b = &beta + &pinv * e;
        b[0] += anchor;
        let noise = block_resample(&resid, h, &mut rng);
        let step = if wander.is_empty() {
            0.0
        } else {
            wander[rng.random_range(0..wander.len())]
        };
        let mut total = 0.0;
        for j in 0..h {
            let mean: f64 = future[j].iter().zip(b.iter()).map(|(a, c)| a * c).sum();
            let level = step * ((j + 1) as f64 / ANCHOR_DAYS as f64).sqrt();
            let v = ((mean + level + noise[j]).exp() - shift).max(0.0);
            total += v;
            daily[j * PATHS + p] = v;
            running[j * PATHS + p] = total;
        }
    }
    let quantiles = |all: &[f64], j: usize| -> [f64; 3] {
        let mut d = Data::new(all[j * PATHS..(j + 1) * PATHS].to_vec());
        [d.quantile(0.1), d.quantile(0.5), d.quantile(0.9)]
    };
    Ok(Forecast {
        first,
        last,
        fit_days: n,
        daily: (0..h).map(|j| quantiles(&daily, j)).collect(),
        cumulative: (0..h).map(|j| quantiles(&running, j)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Daily spend: a linear trend, a weekly cycle (weekends at 40%) and noise of about 6% from
    /// `seed`.
    fn synthetic(seed: u64, days: i64) -> Vec<(NaiveDate, f64)> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let start = d("2025-01-01");
        (0..days)
            .map(|i| {
                let day = start + chrono::Duration::days(i);
                let weekend = day.weekday().num_days_from_monday() >= 5;
                let base = (1000.0 + 3.0 * i as f64) * if weekend { 0.4 } else { 1.0 };
                // Roughly normal noise (a sum of uniforms), proportional to spend.
                let noise: f64 = (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0;
                (day, base * (1.0 + 0.06 * noise))
            })
            .collect()
    }

    #[test]
    fn p10_to_p90_covers_about_80_percent_of_held_out_days() {
        let (mut inside, mut all) = (0usize, 0usize);
        for seed in 0..40 {
            let series = synthetic(seed, 300);
            let (fit, held) = series.split_at(240);
            let f = forecast(fit, held[0].0, held.last().unwrap().0).unwrap();
            assert_eq!(f.daily.len(), held.len());
            for (q, (_, actual)) in f.daily.iter().zip(held) {
                all += 1;
                if q[0] <= *actual && *actual <= q[2] {
                    inside += 1;
                }
            }
        }
        let coverage = inside as f64 / all as f64;
        println!("P10-P90 coverage on held-out days: {coverage:.3}");
        assert!(
            (0.72..=0.90).contains(&coverage),
            "P10-P90 covered {coverage:.3} of held-out days"
        );
    }

    #[test]
    fn the_trend_and_the_weekly_cycle_are_followed() {
        let series = synthetic(7, 240);
        let first = series.last().unwrap().0 + chrono::Duration::days(1);
        let f = forecast(&series, first, first + chrono::Duration::days(13)).unwrap();
        // Day 240 onwards: weekdays near 1000 + 3 x 240 = 1720, weekend days near 40% of that.
        for (i, q) in f.daily.iter().enumerate() {
            let day = f.day(i);
            let weekend = day.weekday().num_days_from_monday() >= 5;
            let t = 240.0 + i as f64;
            let want = (1000.0 + 3.0 * t) * if weekend { 0.4 } else { 1.0 };
            assert!(
                (q[1] / want - 1.0).abs() < 0.06,
                "{day}: P50 {} vs {want}",
                q[1]
            );
            assert!(q[0] < q[1] && q[1] < q[2]);
        }
        // Totals grow and their band widens.
        let c = &f.cumulative;
        assert!(c[13][1] > c[0][1]);
        assert!(c[13][2] - c[13][0] > c[0][2] - c[0][0]);
    }

    #[test]
    fn declines_on_thin_history() {
        let series = synthetic(1, 59);
        let e = forecast(&series, d("2025-03-01"), d("2025-03-31")).unwrap_err();
        assert!(e.contains("only 59 days"), "{e}");
        assert!(e.contains("at least 60"), "{e}");
    }

    #[test]
    fn the_same_history_gives_the_same_forecast() {
        let series = synthetic(3, 120);
        let a = forecast(&series, d("2025-05-01"), d("2025-06-30")).unwrap();
        let b = forecast(&series, d("2025-05-01"), d("2025-06-30")).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn an_empty_horizon_forecasts_nothing() {
        let series = synthetic(3, 120);
        let f = forecast(&series, d("2025-05-01"), d("2025-04-30")).unwrap();
        assert!(f.daily.is_empty());
        assert_eq!(f.total(), [0.0; 3]);
    }
}
