//! The commitment's outlook: a forecast of spend to the end of the term with its uncertainty,
//! backtested against the contract's linear run rate; and the sizing of the next commitment at
//! the current run rate and at the optimized floor (domain contract, "Sizing the next
//! commitment").

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::config::Config;
use crate::fmt;
use crate::forecast::{self, Forecast, PATHS};
use crate::metrics::CommitmentMetrics;
use crate::month::Month;
use crate::report::{BacktestMonth, CandidateRow, ForecastSection, NextCommitment};
use crate::sizing::{self, Candidate};

/// Within this many days of the term's end the review always sizes the next commitment.
pub const RENEWAL_WINDOW_DAYS: i64 = 120;

/// The method, in words.
fn method_text() -> String {
    format!(
        "trend and day-of-week effect on the log of daily spend (the last 26 weeks, level anchored on the last 4), with {} block-bootstrapped paths",
        fmt::int(PATHS as f64)
    )
}

/// The linear run rate before `month`: the average daily spend of the (up to) three months
/// before it that have data, over their calendar days.
fn run_rate_before(month: Month, spend: &BTreeMap<Month, f64>) -> Option<f64> {
    let months: Vec<Month> = (1..=3)
        .map(|k| month.plus(-k))
        .filter(|m| spend.contains_key(m))
        .collect();
    let days: i64 = months.iter().map(Month::days).sum();
    (days > 0).then(|| months.iter().map(|m| spend[m]).sum::<f64>() / days as f64)
}

/// Each of the (up to) three months to the review month, forecast from the data before it.
fn backtest(
    daily: &[(NaiveDate, f64)],
    month: Month,
    spend: &BTreeMap<Month, f64>,
) -> Vec<BacktestMonth> {
    let mut out = Vec::new();
    for k in (0..3).rev() {
        let m = month.plus(-k);
        let Some(&actual) = spend.get(&m) else {
            continue;
        };
        let Some(rate) = run_rate_before(m, spend) else {
            continue;
        };
        let Ok(f) = forecast::forecast(daily, m.first_day(), m.last_day()) else {
            continue;
        };
        if actual <= 0.0 {
            continue;
        }
        let t = f.total();
        let linear = rate * m.days() as f64;
        out.push(BacktestMonth {
            month: m,
            actual,
            method: t,
            method_error: (t[1] - actual).abs() / actual,
            covered: t[0] <= actual && actual <= t[2],
            linear,
            linear_error: (linear - actual).abs() / actual,
        });
    }
    out
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| s / n as f64)
}

/// The forecast section of a commitment at the end of `month`.
pub fn forecast_section(
    c: &CommitmentMetrics,
    daily: &[(NaiveDate, f64)],
    month: Month,
    spend: &BTreeMap<Month, f64>,
) -> ForecastSection {
    let backtest = backtest(daily, month, spend);
    let method_mape = mean(backtest.iter().map(|b| b.method_error));
    let linear_mape = mean(backtest.iter().map(|b| b.linear_error));
    let (headline, headline_reason) = match (method_mape, linear_mape) {
        (Some(m), Some(l)) if m < l => (
            "method",
            format!(
                "the forecast erred {} on average over the last {} against {} for the linear run rate",
                fmt::pct(m),
                fmt::count(backtest.len() as i64, "month"),
                fmt::pct(l)
            ),
        ),
        (Some(m), Some(l)) => (
            "linear",
            format!(
                "the linear run rate erred {} on average over the last {} against {} for the forecast, so it gives the P50 and the forecast the spread around it",
                fmt::pct(l),
                fmt::count(backtest.len() as i64, "month"),
                fmt::pct(m)
            ),
        ),
        _ => (
            "linear",
            "no month yet has 60 days of history before it to backtest, so the linear run rate gives the P50 and the forecast the spread around it".to_owned(),
        ),
    };
    let mut s = ForecastSection {
        declined: None,
        method: method_text(),
        headline: headline.to_owned(),
        headline_reason,
        first: None,
        last: None,
        consumed: c.consumed_to_date,
        end_of_term: [c.consumed_to_date; 3],
        utilization: [c.consumed_to_date / c.amount; 3],
        unused: [(c.amount - c.consumed_to_date).max(0.0); 3],
        overage: [(c.consumed_to_date - c.amount).max(0.0); 3],
        crosses_p50: None,
        crosses_p90: None,
        backtest,
        method_mape,
        linear_mape,
        calibration: None,
        band: Vec::new(),
    };
    let first = (month.last_day() + chrono::Duration::days(1)).max(c.start);
    if first > c.end {
        s.declined = Some(format!(
            "the term ended on {}: there is nothing left to forecast",
            c.end
        ));
        return s;
    }
    let f: Forecast = match forecast::forecast(daily, first, c.end) {
        Ok(f) => f,
        Err(why) => {
            s.declined = Some(format!("no forecast: {why}"));
            return s;
        }
    };
    s.first = Some(first);
    s.last = Some(c.end);
    let rate = c.average_daily_spend;
    s.band = f
        .cumulative
        .iter()
        .enumerate()
        .map(|(j, q)| {
            let day = f.day(j);
            let (lo, mid, hi) = if s.headline == "method" {
                (q[0], q[1], q[2])
            } else {
                // The linear P50, with the forecast's spread around it.
                let p50 = rate * (j + 1) as f64;
                (p50 + q[0] - q[1], p50, p50 + q[2] - q[1])
            };
            let base = c.consumed_to_date;
            (day, base + lo.max(0.0), base + mid, base + hi)
        })
        .collect();
    // The band is at least as wide as the headline's own record: its backtest errors as the
    // standard deviation of the spend still to come (P10/P90 at ∓1.2816 σ).
    let errors: Vec<f64> = s
        .backtest
        .iter()
        .map(|b| {
            if s.headline == "method" {
                b.method_error
            } else {
                b.linear_error
            }
        })
        .collect();
    if !errors.is_empty() {
        let rms = (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt();
        let z = 1.2816 * rms;
        let base = c.consumed_to_date;
        for b in &mut s.band {
            let rem = b.2 - base;
            b.1 = b.1.min(base + rem * (1.0 - z).max(0.0));
            b.3 = b.3.max(base + rem * (1.0 + z));
        }
        s.calibration = Some(z);
    }
    if let Some(&(_, lo, mid, hi)) = s.band.last() {
        s.end_of_term = [lo, mid, hi];
        s.utilization = [lo, mid, hi].map(|v| v / c.amount);
        s.unused = [lo, mid, hi].map(|v| (c.amount - v).max(0.0));
        s.overage = [lo, mid, hi].map(|v| (v - c.amount).max(0.0));
    }
    if c.consumed_to_date < c.amount {
        s.crosses_p50 = s.band.iter().find(|b| b.2 >= c.amount).map(|b| b.0);
        s.crosses_p90 = s.band.iter().find(|b| b.3 >= c.amount).map(|b| b.0);
    }
    s
}

/// The next commitment: whenever bands are configured, and always within
/// [`RENEWAL_WINDOW_DAYS`] of the term's end.
pub fn next_commitment(
    cfg: &Config,
    c: &CommitmentMetrics,
    forecast: &ForecastSection,
    month_spend: f64,
    floor_monthly: f64,
) -> Option<NextCommitment> {
    let r = &cfg.renewal;
    let days_to_term_end = c.days_to_renewal;
    if r.bands.is_empty() && days_to_term_end > RENEWAL_WINDOW_DAYS {
        return None;
    }
    let run_rate = c.average_daily_spend;
    let current_list = run_rate / (1.0 - cfg.discount) * r.next_term_days as f64;
    let ratio = if month_spend > 0.0 {
        floor_monthly / month_spend
    } else {
        1.0
    };
    let optimized_list = current_list * ratio;
    let both = |amount: f64| {
        let cur = sizing::evaluate(amount, current_list, &r.bands, r.overage_factor);
        CandidateRow {
            amount,
            discount: cur.discount,
            current: cur,
            optimized: sizing::evaluate(amount, optimized_list, &r.bands, r.overage_factor),
        }
    };
    let cur_cands = sizing::candidates(current_list, &r.bands, r.overage_factor);
    let opt_cands = sizing::candidates(optimized_list, &r.bands, r.overage_factor);
    let mut amounts: Vec<f64> = cur_cands
        .iter()
        .chain(&opt_cands)
        .map(|c| c.amount)
        .collect();
    amounts.sort_by(f64::total_cmp);
    amounts.dedup_by(|a, b| (*a - *b).abs() < 1e-6);
    let at_run_rate = sizing::recommend(&cur_cands).map(|c| both(c.amount));
    let recommended = sizing::recommend(&opt_cands).map(|c| both(c.amount));
    let saving = at_run_rate
        .zip(recommended)
        .map(|(a, b)| a.optimized.cost - b.optimized.cost);
    let term = fmt::count(r.next_term_days, "day");
    let sentence = match (at_run_rate, recommended) {
        (Some(a), Some(b)) if (a.amount - b.amount).abs() < 0.5 => format!(
            "Sizing at the current run rate and at the optimized floor give the same commitment: {} at {}, costing {} over the {term} term once the backlog ships.",
            fmt::usd0(b.amount),
            fmt::pct(b.discount),
            fmt::usd0(b.optimized.cost)
        ),
        (Some(a), Some(b)) => format!(
            "Committing at the current run rate ({} at {}) would cost {} with {} unused once the backlog ships; committing to the optimized floor ({} at {}) costs {}: {} less.",
            fmt::usd0(a.amount),
            fmt::pct(a.discount),
            fmt::usd0(a.optimized.cost),
            fmt::usd0(a.optimized.unused),
            fmt::usd0(b.amount),
            fmt::pct(b.discount),
            fmt::usd0(b.optimized.cost),
            fmt::usd0(a.optimized.cost - b.optimized.cost)
        ),
        _ => format!(
            "No discount bands are configured: add the offer's [[commitment.bands]] (min, discount) to size the next commitment. The term ends in {} ({}); at the current run rate the next {term} term is {} at list, {} at the optimized floor.",
            fmt::count(days_to_term_end, "day"),
            c.end,
            fmt::usd0(current_list),
            fmt::usd0(optimized_list)
        ),
    };
    let terms = recommended
        .map(|b| protective_terms(cfg, &b, forecast, run_rate))
        .unwrap_or_default();
    Some(NextCommitment {
        bands: r.bands.clone(),
        next_term_days: r.next_term_days,
        overage_factor: r.overage_factor,
        days_to_term_end,
        run_rate_per_day: run_rate,
        current_list,
        optimized_list,
        candidates: amounts.into_iter().map(both).collect(),
        at_run_rate,
        recommended,
        saving,
        sentence,
        terms,
    })
}

/// The terms to ask for, each stated from the numbers.
fn protective_terms(
    cfg: &Config,
    b: &CandidateRow,
    forecast: &ForecastSection,
    run_rate: f64,
) -> Vec<String> {
    let r = &cfg.renewal;
    let rec: &Candidate = &b.optimized;
    let mut out = Vec::new();
    // Overage: if the backlog does not ship, usage runs at the current rate.
    let over = b.current.overage;
    if over > 0.0 {
        out.push(if r.overage_factor > 1.0 {
            format!(
                "Overage at the committed rate: if the backlog does not ship, usage at the current run rate runs {} over {}, billed at {}× the committed rate today ({} more than at the committed rate).",
                fmt::usd0(over),
                fmt::usd0(b.amount),
                fmt::ratio(r.overage_factor),
                fmt::usd0(over * (r.overage_factor - 1.0))
            )
        } else {
            format!(
                "Keep overage at the committed rate: if the backlog does not ship, usage at the current run rate runs {} over {}.",
                fmt::usd0(over),
                fmt::usd0(b.amount)
            )
        });
    }
    // Rollover: the low end of the forecast against the commitment.
    let spread = forecast_spread(forecast);
    if let Some((p10, _)) = spread {
        let usage_p10 = rec.usage * p10;
        let unused = (b.amount - usage_p10).max(0.0);
        if unused > 0.0 {
            out.push(format!(
                "Rollover of unused commitment: at P10 the optimized usage is {} of its P50, leaving {} of {} unused.",
                fmt::pct(p10),
                fmt::usd0(unused),
                fmt::usd0(b.amount)
            ));
        }
    }
    // Ramp: growth at P90 beyond the gap to the next band.
    if let (Some((_, p90)), Some(next)) = (spread, r.bands.iter().find(|x| x.min > b.amount)) {
        let gap = next.min / b.amount - 1.0;
        let growth = forecast_growth(forecast, run_rate).map(|g| g.max(p90 - 1.0));
        if let Some(g) = growth
            && g > gap
        {
            out.push(format!(
                "A ramp (or a step up mid-term): at P90 spend grows {} over the term, more than the {} between {} and the next band at {} ({}).",
                fmt::pct(g),
                fmt::pct(gap),
                fmt::usd0(b.amount),
                fmt::usd0(next.min),
                fmt::pct(next.discount)
            ));
        }
    }
    out
}

/// P10 and P90 of the spend still to come in the term, as ratios to its P50.
fn forecast_spread(f: &ForecastSection) -> Option<(f64, f64)> {
    f.band.last()?;
    let [lo, mid, hi] = f.end_of_term.map(|v| v - f.consumed);
    (mid > 0.0).then(|| (lo / mid, hi / mid))
}

/// Growth at P90 by the end of the term: the last 30 forecast days' P90 spend per day over the
/// current run rate, less 1.
fn forecast_growth(f: &ForecastSection, run_rate: f64) -> Option<f64> {
    let n = f.band.len();
    if n < 31 || run_rate <= 0.0 {
        return None;
    }
    let per_day = (f.band[n - 1].3 - f.band[n - 31].3) / 30.0;
    Some(per_day / run_rate - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Band;
    use crate::metrics::{self, Commitment};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// $1,000 a day, every day of 2026 to `through`.
    fn daily(through: &str) -> Vec<(NaiveDate, f64)> {
        d("2026-01-01")
            .iter_days()
            .take_while(|x| *x <= d(through))
            .map(|x| (x, 1000.0))
            .collect()
    }

    fn spend(daily: &[(NaiveDate, f64)]) -> BTreeMap<Month, f64> {
        let mut m = BTreeMap::new();
        for (d, v) in daily {
            *m.entry(Month::of(*d)).or_insert(0.0) += v;
        }
        m
    }

    fn metrics_at(c: &Commitment, month: &str, daily: &[(NaiveDate, f64)]) -> CommitmentMetrics {
        let in_term: Vec<(NaiveDate, f64)> =
            daily.iter().copied().filter(|(d, _)| *d <= c.end).collect();
        metrics::commitment(c, month.parse().unwrap(), &spend(&in_term), &spend(daily))
    }

    fn config(bands: Vec<Band>) -> Config {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut cfg = Config::load(&root.join("tests/fixtures/tiny/govreview.toml")).unwrap();
        cfg.renewal.bands = bands;
        cfg
    }

    #[test]
    fn a_term_that_ended_inside_the_review_month_is_not_forecast() {
        let c = Commitment {
            amount: 300_000.0,
            start: d("2026-01-01"),
            end: d("2026-10-15"),
            name: None,
        };
        let days = daily("2026-10-31");
        let m = metrics_at(&c, "2026-10", &days);
        let f = forecast_section(&m, &days, "2026-10".parse().unwrap(), &spend(&days));
        assert!(
            f.declined
                .as_deref()
                .unwrap()
                .contains("the term ended on 2026-10-15")
        );
        assert!(f.band.is_empty());
        // Its end-of-term figures are what was consumed: $288,000 of $300,000 by 2026-10-15.
        assert_eq!(f.end_of_term, [288_000.0; 3]);
        assert_eq!(f.unused, [12_000.0; 3]);
    }

    #[test]
    fn thin_history_declines_and_the_linear_run_rate_leads() {
        let c = Commitment {
            amount: 500_000.0,
            start: d("2026-01-01"),
            end: d("2026-12-31"),
            name: None,
        };
        let days = daily("2026-02-28");
        let m = metrics_at(&c, "2026-02", &days);
        let f = forecast_section(&m, &days, "2026-02".parse().unwrap(), &spend(&days));
        assert!(
            f.declined.as_deref().unwrap().contains("only 59 days"),
            "{f:?}"
        );
        assert_eq!(f.headline, "linear");
        assert!(f.backtest.is_empty());
    }

    #[test]
    fn a_flat_series_forecasts_flat_and_backtests_exactly() {
        let c = Commitment {
            amount: 400_000.0,
            start: d("2026-01-01"),
            end: d("2026-12-31"),
            name: None,
        };
        let days = daily("2026-10-31");
        let m = metrics_at(&c, "2026-10", &days);
        let f = forecast_section(&m, &days, "2026-10".parse().unwrap(), &spend(&days));
        assert!(f.declined.is_none());
        // $1,000 a day: 304 days consumed, 61 to come: $365,000 at the end, $35,000 unused.
        assert!(
            (f.end_of_term[1] - 365_000.0).abs() < 1.0,
            "{:?}",
            f.end_of_term
        );
        assert!((f.unused[1] - 35_000.0).abs() < 1.0);
        assert_eq!(f.backtest.len(), 3);
        for b in &f.backtest {
            assert!(b.method_error < 1e-6 && b.linear_error < 1e-6, "{b:?}");
        }
        // Never reaches the $400,000.
        assert!(f.crosses_p50.is_none());
    }

    #[test]
    fn the_next_commitment_shows_with_bands_or_near_the_end() {
        let c = Commitment {
            amount: 400_000.0,
            start: d("2026-01-01"),
            end: d("2026-12-31"),
            name: None,
        };
        let days = daily("2026-06-30");
        let m = metrics_at(&c, "2026-06", &days);
        let f = forecast_section(&m, &days, "2026-06".parse().unwrap(), &spend(&days));
        // Six months before the end and no bands: nothing to size yet.
        assert!(next_commitment(&config(vec![]), &m, &f, 30_000.0, 30_000.0).is_none());
        // With bands it sizes: $1,000 a day is $365,000 at list for the next year; the floor at
        // 80% of the month's spend is $292,000. Bands: $100k at 5%, $300k at 10%.
        let bands = vec![
            Band {
                min: 100_000.0,
                discount: 0.05,
            },
            Band {
                min: 300_000.0,
                discount: 0.10,
            },
        ];
        let n = next_commitment(&config(bands), &m, &f, 30_000.0, 24_000.0).unwrap();
        assert!((n.current_list - 365_000.0).abs() < 1e-6);
        assert!((n.optimized_list - 292_000.0).abs() < 1e-6);
        // At the run rate: V at 10% = $328,500, in the $300k band; committing $300k costs the
        // same ($28,500 of overage at the committed rate), and the smaller commitment wins.
        let a = n.at_run_rate.unwrap();
        assert!((a.amount - 300_000.0).abs() < 1e-6);
        assert!((a.current.cost - 328_500.0).abs() < 1e-6);
        // At the floor: V at 10% = $262,800 misses the $300k band; $100k at 5% costs $277,400
        // (usage at 5%), $300k at 10% costs $300,000 with $37,200 unused: $100k wins.
        let b = n.recommended.unwrap();
        assert!((b.amount - 100_000.0).abs() < 1e-6);
        assert!((b.optimized.cost - 277_400.0).abs() < 1e-6);
        // The run rate's pick at the floor: V = $262,800, $37,200 unused, costs $300,000.
        assert!((a.optimized.unused - 37_200.0).abs() < 1e-6);
        assert!((n.saving.unwrap() - 22_600.0).abs() < 1e-6);
        assert!(n.sentence.contains("$22,600 less"), "{}", n.sentence);
        // Within 120 days of the end, it shows without bands, and says they are missing.
        let days = daily("2026-09-30");
        let m = metrics_at(&c, "2026-09", &days);
        let f = forecast_section(&m, &days, "2026-09".parse().unwrap(), &spend(&days));
        let n = next_commitment(&config(vec![]), &m, &f, 30_000.0, 30_000.0).unwrap();
        assert!(n.sentence.starts_with("No discount bands are configured"));
        assert!(n.candidates.is_empty() && n.recommended.is_none());
    }
}
