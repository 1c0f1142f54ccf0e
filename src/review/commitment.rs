//! The commitment's outlook and the next one (domain contract, part 3): one model
//! ([`crate::forecast`]) forecasts the rest of the current term and the next term; the next
//! commitment is picked on expected cost over three scenarios ([`crate::sizing`]), with what to
//! ask for in the negotiation.

use chrono::{Duration, NaiveDate};

use crate::config::{Config, Overage};
use crate::fmt;
use crate::forecast::{Backtest, MIN_WEEKS, Model};
use crate::metrics::CommitmentMetrics;
use crate::month::Month;
use crate::report::{Ask, Floor, ForecastSection, NextCommitment, RampPeriod};
use crate::sizing::{self, Scenarios, Sizing, Why};

/// Within this many days of the term's end the review always shows the next term.
pub const RENEWAL_WINDOW_DAYS: i64 = 120;

/// What the backtest shows, in a sentence.
fn backtest_text(b: &Backtest, d_end: NaiveDate) -> String {
    let n = b.months.len();
    if n == 0 {
        return format!(
            "The model cannot be backtested yet: no month-end before {d_end} has {MIN_WEEKS} weeks of usage before it."
        );
    }
    let mut s = format!(
        "Refitted at {} and compared with the next month's list spend: mean absolute error {}; {} of {n} actual{} fell inside P10–P90.",
        fmt::count(n as i64, "month-end"),
        b.mape.map_or("—".to_owned(), fmt::pct),
        b.inside,
        if n == 1 { "" } else { "s" }
    );
    if n < crate::forecast::BACKTEST_MONTHS {
        s.push_str(&if n == 1 {
            format!(" Only 1 month-end has {MIN_WEEKS} weeks of usage before it.")
        } else {
            format!(" Only {n} month-ends have {MIN_WEEKS} weeks of usage before them.")
        });
    }
    s
}

/// The forecast to the end of the current term from the model fitted at the end of `month`:
/// consumed to date + Σ r0_net × exp(b_p (D − d_end + 13.5) / 7) over the term's days left.
pub fn forecast_section(
    c: &CommitmentMetrics,
    model: Option<&Model>,
    backtest: Backtest,
    month: Month,
) -> ForecastSection {
    let d_end = month.last_day();
    let consumed = c.consumed_to_date;
    let mut s = ForecastSection {
        declined: None,
        model: model.cloned(),
        notes: model.map(Model::notes).unwrap_or_default(),
        first: None,
        last: None,
        consumed,
        end_of_term: [consumed; 3],
        utilization: [consumed / c.amount; 3],
        unused: [(c.amount - consumed).max(0.0); 3],
        overage: [(consumed - c.amount).max(0.0); 3],
        crosses_p50: None,
        crosses_p90: None,
        backtest_text: backtest_text(&backtest, d_end),
        backtest,
        band: Vec::new(),
    };
    let first = (d_end + Duration::days(1)).max(c.start);
    if first > c.end {
        s.declined = Some(format!(
            "the term ended on {}: there is nothing left to forecast",
            c.end
        ));
        return s;
    }
    let Some(model) = model else {
        s.declined = Some(format!("there is no usage by {d_end} to forecast from"));
        return s;
    };
    s.first = Some(first);
    s.last = Some(c.end);
    let mut total = [0.0; 3];
    for day in first.iter_days().take_while(|d| *d <= c.end) {
        for (p, t) in total.iter_mut().enumerate() {
            *t += model.r0_net * model.factor(p, day);
        }
        s.band.push((
            day,
            consumed + total[0],
            consumed + total[1],
            consumed + total[2],
        ));
    }
    s.end_of_term = total.map(|t| consumed + t);
    s.utilization = s.end_of_term.map(|v| v / c.amount);
    s.unused = s.end_of_term.map(|v| (c.amount - v).max(0.0));
    s.overage = s.end_of_term.map(|v| (v - c.amount).max(0.0));
    if consumed < c.amount {
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
    floor: &Floor,
) -> Option<NextCommitment> {
    let r = &cfg.renewal;
    if r.bands.is_empty() && c.days_to_renewal > RENEWAL_WINDOW_DAYS {
        return None;
    }
    let model = forecast.model.as_ref()?;
    // A term that ended before the review month's end is followed by one that starts after it:
    // a period already past is not sized.
    let d_end = model.d_end;
    let next_start = r
        .next_start
        .unwrap_or(c.end + Duration::days(1))
        .max(d_end + Duration::days(1));
    let next_end = next_start + Duration::days(r.next_term_days - 1);
    let l = [0, 1, 2].map(|p| model.list(p, next_start, next_end));
    let phi = floor.ratio;
    let list = Scenarios {
        optimized: l.map(|x| x * phi),
        not_shipped: l,
    };
    let sizing =
        (!r.bands.is_empty()).then(|| sizing::size(list, &r.bands, r.overage, Some(c.amount)));
    let term = format!("{next_start} to {next_end}");
    let sentence = match &sizing {
        Some(s) => pick_sentence(s, &term),
        None => format!(
            "No discount bands are configured: add the offer's [[commitment.bands]] (min, discount) and `overage` under [commitment] to size the next commitment. The next term ({term}) is {} at list at P50 ({} to {} from P10 to P90), {} once the backlog ships.",
            fmt::usd0(l[1]),
            fmt::usd0(l[0]),
            fmt::usd0(l[2]),
            fmt::usd0(list.optimized[1])
        ),
    };
    let mut notes = Vec::new();
    let mut asks = Vec::new();
    let mut ramp = Vec::new();
    if let Some(s) = &sizing {
        let rec = s.pick();
        if s.p10_rule {
            notes.push(format!(
                "{} is the optimized usage at P10 at its band's {} discount. With overage billed at list, each dollar committed above it goes unused in the low scenario (weight 0.3) and saves {} in the other two (weight 0.7): below a 30% discount that saving is worth less than the risk.",
                fmt::usd0(rec.amount),
                fmt::pct(rec.discount),
                cents_word(rec.discount / (1.0 - rec.discount))
            ));
        }
        // Against renewing what is signed today.
        if let Some(cur) = s
            .candidates
            .iter()
            .find(|x| x.why.contains(&Why::Current))
            .filter(|x| (x.amount - rec.amount).abs() >= 0.5)
        {
            let vs = |v: f64| {
                if v.abs() < 0.5 {
                    "the same as".to_owned()
                } else if v > 0.0 {
                    format!("{} less than", fmt::usd0(v))
                } else {
                    format!("{} more than", fmt::usd0(-v))
                }
            };
            notes.push(format!(
                "Against renewing the current {} ({} band): the pick costs {} it in expected cost once the backlog ships, and {} it if the backlog does not ship.",
                fmt::usd0(cur.amount),
                fmt::pct(cur.discount),
                vs(cur.expected - rec.expected),
                vs(cur.expected_not_shipped - rec.expected_not_shipped)
            ));
        }
        notes.push(match &s.break_even {
            None if rec.amount > 0.0 => "The pick is in the top band.".to_owned(),
            None => String::new(),
            Some(b) => match b.list {
                Some(at) => format!(
                    "Break-even: {} at {} costs no more than the pick once the term's optimized list spend reaches {} ({} of its P50, {}).",
                    fmt::usd0(b.amount),
                    fmt::pct(b.discount),
                    fmt::usd0(at),
                    fmt::pct(at / list.optimized[1]),
                    fmt::usd0(list.optimized[1])
                ),
                None => format!(
                    "Break-even: {} at {} does not cost less than the pick at any optimized list spend up to three times P90 ({}).",
                    fmt::usd0(b.amount),
                    fmt::pct(b.discount),
                    fmt::usd0(3.0 * list.optimized[2])
                ),
            },
        });
        notes.retain(|n| !n.is_empty());
        if r.overage == Overage::List && s.overage_value >= 0.5 {
            asks.push(Ask {
                title: "Overage at the committed rate".into(),
                text: format!(
                    "usage beyond {} billed at the committed rate instead of list takes this much off the expected cost.",
                    fmt::usd0(rec.amount)
                ),
                value: Some(s.overage_value),
            });
        }
        if model.slopes[1] > 0.0 && rec.amount > 0.0 {
            ramp = ramp_periods(model, next_start, next_end, r.ramp_periods, rec.amount);
            asks.push(Ask {
                title: "A ramp".into(),
                text: format!(
                    "usage grows {} a month at P50: split {} over {} in proportion to the P50 usage ({}).",
                    fmt::pct(model.monthly_growth[1]),
                    fmt::usd0(rec.amount),
                    fmt::count(ramp.len() as i64, "period"),
                    ramp.iter()
                        .map(|p| format!("{} from {}", fmt::usd0(p.amount), p.first))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                value: None,
            });
        }
    }
    if forecast.declined.is_none() && forecast.unused[1] > 0.0 {
        asks.push(Ask {
            title: "Roll over the current term's unused commitment".into(),
            text: format!(
                "up to {} at P50 by {} (a ceiling: what the current term is projected to leave unused).",
                fmt::usd0(forecast.unused[1]),
                c.end
            ),
            value: None,
        });
        notes.push(format!(
            "The current term is projected to end with {} unused at P50: savings before {} shrink the unused commitment, not the bill. The backlog's savings are cash from {}, the day after the current term ends.",
            fmt::usd0(forecast.unused[1]),
            c.end,
            c.end + Duration::days(1)
        ));
    }
    Some(NextCommitment {
        bands: r.bands.clone(),
        overage: r.overage,
        next_start,
        next_end,
        next_term_days: r.next_term_days,
        days_to_term_end: c.days_to_renewal,
        level: model.r0,
        growth: model.monthly_growth,
        phi,
        list,
        sizing,
        sentence,
        notes,
        asks,
        ramp,
    })
}

/// A fraction of a dollar in cents: `0.111` → `11.1 cents`.
fn cents_word(v: f64) -> String {
    format!("{:.1} cents", v * 100.0)
}

/// The recommendation in one sentence.
fn pick_sentence(s: &Sizing, term: &str) -> String {
    let rec = s.pick();
    let rr = s.run_rate_commit();
    let against = |v: f64| {
        if v.abs() < 0.5 {
            "the same as".to_owned()
        } else if v > 0.0 {
            format!("{} less than", fmt::usd0(v))
        } else {
            format!("{} more than", fmt::usd0(-v))
        }
    };
    let head = if rec.amount <= 0.0 {
        format!(
            "Do not commit for {term}: without a commitment the expected cost is {}",
            fmt::usd0(rec.expected)
        )
    } else {
        format!(
            "Commit {} at {} for {term}: expected cost {} (effective discount {})",
            fmt::usd0(rec.amount),
            fmt::pct(rec.discount),
            fmt::usd0(rec.expected),
            fmt::pct(rec.effective_discount)
        )
    };
    if rec.why.contains(&Why::RunRate) {
        return format!("{head}, which is also what committing at today's run rate would sign.");
    }
    format!(
        "{head}, {} the run-rate commit of {} at {} once the backlog ships, and {} it if the backlog does not ship (expected costs).",
        against(s.saving),
        fmt::usd0(rr.amount),
        fmt::pct(rr.discount),
        against(s.saving_not_shipped)
    )
}

/// A ramp: the term split into `periods` periods of floor(days / periods) days, the last taking
/// the remainder; each period's amount is C × its share of the term's P50 list spend.
fn ramp_periods(
    model: &Model,
    first: NaiveDate,
    last: NaiveDate,
    periods: u32,
    amount: f64,
) -> Vec<RampPeriod> {
    let days = (last - first).num_days() + 1;
    let periods = i64::from(periods).min(days).max(1);
    let per = days / periods;
    let total = model.list(1, first, last);
    (0..periods)
        .map(|i| {
            let a = first + Duration::days(i * per);
            let b = if i == periods - 1 {
                last
            } else {
                a + Duration::days(per - 1)
            };
            let share = if total > 0.0 {
                model.list(1, a, b) / total
            } else {
                1.0 / periods as f64
            };
            RampPeriod {
                first: a,
                last: b,
                days: (b - a).num_days() + 1,
                share,
                amount: amount * share,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
