//! The price table as data: `assets/prices.toml`, built in, and the configuration's
//! `[pricing.models]` entries on top of it, read into [`Model`]s and checked: every row has a
//! source, five prices within range, a band has its threshold, dated rows start on different
//! days. Both files are read by the same code, so a bad row says the same in either.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

use super::{Band, Dated, LongContext, MAX_PRICE, Model, NAMED_FAMILIES, OTHER_FAMILY, Price};
use crate::diag::{Locator, Problem};
use crate::error::{Error, Result};

/// The built-in table's text.
pub const BUILTIN: &str = include_str!("../../assets/prices.toml");

/// Months may hold this many price changes at most (the cube sums a month in parts between
/// them).
pub const MAX_CHANGES_A_MONTH: usize = 7;

/// An entry as written, in the built-in table or under `[pricing.models."<id>"]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    family: Option<String>,
    tokenizer: Option<i64>,
    input: Option<f64>,
    cache_write_5m: Option<f64>,
    cache_write_1h: Option<f64>,
    cache_read: Option<f64>,
    output: Option<f64>,
    source: Option<String>,
    note: Option<String>,
    band: Option<RawBand>,
    #[serde(default)]
    dated: Vec<RawDated>,
    #[serde(default)]
    geo: BTreeMap<String, f64>,
    fast: Option<f64>,
    long_context: Option<RawLong>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    above: Option<i64>,
    input: Option<f64>,
    cache_write_5m: Option<f64>,
    cache_write_1h: Option<f64>,
    cache_read: Option<f64>,
    output: Option<f64>,
    source: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDated {
    from: Option<toml::value::Datetime>,
    input: Option<f64>,
    cache_write_5m: Option<f64>,
    cache_write_1h: Option<f64>,
    cache_read: Option<f64>,
    output: Option<f64>,
    source: Option<String>,
    note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLong {
    above: Option<i64>,
    input: Option<f64>,
    output: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    tokenizers: RawTokenizers,
    models: BTreeMap<String, RawModel>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTokenizers {
    ratio: f64,
    source: String,
}

const PRICE_KEYS: [&str; 5] = [
    "input",
    "cache_write_5m",
    "cache_write_1h",
    "cache_read",
    "output",
];

/// The built-in models and the tokenizer ratio.
pub fn builtin() -> Result<(Vec<Model>, f64)> {
    parse_table(BUILTIN).map_err(|problems| {
        Error::Internal(format!(
            "the built-in price table has problems: {}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })
}

/// A whole table file read and checked (the built-in one, or one a test writes).
pub fn parse_table(text: &str) -> std::result::Result<(Vec<Model>, f64), Vec<Problem>> {
    let loc = Locator::new(text);
    let raw: RawTable = toml::from_str(text).map_err(|e| {
        vec![Problem {
            line: None,
            column: None,
            key: None,
            message: e.to_string(),
        }]
    })?;
    let mut problems = Vec::new();
    if !(raw.tokenizers.ratio >= 1.0 && raw.tokenizers.ratio <= 3.0) {
        problems.push(loc.problem(
            &["tokenizers", "ratio"],
            "is not a ratio of token counts; give one from 1 to 3 (1.30: 30% more tokens)",
        ));
    }
    if raw.tokenizers.source.trim().is_empty() {
        problems.push(loc.problem(
            &["tokenizers", "source"],
            "is blank; give the page it comes from",
        ));
    }
    let mut models = Vec::new();
    for (key, m) in &raw.models {
        let at = ["models", key.as_str()];
        if let Some(model) = build(key, m, None, true, &at, &loc, &mut problems) {
            models.push(model);
        }
    }
    check_changes(&models, &loc, &at_models, &mut problems);
    if problems.is_empty() {
        Ok((models, raw.tokenizers.ratio))
    } else {
        Err(problems)
    }
}

fn at_models(key: &str) -> Vec<String> {
    vec!["models".into(), key.into()]
}

/// More price changes in one month than the cube can sum apart is refused, at the entry with
/// the last of them.
pub fn check_changes(
    models: &[Model],
    loc: &Locator,
    path: &dyn Fn(&str) -> Vec<String>,
    problems: &mut Vec<Problem>,
) {
    let mut by_month: BTreeMap<crate::month::Month, Vec<(NaiveDate, &str)>> = BTreeMap::new();
    for m in models {
        for d in &m.dated {
            let e = by_month.entry(crate::month::Month::of(d.from)).or_default();
            if !e.iter().any(|(day, _)| *day == d.from) {
                e.push((d.from, &m.key));
            }
        }
    }
    for (month, days) in by_month {
        if days.len() > MAX_CHANGES_A_MONTH
            && let Some((_, key)) = days.last()
        {
            let p = path(key);
            let refs: Vec<&str> = p.iter().map(String::as_str).collect();
            problems.push(loc.problem(
                &refs,
                format!(
                    "{month} would hold {} price changes; govreview sums a month in at most {} parts, so give at most {MAX_CHANGES_A_MONTH} days of change in one month",
                    days.len(),
                    MAX_CHANGES_A_MONTH + 1
                ),
            ));
        }
    }
}

/// One entry as a [`Model`]: its keys over `base` (the built-in entry it overrides, if any).
/// `need_source`: a new entry must say where its prices come from. `at` is the entry's key path
/// in its file, for problems.
pub fn build(
    key: &str,
    raw: &RawModel,
    base: Option<&Model>,
    need_source: bool,
    at: &[&str],
    loc: &Locator,
    problems: &mut Vec<Problem>,
) -> Option<Model> {
    let n0 = problems.len();
    let path =
        |rest: &[&str]| -> Vec<String> { at.iter().chain(rest).map(|s| (*s).to_owned()).collect() };
    let mut push = |rest: &[&str], msg: String| {
        let p = path(rest);
        let refs: Vec<&str> = p.iter().map(String::as_str).collect();
        problems.push(loc.problem(&refs, msg));
    };
    let given = [
        raw.input,
        raw.cache_write_5m,
        raw.cache_write_1h,
        raw.cache_read,
        raw.output,
    ];
    let mut prices = [0.0; 5];
    let mut missing = Vec::new();
    for (i, (name, v)) in PRICE_KEYS.iter().zip(given).enumerate() {
        match (v, base) {
            (Some(v), _) => {
                if let Some(why) = price_problem(v) {
                    push(&[name], why);
                }
                prices[i] = v;
            }
            (None, Some(b)) => prices[i] = b.price.as_array()[i],
            (None, None) => missing.push(*name),
        }
    }
    if !missing.is_empty() {
        push(
            &[],
            format!(
                "`{key}` is not a built-in model, so all five prices are needed; missing: {}",
                missing.join(", ")
            ),
        );
    }
    let source = match (&raw.source, base) {
        (Some(s), _) if !s.trim().is_empty() => s.trim().to_owned(),
        (Some(_), _) => {
            push(&["source"], "is blank; give the page the prices were checked against (source = \"https://...\")".into());
            String::new()
        }
        (None, Some(b)) => b.source.clone(),
        (None, None) if need_source => {
            push(
                &[],
                format!(
                    "`{key}` has no source; give the page its prices were checked against (source = \"https://platform.claude.com/docs/en/about-claude/pricing\") or, for a negotiated price, where it is written"
                ),
            );
            String::new()
        }
        (None, None) => "govreview.toml".to_owned(),
    };
    let family = raw
        .family
        .clone()
        .or_else(|| base.map(|b| b.family.clone()))
        .unwrap_or_else(|| {
            NAMED_FAMILIES
                .iter()
                .find(|f| key.contains(*f))
                .map_or_else(|| OTHER_FAMILY.to_owned(), |f| (*f).to_owned())
        });
    if family.trim().is_empty() || family.contains(char::is_whitespace) {
        push(
            &["family"],
            format!("`{family}` is not a family name; use one lowercase word such as `opus`"),
        );
    }
    let tokenizer = match raw.tokenizer {
        Some(t @ (1 | 2)) => t as u8,
        Some(t) => {
            push(
                &["tokenizer"],
                format!(
                    "{t} is not a tokenizer generation; use 1 (before Claude 4.7) or 2 (Claude 4.7 and later)"
                ),
            );
            2
        }
        None => base.map_or(2, |b| b.tokenizer),
    };
    let price = Price::new(prices[0], prices[1], prices[2], prices[3], prices[4]);
    // The band: a threshold and all five prices of its own.
    let band = match &raw.band {
        None => base.and_then(|b| b.band),
        Some(b) => {
            let above = match b.above {
                Some(a) if a > 0 => Some(a as u64),
                Some(a) => {
                    push(
                        &["band", "above"],
                        format!(
                            "{a} is not a prompt length; give the tokens above which the band applies (e.g. 100_000)"
                        ),
                    );
                    None
                }
                None => {
                    push(&["band"], "has no threshold; give `above`, the prompt tokens (input, cache reads and writes) above which the band's prices apply (e.g. above = 100_000)".into());
                    None
                }
            };
            let bp = [
                b.input,
                b.cache_write_5m,
                b.cache_write_1h,
                b.cache_read,
                b.output,
            ];
            let mut vals = [0.0; 5];
            let mut lacking = Vec::new();
            for (i, (name, v)) in PRICE_KEYS.iter().zip(bp).enumerate() {
                match v {
                    Some(v) => {
                        if let Some(why) = price_problem(v) {
                            push(&["band", name], why);
                        }
                        vals[i] = v;
                    }
                    None => lacking.push(*name),
                }
            }
            if !lacking.is_empty() {
                push(
                    &["band"],
                    format!(
                        "a band needs all five of its prices; missing: {}",
                        lacking.join(", ")
                    ),
                );
            }
            if b.source.as_deref().is_some_and(|s| s.trim().is_empty()) {
                push(
                    &["band", "source"],
                    "is blank; give the page the band's prices come from".into(),
                );
            }
            above.map(|above| Band {
                above,
                price: Price::new(vals[0], vals[1], vals[2], vals[3], vals[4]),
            })
        }
    };
    // Dated rows: each from its own day, on top of the prices before it.
    let mut dated: Vec<Dated> = Vec::new();
    // An override of a price is the price on every day: the built-in dated rows (prices that
    // change on a day) are dropped with it, unless it gives dated rows of its own.
    let sets_price = [
        raw.input,
        raw.cache_write_5m,
        raw.cache_write_1h,
        raw.cache_read,
        raw.output,
    ]
    .iter()
    .any(Option::is_some);
    if raw.dated.is_empty() && !sets_price {
        dated = base.map(|b| b.dated.clone()).unwrap_or_default();
    }
    let mut rows: Vec<(usize, NaiveDate, &RawDated)> = Vec::new();
    for (i, d) in raw.dated.iter().enumerate() {
        let idx = i.to_string();
        let from = d.from.as_ref().and_then(crate::diag::plain_date);
        match from {
            Some(f) => rows.push((i, f, d)),
            None => push(
                &["dated", &idx, "from"],
                match &d.from {
                    None => {
                        "is missing; give the first day the prices apply (from = 2026-10-07)".into()
                    }
                    Some(v) => {
                        format!("`{v}` is not a plain date; write it as YYYY-MM-DD without quotes")
                    }
                },
            ),
        }
        let dp = [
            d.input,
            d.cache_write_5m,
            d.cache_write_1h,
            d.cache_read,
            d.output,
        ];
        for (name, v) in PRICE_KEYS.iter().zip(dp) {
            if let Some(why) = v.and_then(price_problem) {
                push(&["dated", &idx, name], why);
            }
        }
        if dp.iter().all(Option::is_none) {
            push(
                &["dated", &idx],
                "changes no price; give the prices that apply from its day".into(),
            );
        }
        if need_source && d.source.as_deref().is_none_or(|s| s.trim().is_empty()) {
            push(
                &["dated", &idx],
                "has no source; give the page the new prices were checked against".into(),
            );
        }
    }
    rows.sort_by_key(|(_, f, _)| *f);
    for w in rows.windows(2) {
        if w[0].1 == w[1].1 {
            let idx = w[1].0.to_string();
            push(
                &["dated", &idx, "from"],
                format!(
                    "two dated rows start on {}: their prices would overlap. Give each day of change one row",
                    w[1].1
                ),
            );
        }
    }
    let mut current = price;
    for (_, from, d) in &rows {
        let dp = [
            d.input,
            d.cache_write_5m,
            d.cache_write_1h,
            d.cache_read,
            d.output,
        ];
        let mut a = current.as_array();
        for (x, v) in a.iter_mut().zip(dp) {
            if let Some(v) = v {
                *x = v;
            }
        }
        current = Price::new(a[0], a[1], a[2], a[3], a[4]);
        dated.push(Dated {
            from: *from,
            price: current,
            source: d.source.clone().unwrap_or_else(|| source.clone()),
            note: d.note.clone(),
        });
    }
    // Modifiers.
    let mut geo = base.map(|b| b.geo.clone()).unwrap_or_default();
    for (g, m) in &raw.geo {
        if !(m.is_finite() && *m > 0.0 && *m <= 100.0) {
            push(
                &["geo", g],
                format!("{m} is not a multiplier; give one such as 1.1"),
            );
        }
        geo.insert(g.clone(), *m);
    }
    let fast = match raw.fast {
        Some(f) if f.is_finite() && f > 0.0 && f <= 100.0 => Some(f),
        Some(f) => {
            push(
                &["fast"],
                format!("{f} is not a multiplier; give fast mode's, such as 2 or 6"),
            );
            None
        }
        None => base.and_then(|b| b.fast),
    };
    let long_context = match &raw.long_context {
        None => base.and_then(|b| b.long_context),
        Some(l) => {
            let ok = |v: Option<f64>| v.is_some_and(|v| v.is_finite() && v > 0.0 && v <= 100.0);
            match (l.above, ok(l.input), ok(l.output)) {
                (Some(a), true, true) if a > 0 => Some(LongContext {
                    above: a as u64,
                    input: l.input.unwrap_or(1.0),
                    output: l.output.unwrap_or(1.0),
                }),
                _ => {
                    push(&["long_context"], "needs `above` (input tokens), `input` and `output` multipliers, e.g. { above = 200_000, input = 2.0, output = 1.5 }".into());
                    None
                }
            }
        }
    };
    (problems.len() == n0).then(|| Model {
        key: key.to_owned(),
        family,
        tokenizer,
        price,
        dated,
        band,
        geo,
        fast,
        long_context,
        source,
        note: raw
            .note
            .clone()
            .or_else(|| base.and_then(|b| b.note.clone())),
    })
}

/// What is wrong with a price, if anything.
fn price_problem(v: f64) -> Option<String> {
    if !v.is_finite() || v < 0.0 {
        Some(format!(
            "{} is not a price; prices are USD per million tokens, 0 or more",
            crate::fmt::num_or_raw(v)
        ))
    } else if v > MAX_PRICE {
        Some(format!(
            "{} is above $10,000 per million tokens, more than any model costs; prices are USD per million tokens (Sonnet 4.5 input is 3)",
            crate::fmt::num_or_raw(v)
        ))
    } else {
        None
    }
}
