//! Anthropic's own data formats: Admin API usage-report pages (legacy), Usage and Cost Analytics
//! API pages ([`analytics`]) and Console CSV exports.
//!
//! Formats are recognised by content, not by file name. Usage-report pages are parsed here into
//! plain rows; Console CSV exports are mapped onto the canonical columns by renaming (the data
//! layer applies the renames). Unknown fields and service tiers are accepted.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

pub mod analytics;

/// What a file holds, judged by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The canonical usage schema (`date`/`starting_at`, `model`, token columns).
    Canonical,
    /// A Console usage export (`usage_date_utc`, `model_version`, ...).
    ConsoleUsage,
    /// A Console cost export (`usage_date_utc`, `token_type`, `cost_usd`, ...).
    ConsoleCost,
    /// Admin API messages usage-report page(s).
    UsageReport,
    /// Admin API cost-report page(s).
    CostReport,
    /// Usage and Cost Analytics API usage page(s) (`/v1/organizations/analytics/usage`).
    AnalyticsUsage,
    /// Usage and Cost Analytics API cost page(s) (`/v1/organizations/analytics/cost`).
    AnalyticsCost,
}

/// The kind of a CSV file from its header line.
pub fn csv_kind(header: &str) -> Kind {
    let cols: Vec<&str> = header
        .trim()
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    let has = |c: &str| cols.contains(&c);
    if has("usage_date_utc") && has("token_type") && has("cost_usd") {
        Kind::ConsoleCost
    } else if has("usage_date_utc") && has("model_version") {
        Kind::ConsoleUsage
    } else {
        Kind::Canonical
    }
}

/// Console usage export columns and the canonical columns they become.
pub const CONSOLE_USAGE_RENAMES: [(&str, &str); 11] = [
    ("usage_date_utc", "date"),
    ("model_version", "model"),
    ("api_key", "api_key_id"),
    ("workspace", "workspace_id"),
    ("usage_type", "service_tier"),
    ("usage_input_tokens_no_cache", "uncached_input_tokens"),
    (
        "usage_input_tokens_cache_write_5m",
        "cache_creation_5m_input_tokens",
    ),
    (
        "usage_input_tokens_cache_write_1h",
        "cache_creation_1h_input_tokens",
    ),
    (
        "usage_input_tokens_cache_write",
        "cache_creation_input_tokens",
    ),
    ("usage_input_tokens_cache_read", "cache_read_input_tokens"),
    ("usage_output_tokens", "output_tokens"),
];

/// Console usage export: `web_search_count` becomes `web_search_requests`.
pub const CONSOLE_WEB_SEARCH: (&str, &str) = ("web_search_count", "web_search_requests");

/// Fields a usage-report result is documented to have; others are accepted and named in a warning.
pub const KNOWN_USAGE_FIELDS: [&str; 14] = [
    "api_key_id",
    "workspace_id",
    "model",
    "service_tier",
    "context_window",
    "uncached_input_tokens",
    "cache_creation",
    "cache_read_input_tokens",
    "output_tokens",
    "server_tool_use",
    "inference_geo",
    "account_id",
    "service_account_id",
    "speed",
];

/// Service tiers the usage report is documented to give; others are priced at list with a warning.
pub const KNOWN_TIERS: [&str; 6] = [
    "standard",
    "batch",
    "priority",
    "priority_on_demand",
    "flex",
    "flex_discount",
];

/// Fields of a usage-report page's results that are not documented (new ones), sorted.
pub fn unknown_usage_fields(page: &Value) -> Vec<String> {
    let mut out: Vec<String> = buckets(page)
        .flat_map(|(_, b)| results(b))
        .filter_map(|(_, r)| r.as_object())
        .flat_map(|o| o.keys())
        .filter(|k| !KNOWN_USAGE_FIELDS.contains(&k.as_str()))
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// One result of a usage-report bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// The bucket's start (RFC 3339).
    pub starting_at: String,
    /// Model ID.
    pub model: String,
    /// Service tier, when grouped by it.
    pub service_tier: Option<String>,
    /// Workspace ID (None: default workspace, or not grouped).
    pub workspace_id: Option<String>,
    /// API key ID (None: Console/Workbench usage, or not grouped).
    pub api_key_id: Option<String>,
    /// Uncached input tokens.
    pub uncached_input: i64,
    /// 5-minute cache writes.
    pub cache_write_5m: i64,
    /// 1-hour cache writes.
    pub cache_write_1h: i64,
    /// Cache reads.
    pub cache_read: i64,
    /// Output tokens.
    pub output: i64,
    /// Web search requests.
    pub web_search_requests: i64,
    /// Requests (Analytics API; None when the page gives none).
    pub requests: Option<i64>,
    /// The actor the usage is attributed to (Analytics API: user, service account or API key ID).
    pub actor: Option<String>,
    /// The kind of actor (`user`, `service_account`, `api_key`, ...).
    pub actor_type: Option<String>,
    /// How the usage is priced beyond its model and tier (`inference_geo`, `speed`,
    /// `context_window`), when the report was grouped by them.
    pub variant: crate::pricing::Variant,
}

/// A report row's price dimensions: `inference_geo`, `speed` and `context_window` as grouped.
pub fn variant_of(v: &Value) -> crate::pricing::Variant {
    crate::pricing::Variant {
        geo: text(v, "inference_geo"),
        speed: text(v, "speed"),
        context_window: text(v, "context_window"),
        prompt_band: text(v, "prompt_band"),
    }
}

pub(crate) fn json_error(path: &Path, e: &serde_json::Error) -> Error {
    Error::data(
        path,
        None,
        None,
        format!(
            "is not valid JSON at line {}, column {}: {e}. A truncated download? Fetch the page again",
            e.line(),
            e.column()
        ),
    )
}

/// The kind of a JSON file: a page of the legacy usage or cost report (time buckets of
/// `results`), of the Analytics API's usage or cost endpoint (flat rows of `group` with `usage` or
/// `cost`), or neither (an error that says what was expected).
pub fn json_kind(path: &Path, text: &str) -> Result<(Kind, Value)> {
    let v: Value = serde_json::from_str(text).map_err(|e| json_error(path, &e))?;
    let data = v.get("data").and_then(Value::as_array).ok_or_else(|| {
        Error::data(
            path,
            None,
            Some("data"),
            "is not an Anthropic report page: it has no `data` array. Give pages of /v1/organizations/analytics/usage or /cost (or the legacy usage_report/messages and cost_report)",
        )
    })?;
    let legacy = data.iter().position(|b| b.get("results").is_some());
    let flat = data.iter().position(|b| {
        b.get("group").is_some() || b.get("usage").is_some() || b.get("cost").is_some()
    });
    if let (Some(l), Some(f)) = (legacy, flat) {
        return Err(Error::data(
            path,
            None,
            Some(&format!("data[{}]", l.max(f))),
            format!(
                "mixes the legacy report shape (data[{l}] has `results`) with the Analytics API's (data[{f}] has `group`); a page comes from one endpoint. Keep each endpoint's pages in their own files"
            ),
        ));
    }
    if flat.is_some() {
        return analytics::kind(path, data).map(|k| (k, v));
    }
    if let Some(kind) = analytics::saved_without_rows(&v) {
        return Ok((kind, v));
    }
    let first = data
        .iter()
        .filter_map(|b| b.get("results").and_then(Value::as_array))
        .flatten()
        .next();
    let kind = match first {
        Some(r) if r.get("amount").is_some() => Kind::CostReport,
        Some(r) if r.get("uncached_input_tokens").is_some() || r.get("output_tokens").is_some() => {
            Kind::UsageReport
        }
        Some(_) => {
            return Err(Error::data(
                path,
                None,
                Some("data[].results[]"),
                "holds results of neither the usage report (token counts) nor the cost report (`amount`); is it a page of another endpoint?",
            ));
        }
        // Only empty buckets (or no rows at all): a usage page without usage.
        None if data
            .iter()
            .all(|b| b.get("results").is_some() || b.get("starting_at").is_some()) =>
        {
            Kind::UsageReport
        }
        None => {
            return Err(Error::data(
                path,
                None,
                Some("data[0]"),
                "has neither `results` (legacy report buckets) nor `group` with `usage` or `cost` (Analytics API rows); is it a page of another endpoint?",
            ));
        }
    };
    Ok((kind, v))
}

/// A count of a row; absent or `null` is 0 (a field the report leaves out).
pub(crate) fn count(r: &Value, field: &str, at: &str, path: &Path) -> Result<i64> {
    count_in(r, field, at, path, true)
}

/// A token count the API always sends as a number: a row may leave it out (0, as for a token
/// class the row did not use), but `null` is a value that cannot be read, and reading it as 0
/// would understate spend without a word.
pub(crate) fn token_count(r: &Value, field: &str, at: &str, path: &Path) -> Result<i64> {
    count_in(r, field, at, path, false)
}

fn count_in(r: &Value, field: &str, at: &str, path: &Path, null_is_zero: bool) -> Result<i64> {
    // An object on the way sent as `null` (`"cache_creation": null`) hides its counts: as a null
    // count, it is not read as 0.
    let mut walked = String::new();
    let mut v = Some(r);
    for k in field.split('.') {
        if !walked.is_empty() && !null_is_zero && v.is_some_and(Value::is_null) {
            return Err(Error::data(
                path,
                None,
                Some(&format!("{at}.{walked}")),
                "is null, where the API sends an object of token counts; reading it as 0 tokens would understate spend. Save the page as the API sent it (govreview fetch does) or write the counts",
            ));
        }
        v = v.and_then(|x| x.get(k));
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(k);
    }
    match v {
        None => Ok(0),
        Some(Value::Null) if null_is_zero => Ok(0),
        Some(Value::Null) => Err(Error::data(
            path,
            None,
            Some(&format!("{at}.{field}")),
            "is null, where the API sends a number of tokens (0 when there were none); reading it as 0 would understate spend. Save the page as the API sent it (govreview fetch does) or write the count",
        )),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) if i >= 0 => Ok(i),
            Some(i) => Err(Error::data(
                path,
                None,
                Some(&format!("{at}.{field}")),
                format!("{i} is negative; counts cannot be below 0"),
            )),
            None => Err(Error::data(
                path,
                None,
                Some(&format!("{at}.{field}")),
                format!("{n} is not a whole number of tokens"),
            )),
        },
        Some(other) => Err(Error::data(
            path,
            None,
            Some(&format!("{at}.{field}")),
            format!("{other} is not a number of tokens"),
        )),
    }
}

pub(crate) fn text(r: &Value, field: &str) -> Option<String> {
    r.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// The UTC days a usage-report page's buckets cover, empty buckets included: a day with an empty
/// bucket had no usage, which is known, not missing.
pub fn bucket_days(page: &Value) -> Vec<chrono::NaiveDate> {
    let mut days: Vec<chrono::NaiveDate> = page
        .get("data")
        .and_then(Value::as_array)
        .map(|b| {
            b.iter()
                .filter_map(|b| b.get("starting_at").and_then(Value::as_str))
                .filter_map(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&chrono::Utc).date_naive())
                .collect()
        })
        .unwrap_or_default();
    days.sort();
    days.dedup();
    days
}

/// The buckets of a report page, numbered.
fn buckets(page: &Value) -> impl Iterator<Item = (usize, &Value)> {
    page.get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

/// The results of a bucket, numbered.
fn results(bucket: &Value) -> impl Iterator<Item = (usize, &Value)> {
    bucket
        .get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

/// The rows of a usage-report page. Empty buckets give no rows; unknown fields are ignored.
pub fn usage_report_rows(path: &Path, page: &Value) -> Result<Vec<ReportRow>> {
    let mut out = Vec::new();
    for (i, b) in buckets(page) {
        let at = format!("data[{i}]");
        let Some(start) = b.get("starting_at").and_then(Value::as_str) else {
            return Err(Error::data(
                path,
                None,
                Some(&format!("{at}.starting_at")),
                "is missing; every bucket needs its RFC 3339 start",
            ));
        };
        for (j, r) in results(b) {
            let at = format!("{at}.results[{j}]");
            let model = text(r, "model").ok_or_else(|| {
                Error::data(
                    path,
                    None,
                    Some(&format!("{at}.model")),
                    "is missing or null: the report was fetched without group_by[]=model, and usage cannot be priced without the model. Fetch it again grouped by model",
                )
            })?;
            out.push(ReportRow {
                starting_at: start.to_owned(),
                model,
                service_tier: text(r, "service_tier"),
                workspace_id: text(r, "workspace_id"),
                api_key_id: text(r, "api_key_id"),
                uncached_input: token_count(r, "uncached_input_tokens", &at, path)?,
                cache_write_5m: count(r, "cache_creation.ephemeral_5m_input_tokens", &at, path)?,
                cache_write_1h: count(r, "cache_creation.ephemeral_1h_input_tokens", &at, path)?,
                cache_read: count(r, "cache_read_input_tokens", &at, path)?,
                output: token_count(r, "output_tokens", &at, path)?,
                web_search_requests: count(r, "server_tool_use.web_search_requests", &at, path)?,
                requests: None,
                actor: None,
                actor_type: None,
                variant: variant_of(r),
            });
        }
    }
    Ok(out)
}

/// One billed amount: a cost-report result or a Console cost-export row.
#[derive(Debug, Clone, PartialEq)]
pub struct CostRecord {
    /// UTC day.
    pub day: chrono::NaiveDate,
    /// Workspace ID (cost report; None: default workspace or not grouped) or name (Console).
    pub workspace: Option<String>,
    /// Model ID (when the report was grouped by description, or from a Console display name).
    pub model: Option<String>,
    /// `tokens`, `web_search`, `code_execution`, ...
    pub cost_type: Option<String>,
    /// Token type (`uncached_input_tokens`, `output`, ...), when given.
    pub token_type: Option<String>,
    /// Service tier, when given.
    pub service_tier: Option<String>,
    /// Description (cost report), when given.
    pub description: Option<String>,
    /// Amount in USD.
    pub usd: f64,
    /// The amount at list price in USD, when the source gives it (Analytics API `list_amount`).
    pub list_usd: Option<f64>,
    /// The amount and list amount in cents exactly, when the source gives decimal cents (Analytics
    /// API), so that sums stay exact until they become dollars.
    pub cents: Option<(rust_decimal::Decimal, Option<rust_decimal::Decimal>)>,
    /// The row is a credit (its source marks it so); only credits may be negative.
    pub credit: bool,
    /// The row's other dimensions (API key, context window, region, speed, ...), as text: rows
    /// that differ in them are different costs.
    pub detail: String,
}

/// The largest amount one cost row may hold, in US dollars (as a usage row's billed cost).
pub const MAX_AMOUNT_USD: f64 = 10_000_000.0;

/// Whether a cost row is a credit: its cost type is `credit` (or `credits`), or its description
/// has the word (not in "credit card").
pub fn is_credit(cost_type: Option<&str>, description: Option<&str>) -> bool {
    let credit = |w: &str| w.eq_ignore_ascii_case("credit") || w.eq_ignore_ascii_case("credits");
    if cost_type.is_some_and(|t| credit(t.trim())) {
        return true;
    }
    description.is_some_and(|d| {
        let words: Vec<&str> = d
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        words.iter().enumerate().any(|(i, w)| {
            credit(w)
                && !words
                    .get(i + 1)
                    .is_some_and(|n| n.eq_ignore_ascii_case("card"))
        })
    })
}

/// What is wrong with a cost row's amount, if anything: not finite, beyond
/// [`MAX_AMOUNT_USD`], or negative on a row its source does not mark as a credit.
pub fn amount_problem(usd: f64, credit: bool) -> Option<String> {
    if !usd.is_finite() {
        return Some("is not a finite amount".to_owned());
    }
    if usd.abs() > MAX_AMOUNT_USD {
        return Some(format!(
            "(${}) exceeds the largest amount govreview accepts in one cost row (${}); check that the file holds this organisation's costs in the unit its format gives",
            crate::fmt::int(usd.abs()),
            crate::fmt::int(MAX_AMOUNT_USD)
        ));
    }
    if usd > 0.0 && credit {
        return Some(format!(
            "({}) is positive on a row marked as a credit; a credit lowers the bill, so it is written as a negative amount: fix the row or drop it",
            crate::fmt::usd(usd)
        ));
    }
    if usd < 0.0 && !credit {
        return Some(format!(
            "({}) is negative, but the row is not marked as a credit (its cost type or description would say so); a charge cannot be negative: fix the row or drop it",
            crate::fmt::usd(usd)
        ));
    }
    None
}

/// A cost-report amount: a decimal string in US cents ("123.78912" is $1.2378912).
pub fn cents_to_usd(s: &str) -> Option<f64> {
    let t = s.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    let ok = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
        && digits != ".";
    if !ok {
        return None;
    }
    t.parse::<f64>().ok().map(|c| c / 100.0)
}

/// The records of a cost-report page.
pub fn cost_report_rows(path: &Path, page: &Value) -> Result<Vec<CostRecord>> {
    let mut out = Vec::new();
    for (i, b) in buckets(page) {
        let at = format!("data[{i}]");
        let day = b
            .get("starting_at")
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&chrono::Utc).date_naive())
            .ok_or_else(|| {
                Error::data(
                    path,
                    None,
                    Some(&format!("{at}.starting_at")),
                    "is missing or not an RFC 3339 timestamp",
                )
            })?;
        for (j, r) in results(b) {
            let at = format!("{at}.results[{j}]");
            let amount = r.get("amount");
            let usd = match amount {
                Some(Value::String(s)) => cents_to_usd(s),
                Some(Value::Number(n)) => n.as_f64().map(|c| c / 100.0),
                _ => None,
            }
            .ok_or_else(|| {
                Error::data(
                    path,
                    None,
                    Some(&format!("{at}.amount")),
                    format!(
                        "{} is not an amount; the cost report gives cents as a decimal string such as \"123.78912\"",
                        amount.map_or("nothing".to_owned(), Value::to_string)
                    ),
                )
            })?;
            if let Some(c) = text(r, "currency")
                && c != "USD"
            {
                return Err(Error::data(
                    path,
                    None,
                    Some(&format!("{at}.currency")),
                    format!("`{c}` is not USD; govreview reports in US dollars"),
                ));
            }
            let (cost_type, description) = (text(r, "cost_type"), text(r, "description"));
            let credit = is_credit(cost_type.as_deref(), description.as_deref());
            if let Some(why) = amount_problem(usd, credit) {
                return Err(Error::data(
                    path,
                    None,
                    Some(&format!("{at}.amount")),
                    format!("{} {why}", amount.map_or(String::new(), Value::to_string)),
                ));
            }
            out.push(CostRecord {
                day,
                workspace: text(r, "workspace_id"),
                model: text(r, "model"),
                cost_type,
                token_type: text(r, "token_type"),
                service_tier: text(r, "service_tier"),
                description,
                usd,
                list_usd: None,
                cents: None,
                credit,
                detail: analytics::cost_detail(r, &analytics::LEGACY_COST_NAMED),
            });
        }
    }
    Ok(out)
}

/// A Console display name ("Claude Sonnet 4.5", "Claude Haiku 3.5") as a model-ID prefix
/// ("claude-sonnet-4-5", "claude-3-5-haiku"); None when it is not of that shape.
pub fn model_from_display_name(name: &str) -> Option<String> {
    let parts: Vec<String> = name
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    match parts.as_slice() {
        [claude, family, version] if claude == "claude" => {
            let v = version.replace('.', "-");
            let major: u32 = version.split('.').next()?.parse().ok()?;
            Some(if major >= 4 {
                format!("claude-{family}-{v}")
            } else {
                format!("claude-{v}-{family}")
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod credit_tests {
    use super::*;

    #[test]
    fn a_credit_is_named_as_one_and_lowers_the_bill() {
        assert!(is_credit(Some("Credits"), None));
        assert!(is_credit(None, Some("Promotional credit, November")));
        assert!(!is_credit(None, Some("Credit card surcharge reversal")));
        assert!(!is_credit(
            Some("tokens"),
            Some("Claude Sonnet 4.5 Usage - Input Tokens")
        ));
        assert!(!is_credit(None, Some("accredited partner fee")));
        assert!(
            amount_problem(50.0, true)
                .unwrap()
                .contains("positive on a row marked as a credit")
        );
        assert!(amount_problem(-50.0, true).is_none());
        assert!(
            amount_problem(-50.0, false)
                .unwrap()
                .contains("not marked as a credit")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example response of the API reference.
    const PAGE: &str = r#"{
      "data": [
        {
          "starting_at": "2025-08-01T00:00:00Z",
          "ending_at": "2025-08-02T00:00:00Z",
          "results": [
            {
              "api_key_id": "apikey_01Rj2N8SVvo6BePZj99NhmiT",
              "workspace_id": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ",
              "model": "claude-sonnet-4-5-20250929",
              "service_tier": "standard",
              "context_window": "0-200k",
              "uncached_input_tokens": 1500,
              "cache_creation": { "ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 1000 },
              "cache_read_input_tokens": 200,
              "output_tokens": 500,
              "server_tool_use": { "web_search_requests": 10 }
            }
          ]
        },
        { "starting_at": "2025-08-02T00:00:00Z", "ending_at": "2025-08-03T00:00:00Z", "results": [] }
      ],
      "has_more": true,
      "next_page": "page_MjAyNS0wNS0xNFQwMDowMDowMFo="
    }"#;

    #[test]
    fn documented_example_page() {
        let p = Path::new("page.json");
        let (kind, v) = json_kind(p, PAGE).unwrap();
        assert_eq!(kind, Kind::UsageReport);
        let rows = usage_report_rows(p, &v).unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.model, "claude-sonnet-4-5-20250929");
        assert_eq!(
            (
                r.uncached_input,
                r.cache_write_5m,
                r.cache_write_1h,
                r.cache_read,
                r.output
            ),
            (1500, 500, 1000, 200, 500)
        );
        assert_eq!(r.web_search_requests, 10);
        assert_eq!(
            r.workspace_id.as_deref(),
            Some("wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ")
        );
        let days: Vec<String> = bucket_days(&v).iter().map(|d| d.to_string()).collect();
        assert_eq!(
            days,
            ["2025-08-01", "2025-08-02"],
            "the empty bucket's day is covered too"
        );
    }

    #[test]
    fn null_group_fields_and_new_fields_are_accepted() {
        let page = r#"{"data":[{"starting_at":"2026-10-01T00:00:00Z","results":[
            {"model":"claude-opus-4-5","service_tier":"flex_discount","workspace_id":null,"api_key_id":null,
             "inference_geo":"us","speed":"fast","uncached_input_tokens":5,"output_tokens":1,
             "cache_creation":null,"cache_read_input_tokens":null}]}],"has_more":false,"next_page":null}"#;
        let (_, v) = json_kind(Path::new("p.json"), page).unwrap();
        let rows = usage_report_rows(Path::new("p.json"), &v).unwrap();
        assert_eq!(rows[0].workspace_id, None);
        assert!(
            unknown_usage_fields(&v).is_empty(),
            "inference_geo and speed are documented"
        );
        let newer = page.replace(
            "\"speed\":\"fast\"",
            "\"speed\":\"fast\",\"carbon_grams\":3",
        );
        let (_, v) = json_kind(Path::new("p.json"), &newer).unwrap();
        assert_eq!(unknown_usage_fields(&v), ["carbon_grams"]);
        assert_eq!(rows[0].service_tier.as_deref(), Some("flex_discount"));
        assert_eq!(rows[0].cache_write_5m, 0);
    }

    #[test]
    fn bad_pages_say_what_is_wrong() {
        let p = Path::new("p.json");
        let e = json_kind(p, r#"{"data":[{"starting_at":"x","res"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is not valid JSON at line 1"), "{e}");
        let e = json_kind(p, r#"{"items":[]}"#).unwrap_err().to_string();
        assert!(e.contains("no `data` array"), "{e}");
        let (k, _) = json_kind(
            p,
            r#"{"data":[{"starting_at":"x","results":[{"amount":"12.5","currency":"USD"}]}]}"#,
        )
        .unwrap();
        assert_eq!(k, Kind::CostReport);
        let bad = r#"{"data":[{"starting_at":"2026-10-01T00:00:00Z","results":[{"model":"m","output_tokens":-4}]}]}"#;
        let (_, v) = json_kind(p, bad).unwrap();
        let e = usage_report_rows(p, &v).unwrap_err().to_string();
        assert!(
            e.contains("field `data[0].results[0].output_tokens`: -4 is negative"),
            "{e}"
        );
        let nomodel = r#"{"data":[{"starting_at":"2026-10-01T00:00:00Z","results":[{"model":null,"output_tokens":4}]}]}"#;
        let (_, v) = json_kind(p, nomodel).unwrap();
        let e = usage_report_rows(p, &v).unwrap_err().to_string();
        assert!(e.contains("group_by[]=model"), "{e}");
    }

    #[test]
    fn cost_report_amounts_are_cents() {
        assert_eq!(cents_to_usd("123.78912"), Some(1.2378912));
        assert_eq!(cents_to_usd("-50"), Some(-0.5));
        for bad in ["", "12,5", "1e3", "abc", "."] {
            assert_eq!(cents_to_usd(bad), None, "{bad}");
        }
        let page = r#"{"data":[{"starting_at":"2026-10-01T00:00:00Z","ending_at":"2026-10-02T00:00:00Z","results":[
            {"amount":"123.78912","currency":"USD","cost_type":"tokens","description":"Claude Opus 4.5 Usage - Input Tokens",
             "model":"claude-opus-4-5-20251101","service_tier":"standard","token_type":"uncached_input_tokens","workspace_id":"wrkspc_01"}]}],
            "has_more":false,"next_page":null}"#;
        let p = Path::new("cost.json");
        let (k, v) = json_kind(p, page).unwrap();
        assert_eq!(k, Kind::CostReport);
        let rows = cost_report_rows(p, &v).unwrap();
        assert!((rows[0].usd - 1.2378912).abs() < 1e-12);
        assert_eq!(rows[0].model.as_deref(), Some("claude-opus-4-5-20251101"));
        let bad = page.replace("\"123.78912\"", "\"n/a\"");
        let (_, v) = json_kind(p, &bad).unwrap();
        let e = cost_report_rows(p, &v).unwrap_err().to_string();
        assert!(
            e.contains("field `data[0].results[0].amount`: \"n/a\" is not an amount"),
            "{e}"
        );
    }

    #[test]
    fn display_names_to_model_ids() {
        assert_eq!(
            model_from_display_name("Claude Sonnet 4.5").as_deref(),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(
            model_from_display_name("Claude Opus 4").as_deref(),
            Some("claude-opus-4")
        );
        assert_eq!(
            model_from_display_name("Claude Haiku 3.5").as_deref(),
            Some("claude-3-5-haiku")
        );
        assert_eq!(model_from_display_name("Web search"), None);
    }

    #[test]
    fn csv_kinds_by_header() {
        assert_eq!(csv_kind("date,model,output_tokens"), Kind::Canonical);
        assert_eq!(
            csv_kind(
                "usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache"
            ),
            Kind::ConsoleUsage
        );
        assert_eq!(
            csv_kind(
                "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd"
            ),
            Kind::ConsoleCost
        );
    }
}
