use std::collections::BTreeMap;

use super::*;
use crate::config::Band;
use crate::forecast::{Day, Growth, backtest};
use crate::metrics::{self, Commitment};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 0.01, "{a} != {b}");
}

/// Every day of 2026 through `through`: $1,250 list, $1,000 net, tokens from `tokens(i)`.
fn days(through: &str, tokens: impl Fn(i64) -> f64) -> Vec<Day> {
    d("2026-01-01")
        .iter_days()
        .take_while(|x| *x <= d(through))
        .enumerate()
        .map(|(i, day)| Day {
            day,
            list: 1250.0,
            net: 1000.0,
            tokens: tokens(i as i64),
        })
        .collect()
}

fn metrics_at(c: &Commitment, month: &str, days: &[Day]) -> CommitmentMetrics {
    let mut spend = BTreeMap::new();
    let mut in_term = BTreeMap::new();
    for x in days {
        *spend.entry(Month::of(x.day)).or_insert(0.0) += x.net;
        if x.day >= c.start && x.day <= c.end {
            *in_term.entry(Month::of(x.day)).or_insert(0.0) += x.net;
        }
    }
    metrics::commitment(c, month.parse().unwrap(), &in_term, &spend)
}

fn section(c: &Commitment, month: &str, days: &[Day]) -> (CommitmentMetrics, ForecastSection) {
    let m = metrics_at(c, month, days);
    let month: Month = month.parse().unwrap();
    let model = Model::fit(days, month.last_day(), Growth::default());
    let bt = backtest(days, month.last_day(), Growth::default());
    let f = forecast_section(&m, model.as_ref(), bt, month);
    (m, f)
}

fn config(bands: Vec<Band>) -> Config {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cfg = Config::load(&root.join("tests/fixtures/tiny/govreview.toml")).unwrap();
    cfg.renewal.bands = bands;
    cfg
}

fn year() -> Commitment {
    Commitment {
        amount: 400_000.0,
        start: d("2026-01-01"),
        end: d("2026-12-31"),
        name: None,
    }
}

#[test]
fn a_term_that_ended_inside_the_review_month_is_not_forecast() {
    let c = Commitment {
        amount: 300_000.0,
        start: d("2026-01-01"),
        end: d("2026-10-15"),
        name: None,
    };
    let (_, f) = section(&c, "2026-10", &days("2026-10-31", |_| 1e6));
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
fn a_flat_history_forecasts_flat_and_backtests_exactly() {
    let (_, f) = section(&year(), "2026-10", &days("2026-10-31", |_| 1e6));
    assert!(f.declined.is_none());
    // $1,000 a day net: 304 days consumed, 61 to come: $365,000 at the end, $35,000 unused.
    for p in 0..3 {
        close(f.end_of_term[p], 365_000.0);
        close(f.unused[p], 35_000.0);
    }
    assert_eq!(f.band.len(), 61);
    assert_eq!(f.backtest.months.len(), 3);
    close(f.backtest.mape.unwrap(), 0.0);
    assert!(
        f.backtest_text.contains("3 of 3 actuals"),
        "{}",
        f.backtest_text
    );
    assert!(f.crosses_p50.is_none());
}

#[test]
fn growth_carries_into_the_rest_of_the_term() {
    // Tokens grow 1% a week (weeks ending on 2026-10-31; 2026-01-04 is 300 days before it).
    let series: Vec<Day> = days("2026-10-31", |_| 0.0)
        .into_iter()
        .filter(|x| x.day >= d("2026-01-04"))
        .enumerate()
        .map(|(i, x)| Day {
            tokens: 1e6 * (0.01 * (i / 7) as f64).exp(),
            ..x
        })
        .collect();
    let c = Commitment {
        start: d("2026-01-04"),
        ..year()
    };
    let (m, f) = section(&c, "2026-10", &series);
    // P50: 1,000 x exp(0.01 (D - d_end + 13.5) / 7) over 2026-11-01..12-31 (days 1..61).
    let want: f64 = (1..=61)
        .map(|k| 1000.0 * (0.01 * (k as f64 + 13.5) / 7.0).exp())
        .sum();
    close(f.end_of_term[1], m.consumed_to_date + want);
    // P10 assumes no growth: 61 days at the level.
    close(f.end_of_term[0], m.consumed_to_date + 61_000.0);
    assert!(f.end_of_term[2] >= f.end_of_term[1]);
}

fn bands() -> Vec<Band> {
    vec![
        Band {
            min: 100_000.0,
            discount: 0.05,
        },
        Band {
            min: 300_000.0,
            discount: 0.10,
        },
    ]
}

#[test]
fn the_next_commitment_by_hand() {
    let series = days("2026-10-31", |_| 1e6);
    let (m, f) = section(&year(), "2026-10", &series);
    // A floor at 80% of the month's spend.
    let floor = Floor::of(31_000.0, 24_800.0, 24_800.0);
    let mut cfg = config(bands());
    cfg.renewal.overage = Overage::List;
    let n = next_commitment(&cfg, &m, &f, &floor).unwrap();
    // Next term 2027-01-01..12-31 at $1,250 a day list, flat: $456,250; optimized $365,000.
    assert_eq!(n.next_start, d("2027-01-01"));
    assert_eq!(n.next_end, d("2027-12-31"));
    close(n.list.not_shipped[1], 456_250.0);
    close(n.list.optimized[1], 365_000.0);
    let s = n.sizing.as_ref().unwrap();
    // The pick: $365,000 x 0.95 = $346,750 falls in the 10% band, so not a candidate of 5%;
    // $365,000 x 0.9 = $328,500 is in the 10% band: it covers the usage exactly.
    close(s.pick().amount, 328_500.0);
    close(s.pick().expected, 328_500.0);
    // The run-rate commit on $456,250: $410,625 (x 0.9) covers it exactly, cheaper than any
    // band min; once the backlog ships, it costs $410,625 against the pick's $328,500.
    close(s.run_rate_commit().amount, 410_625.0);
    close(s.saving, 410_625.0 - 328_500.0);
    assert!(
        n.sentence
            .starts_with("Commit $328,500 at 10.0% for 2027-01-01 to 2027-12-31"),
        "{}",
        n.sentence
    );
    assert!(
        n.sentence
            .contains("$82,125 less than the run-rate commit of $410,625"),
        "{}",
        n.sentence
    );
    // The pick is in the top band.
    assert!(
        n.notes.iter().any(|x| x == "The pick is in the top band."),
        "{:?}",
        n.notes
    );
    // The current term ends with $35,000 unused at P50: rollover and cash timing.
    assert!(
        n.asks
            .iter()
            .any(|a| a.title.starts_with("Roll over") && a.text.contains("$35,000"))
    );
    assert!(n.notes.iter().any(|x| x.contains("cash from 2027-01-01")));
    // Overage at the committed rate is worth nothing when usage never exceeds the pick (flat).
    assert!(!n.asks.iter().any(|a| a.title.starts_with("Overage")));
    // No growth: no ramp.
    assert!(n.ramp.is_empty());
}

#[test]
fn a_growing_workload_gets_a_ramp() {
    let series: Vec<Day> = days("2026-10-31", |_| 0.0)
        .into_iter()
        .filter(|x| x.day >= d("2026-01-04"))
        .enumerate()
        .map(|(i, x)| Day {
            tokens: 1e6 * (0.01 * (i / 7) as f64).exp(),
            ..x
        })
        .collect();
    let c = Commitment {
        start: d("2026-01-04"),
        ..year()
    };
    let (m, f) = section(&c, "2026-10", &series);
    let floor = Floor::of(31_000.0, 31_000.0, 31_000.0);
    let mut cfg = config(bands());
    cfg.renewal.ramp_periods = 2;
    let n = next_commitment(&cfg, &m, &f, &floor).unwrap();
    let amount = n.sizing.as_ref().unwrap().pick().amount;
    assert_eq!(n.ramp.len(), 2);
    // 365 days: 182 and 183.
    assert_eq!(n.ramp[0].days, 182);
    assert_eq!(n.ramp[1].days, 183);
    assert_eq!(n.ramp[1].first, d("2027-07-02"));
    close(n.ramp[0].amount + n.ramp[1].amount, amount);
    assert!(n.ramp[0].share < 0.5 && n.ramp[1].share > 0.5);
    // Growth at P50 raises the overage at list in P90: the ask is worth something.
    assert!(n.asks.iter().any(|a| a.title == "A ramp"));
}

#[test]
fn the_next_term_shows_with_bands_or_near_the_end() {
    let series = days("2026-06-30", |_| 1e6);
    let (m, f) = section(&year(), "2026-06", &series);
    let floor = Floor::of(30_000.0, 30_000.0, 30_000.0);
    // Six months before the end and no bands: nothing to size yet.
    assert!(next_commitment(&config(vec![]), &m, &f, &floor).is_none());
    // Within 120 days of the end it shows without bands and says they are missing.
    let series = days("2026-09-30", |_| 1e6);
    let (m, f) = section(&year(), "2026-09", &series);
    let n = next_commitment(&config(vec![]), &m, &f, &floor).unwrap();
    assert!(
        n.sentence.starts_with("No discount bands are configured"),
        "{}",
        n.sentence
    );
    assert!(
        n.sentence.contains("$456,250 at list at P50"),
        "{}",
        n.sentence
    );
    assert!(n.sizing.is_none());
}
