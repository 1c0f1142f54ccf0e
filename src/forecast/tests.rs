use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() <= tol, "{a} != {b} (±{tol})");
}

/// Every day from `from` through `to`: list spend `list(i)`, net 80% of it, tokens `tokens(i)`
/// (i counts days from `from`).
fn series(
    from: &str,
    to: &str,
    list: impl Fn(i64) -> f64,
    tokens: impl Fn(i64) -> f64,
) -> Vec<Day> {
    let from = d(from);
    from.iter_days()
        .take_while(|x| *x <= d(to))
        .map(|day| {
            let i = (day - from).num_days();
            Day {
                day,
                list: list(i),
                net: 0.8 * list(i),
                tokens: tokens(i),
            }
        })
        .collect()
}

#[test]
fn least_squares_slope_and_standard_error_by_hand() {
    // x = 1..6, y = 0, .1, .1, .3, .3, .5: mean x 3.5, Sxx 17.5, Sxy 1.65, b = 0.0942857;
    // residuals give SSR 0.0127619, se = sqrt(SSR / 4 / 17.5) = 0.0135023.
    let (b, se) = ols(
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        &[0.0, 0.1, 0.1, 0.3, 0.3, 0.5],
    );
    close(b, 1.65 / 17.5, 1e-12);
    close(se, 0.013_502_330, 1e-8);
}

#[test]
fn a_flat_history_forecasts_its_level() {
    // $1,000 a day at list and 1M tokens a day through 2026-10-31.
    let days = series("2026-01-01", "2026-10-31", |_| 1000.0, |_| 1e6);
    let m = Model::fit(&days, d("2026-10-31"), Growth::default()).unwrap();
    assert_eq!(m.level_days, 28);
    close(m.r0, 1000.0, 1e-9);
    close(m.r0_net, 800.0, 1e-9);
    assert_eq!(m.counting_weeks, 13);
    close(m.data_slope, 0.0, 1e-12);
    close(m.se, 0.0, 1e-12);
    // 365 days of the next term at $1,000 a day, in every scenario.
    for p in 0..3 {
        close(m.list(p, d("2027-01-01"), d("2027-12-31")), 365_000.0, 1e-6);
    }
    assert!(m.notes().is_empty(), "{:?}", m.notes());
}

#[test]
fn weekly_growth_is_read_from_tokens_and_the_next_term_summed_day_by_day() {
    // Tokens grow 1% a week exactly (constant within each week, weeks ending on d_end), spend is
    // flat at $1,000 a day: the level is $1,000 and the slope 0.01 with no error.
    let d_end = d("2026-10-31");
    let days = series(
        "2026-01-04",
        "2026-10-31",
        |_| 1000.0,
        // 2026-01-04 is 300 days before d_end: days 7j..7j+6 make up the weeks ending on it.
        |i| 1e6 * (0.01 * (i / 7) as f64).exp(),
    );
    let m = Model::fit(&days, d_end, Growth::default()).unwrap();
    close(m.data_slope, 0.01, 1e-9);
    close(m.se, 0.0, 1e-9);
    // b10 = min(b - 1.2816 se, 0) = 0; b50 = b90 = 0.01, under the 5% cap (0.0112207 a week).
    close(m.slopes[0], 0.0, 1e-12);
    close(m.slopes[1], 0.01, 1e-9);
    close(m.slopes[2], 0.01, 1e-9);
    assert_eq!(m.clipped, [false; 3]);
    // Shown as a monthly rate: exp(0.01 x 30.4375 / 7) - 1 = 4.44%.
    close(
        m.monthly_growth[1],
        (0.01_f64 * 30.4375 / 7.0).exp() - 1.0,
        1e-9,
    );
    // Day 2027-04-01 sits 152 days after d_end: exp(0.01 x 165.5 / 7) = 1.26672.
    close(m.factor(1, d("2027-04-01")), 1.266_717_07, 1e-8);
    // The next term, 2027-01-01 (62 days after d_end) for 365 days: a geometric series.
    let q: f64 = (0.01_f64 / 7.0).exp();
    let want = 1000.0 * (0.01_f64 * 75.5 / 7.0).exp() * (q.powi(365) - 1.0) / (q - 1.0);
    close(m.list(1, d("2027-01-01"), d("2027-12-31")), want, 1e-6);
    close(want, 533_285.81, 0.01);
    // P10 assumes no growth at all.
    close(m.list(0, d("2027-01-01"), d("2027-12-31")), 365_000.0, 1e-6);
}

#[test]
fn growth_is_clipped_to_the_cap_unless_configured() {
    // 3% a week is about 14% a month: P50 and P90 are held at 5% a month.
    let d_end = d("2026-10-31");
    let days = series(
        "2026-01-04",
        "2026-10-31",
        |_| 1000.0,
        |i| 1e6 * (0.03 * (i / 7) as f64).exp(),
    );
    let m = Model::fit(&days, d_end, Growth::default()).unwrap();
    close(m.data_slope, 0.03, 1e-9);
    let cap = 1.05_f64.ln() * 7.0 / 30.4375;
    close(m.slopes[1], cap, 1e-12);
    close(m.slopes[2], cap, 1e-12);
    assert_eq!(m.clipped, [false, true, true]);
    close(m.monthly_growth[1], 0.05, 1e-12);
    assert!(
        m.notes().iter().any(|n| n.contains("within ±5.0% a month")),
        "{:?}",
        m.notes()
    );
    // A configured 10% a month replaces the data's slope and is not clipped.
    let fixed = Growth {
        max_monthly: 0.05,
        fixed_monthly: Some(0.10),
    };
    let m = Model::fit(&days, d_end, fixed).unwrap();
    close(m.slopes[1], 1.1_f64.ln() * 7.0 / 30.4375, 1e-12);
    close(m.monthly_growth[1], 0.10, 1e-12);
    assert!(m.fixed);
    assert!(
        m.notes()[0].contains("configured +10.0% a month"),
        "{:?}",
        m.notes()
    );
    // A lower cap holds shrinking too: -3% a week is clipped to -1% a month with a 1% cap.
    let days = series(
        "2026-01-04",
        "2026-10-31",
        |_| 1000.0,
        |i| 1e6 * (-0.03 * (i / 7) as f64).exp(),
    );
    let capped = Growth {
        max_monthly: 0.01,
        fixed_monthly: None,
    };
    let m = Model::fit(&days, d_end, capped).unwrap();
    close(m.monthly_growth[0], 1.0 / 1.01 - 1.0, 1e-12);
    close(m.monthly_growth[1], 1.0 / 1.01 - 1.0, 1e-12);
}

#[test]
fn short_history_assumes_no_growth_and_says_so() {
    // Data from 2026-10-01: weeks 10..13 start on or after it (4 weeks), fewer than 6.
    let days = series(
        "2026-10-01",
        "2026-10-31",
        |i| 100.0 + i as f64,
        |i| 1e6 * (1.0 + i as f64),
    );
    let m = Model::fit(&days, d("2026-10-31"), Growth::default()).unwrap();
    assert_eq!(m.counting_weeks, 4);
    assert_eq!(m.slopes, [0.0; 3]);
    assert!(
        m.notes()
            .iter()
            .any(|n| n.contains("too short to estimate growth"))
    );
    // The level is the mean of the last 28 days: days 3..30, 103..130 a day, mean 116.5.
    assert_eq!(m.level_days, 28);
    close(m.r0, 116.5, 1e-9);
    // Data from 2026-10-22: the level averages its 10 days.
    let days = series("2026-10-22", "2026-10-31", |_| 50.0, |_| 1.0);
    let m = Model::fit(&days, d("2026-10-31"), Growth::default()).unwrap();
    assert_eq!(m.level_days, 10);
    close(m.r0, 50.0, 1e-12);
    close(m.month_mean, 50.0, 1e-12);
    // Eight counting weeks: it says what the growth rests on.
    let days = series("2026-09-05", "2026-10-31", |_| 50.0, |_| 1.0);
    let m = Model::fit(&days, d("2026-10-31"), Growth::default()).unwrap();
    assert_eq!(m.counting_weeks, 8);
    assert!(
        m.notes().iter().any(|n| n.contains("rests on 8 weeks")),
        "{:?}",
        m.notes()
    );
    // Nothing before d_end: no model.
    assert!(Model::fit(&days, d("2026-09-01"), Growth::default()).is_none());
}

#[test]
fn a_week_without_tokens_is_skipped_and_keeps_the_others_numbers() {
    // 13 weeks of 1M tokens a day but week 7 empty: 12 counting weeks, slope 0.
    let d_end = d("2026-10-31");
    let gap_from = d_end - chrono::Duration::days(7 * 6 + 6);
    let gap_to = d_end - chrono::Duration::days(7 * 6);
    let days: Vec<Day> = series("2026-01-01", "2026-10-31", |_| 10.0, |_| 1e6)
        .into_iter()
        .filter(|x| x.day < gap_from || x.day > gap_to)
        .collect();
    let m = Model::fit(&days, d_end, Growth::default()).unwrap();
    assert_eq!(m.counting_weeks, 12);
    assert!(!m.weeks[6].counts && m.weeks[6].k == 7);
    close(m.data_slope, 0.0, 1e-12);
}

#[test]
fn the_level_moves_with_a_step_and_the_review_says_so() {
    // $1,000 a day to 2026-10-20, $2,000 after: the 28-day level is (17 x 1000 + 11 x 2000) / 28
    // = $1,392.86; the month's mean (20 x 1000 + 11 x 2000) / 31 = $1,354.84; within 10%.
    let days = series(
        "2026-01-01",
        "2026-10-31",
        |i| if i >= 293 { 2000.0 } else { 1000.0 },
        |_| 1e6,
    );
    let m = Model::fit(&days, d("2026-10-31"), Growth::default()).unwrap();
    close(m.r0, (17.0 * 1000.0 + 11.0 * 2000.0) / 28.0, 1e-9);
    close(m.month_mean, (20.0 * 1000.0 + 11.0 * 2000.0) / 31.0, 1e-9);
    assert!(!m.level_strays());
    // A step down to $100 on 2026-10-25 moves the level 2.7% off the month's mean: no note.
    let days = series(
        "2026-01-01",
        "2026-10-31",
        |i| if i >= 297 { 100.0 } else { 1000.0 },
        |_| 1e6,
    );
    let m = Model::fit(&days, d("2026-10-31"), Growth::default()).unwrap();
    // Level: (21 x 1000 + 7 x 100) / 28 = 775; month: (24 x 1000 + 7 x 100) / 31 = 796.77.
    close(m.r0, 775.0, 1e-9);
    assert!(!m.level_strays());
    let days = series(
        "2026-01-01",
        "2026-10-31",
        |i| if i >= 283 { 100.0 } else { 1000.0 },
        |_| 1e6,
    );
    let m = Model::fit(&days, d("2026-10-31"), Growth::default()).unwrap();
    // From 2026-10-11: level (7 x 1000 + 21 x 100) / 28 = 325; month (10 x 1000 + 21 x 100) / 31
    // = 390.32: 16.7% below.
    close(m.r0, 325.0, 1e-9);
    assert!(m.level_strays());
    assert!(m.notes()[0].contains("16.7% below"), "{:?}", m.notes());
}

#[test]
fn the_backtest_refits_at_three_month_ends() {
    let days = series("2026-01-01", "2026-10-31", |_| 1000.0, |_| 1e6);
    let bt = backtest(&days, d("2026-10-31"), Growth::default());
    let months: Vec<String> = bt.months.iter().map(|b| b.month.to_string()).collect();
    assert_eq!(months, ["2026-08", "2026-09", "2026-10"]);
    assert_eq!(bt.months[0].fitted_at, d("2026-07-31"));
    // Flat: every prediction is exact.
    close(bt.months[1].predicted[1], 30_000.0, 1e-6);
    close(bt.months[1].actual, 30_000.0, 1e-6);
    close(bt.mape.unwrap(), 0.0, 1e-12);
    assert_eq!(bt.inside, 3);
}

#[test]
fn the_backtest_error_is_signed_against_the_actual() {
    // Flat at $1,000 to 2026-09-30, then $1,200 a day in October: the refit at 2026-09-30
    // predicts $31,000 for October against $37,200 actual: error (31,000 - 37,200) / 37,200.
    let days = series(
        "2026-01-01",
        "2026-10-31",
        |i| if i >= 273 { 1200.0 } else { 1000.0 },
        |_| 1e6,
    );
    let bt = backtest(&days, d("2026-10-31"), Growth::default());
    let oct = bt.months.last().unwrap();
    assert_eq!(oct.month.to_string(), "2026-10");
    close(oct.predicted[1], 31_000.0, 1e-6);
    close(oct.actual, 37_200.0, 1e-6);
    close(oct.error.unwrap(), (31_000.0 - 37_200.0) / 37_200.0, 1e-12);
    assert!(!oct.inside);
    close(
        bt.mape.unwrap(),
        (0.0 + 0.0 + 6_200.0 / 37_200.0) / 3.0,
        1e-12,
    );
    assert_eq!(bt.inside, 2);
}

#[test]
fn no_backtest_before_six_weeks_of_history() {
    let days = series("2026-09-01", "2026-10-31", |_| 1000.0, |_| 1e6);
    let bt = backtest(&days, d("2026-10-31"), Growth::default());
    assert!(bt.months.is_empty());
    assert!(bt.mape.is_none());
}

#[test]
fn the_same_history_gives_the_same_model() {
    let days = series(
        "2026-01-01",
        "2026-10-31",
        |i| 900.0 + (i % 7) as f64 * 30.0,
        |i| 1e6 + (i * i) as f64,
    );
    let a = Model::fit(&days, d("2026-10-31"), Growth::default());
    let b = Model::fit(&days, d("2026-10-31"), Growth::default());
    assert_eq!(a, b);
}
