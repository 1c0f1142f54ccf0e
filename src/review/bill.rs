//! The bill explained: from the review month's tokens at list prices to what was billed, one
//! step per reason, in dollars. Each step is what its reason added on top of the steps before
//! (dated prices, prompt-length bands, long context, fast mode, data residency, the Batch API,
//! the contract discount), then what billed amounts say beyond the price table (credits, and what
//! remains unexplained). The steps add up to the month's spend, to the cent as shown.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::cube::Dataset;
use crate::fmt;
use crate::metrics::PricedRow;
use crate::month::Month;
use crate::pricing::{Quote, quote};
use crate::report::{Bill, BillStep};

/// A step's contributions by model and workload, for its detail line.
type Parts = BTreeMap<(String, String), f64>;

/// The review month's bill explained.
pub fn explain(cfg: &Config, ds: &Dataset, rows: &[&PricedRow], month: Month) -> Bill {
    let mut sum = Quote::default();
    let mut parts: BTreeMap<&'static str, Parts> = BTreeMap::new();
    let mut warnings: BTreeMap<String, f64> = BTreeMap::new();
    let mut computed = 0.0;
    let mut spend = 0.0;
    let mut billed_gap = 0.0;
    let mut billed_rows = false;
    for r in rows {
        sum.add(&r.quote);
        computed += r.computed_net;
        spend += r.spend();
        if let Some(b) = r.billed {
            billed_rows = true;
            billed_gap += b - r.computed_net;
        }
        let workload = format!("{}/{}", r.team, r.app);
        for (key, v) in [
            ("dated", r.quote.dated),
            ("band", r.quote.band),
            ("long_context", r.quote.long_context),
            ("fast", r.quote.fast),
            ("geo", r.quote.geo),
        ] {
            if v != 0.0 {
                *parts
                    .entry(key)
                    .or_default()
                    .entry((r.model.clone(), workload.clone()))
                    .or_default() += v;
            }
        }
        // Values the table has no price for: priced without them, and said.
        if let Some(m) = cfg.prices.lookup(&r.model) {
            let (_, unpriced) = quote(
                m,
                r.first_day,
                r.month.first_day(),
                &r.variant,
                &r.tokens,
                &r.tier,
            );
            for u in unpriced {
                *warnings
                    .entry(format!(
                        "{} `{}` on {}: the price table has no price for it, so that usage is priced without it (any difference shows as unexplained where billed amounts exist)",
                        u.dimension, u.value, r.model
                    ))
                    .or_default() += r.list_cost;
            }
        }
    }
    // Credits the cost data marks as such, in this month (part of the billed amounts).
    let credits: f64 = ds
        .costs
        .iter()
        .filter(|(_, c)| c.credit && Month::of(c.day) == month)
        .map(|(_, c)| c.usd)
        .sum();
    let unexplained = if billed_rows {
        billed_gap - credits
    } else {
        0.0
    };
    let discount = computed - sum.list();
    let detail = |key: &str| -> Option<String> {
        let p = parts.get(key)?;
        let mut v: Vec<(&(String, String), &f64)> = p.iter().collect();
        v.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
        // One source needs no amount (the step is its amount); several are shown with theirs.
        let shown: Vec<String> = v
            .iter()
            .take(3)
            .map(|((model, w), usd)| {
                if v.len() == 1 {
                    format!("{model} in {w}")
                } else {
                    format!("{model} in {w} {}", fmt::usd_signed(**usd))
                }
            })
            .collect();
        let more = v.len().saturating_sub(3);
        Some(format!(
            "{}{}",
            shown.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ))
    };
    let changes: Vec<String> = cfg
        .prices
        .models()
        .flat_map(|m| {
            m.dated
                .iter()
                .filter(|d| Month::of(d.from) == month)
                .map(move |d| format!("{} from {}", m.key, d.from))
        })
        .collect();
    let mut steps = vec![step(
        "base",
        "Tokens at list prices (each model's base price on the 1st of the month)".to_owned(),
        sum.base,
        None,
    )];
    let optional = [
        (
            "dated",
            format!(
                "Price changes during the month{}",
                if changes.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", changes.join(", "))
                }
            ),
            sum.dated,
        ),
        (
            "band",
            "Prompt-length bands (requests whose prompt passed the model's band)".to_owned(),
            sum.band,
        ),
        (
            "long_context",
            "Long context (requests over 200K input tokens)".to_owned(),
            sum.long_context,
        ),
        ("fast", "Fast mode".to_owned(), sum.fast),
        (
            "geo",
            "Data residency (US-only inference)".to_owned(),
            sum.geo,
        ),
        ("batch", "Batch API (half price)".to_owned(), sum.batch),
    ];
    for (key, label, usd) in optional {
        if usd.abs() >= 0.005 {
            steps.push(step(key, label, usd, detail(key)));
        }
    }
    if cfg.discount > 0.0 {
        steps.push(step(
            "discount",
            format!("Contract discount ({} of list)", fmt::pct(cfg.discount)),
            discount,
            None,
        ));
    }
    if credits != 0.0 {
        steps.push(step("credits", "Credits".to_owned(), credits, None));
    }
    if billed_rows {
        steps.push(step(
            "unexplained",
            "Billed beyond what the price table explains".to_owned(),
            unexplained,
            Some(
                "billed amounts less the computed cost of the usage they bill; see the reconciliation in the data notes"
                    .to_owned(),
            ),
        ));
    }
    round_to_total(&mut steps, spend);
    Bill {
        steps,
        list: sum.list(),
        computed_net: computed,
        total: spend,
        total_cents: (spend * 100.0).round() as i64,
        billed: billed_rows,
        warnings: warnings.into_keys().collect(),
    }
}

fn step(key: &str, label: String, usd: f64, detail: Option<String>) -> BillStep {
    BillStep {
        key: key.to_owned(),
        label,
        usd,
        cents: 0,
        detail,
    }
}

/// Each step in whole cents, so that the cents add up to the total rounded to the cent: each
/// rounded towards zero, the cents left over given to the largest remainders (ties: the earlier
/// step).
fn round_to_total(steps: &mut [BillStep], total: f64) {
    let want = (total * 100.0).round() as i64;
    let mut cents: Vec<i64> = steps
        .iter()
        .map(|s| (s.usd * 100.0).trunc() as i64)
        .collect();
    let mut left = want - cents.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..steps.len()).collect();
    let rem = |i: usize| steps[i].usd * 100.0 - cents[i] as f64;
    if left > 0 {
        order.sort_by(|&a, &b| rem(b).total_cmp(&rem(a)).then(a.cmp(&b)));
    } else {
        order.sort_by(|&a, &b| rem(a).total_cmp(&rem(b)).then(a.cmp(&b)));
    }
    let mut k = 0;
    while left != 0 && !order.is_empty() {
        let i = order[k % order.len()];
        let d = left.signum();
        cents[i] += d;
        left -= d;
        k += 1;
    }
    for (s, c) in steps.iter_mut().zip(cents) {
        s.cents = c;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_steps_add_up_to_the_rounded_total() {
        let mut steps = vec![
            step("a", "a".into(), 10.006, None),
            step("b", "b".into(), 0.004, None),
            step("c", "c".into(), -5.003, None),
        ];
        // 10.006 + 0.004 - 5.003 = 5.007 -> 501 cents; towards zero the steps give 1000 + 0 -
        // 500 = 500, and the cent left goes to the largest remainder (0.6 of a cent, step a).
        round_to_total(&mut steps, 5.007);
        assert_eq!(
            steps.iter().map(|s| s.cents).collect::<Vec<_>>(),
            [1001, 0, -500]
        );
    }
}
