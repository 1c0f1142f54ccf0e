//! The Usage and Cost Analytics API (`/v1/organizations/analytics/usage` and `/cost`, beta
//! `analytics-usage-cost-2026-08-24`): its saved pages read into the same rows as the legacy
//! reports.
//!
//! A page is `{data, has_more, next_page, ...}` with flat rows `{starting_at, ending_at, group,
//! usage}` or `{..., cost}`. Much of the wire format is not yet confirmed against a live response,
//! so every `group` field is optional, unknown fields and enum values are accepted (and named in the
//! data notes), `requests` may be null, `actor` may be an ID or an object, and amounts are decimal
//! strings in cents, parsed exactly (as decimals, never through a binary float) before they become
//! dollars.

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;

use super::{CostRecord, Kind, ReportRow, count, text};
use crate::error::{Error, Result};

/// The beta header govreview sends: the endpoints' own (`analytics-usage-cost-2026-08-24`), and
/// fast mode's, which grouping by `speed` needs.
pub const BETAS: &str = "analytics-usage-cost-2026-08-24,fast-mode-2026-02-01";
/// The usage endpoint.
pub const USAGE_PATH: &str = "/v1/organizations/analytics/usage";
/// The cost endpoint.
pub const COST_PATH: &str = "/v1/organizations/analytics/cost";
/// The API serves nothing before this day.
pub const FIRST_SERVED_DAY: (i32, u32, u32) = (2026, 1, 1);
/// The API serves at most this many days back.
pub const WINDOW_DAYS: i64 = 365;
/// Anthropic may revise a day's figures for this many days.
pub const REVISION_DAYS: i64 = 30;

/// The top-level key govreview adds to the pages it saves: when and for what range they were
/// fetched (the API's response does not say what it was asked).
pub const SAVED_BY: &str = "govreview";

/// Keys of a row.
const ROW_FIELDS: [&str; 5] = ["starting_at", "ending_at", "group", "usage", "cost"];
/// Keys of `group`: the 19 usage dimensions and the cost endpoint's two.
pub const GROUP_FIELDS: [&str; 21] = [
    "actor",
    "actor_type",
    "agent_id",
    "api_key_id",
    "claude_tag_category",
    "claude_tag_user_id",
    "context_window",
    "deployment_id",
    "environment_id",
    "inference_geo",
    "model",
    "product",
    "rbac_group_id",
    "service_tier",
    "session_id",
    "slack_channel_id",
    "speed",
    "user_profile_id",
    "workspace_id",
    "cost_type",
    "token_type",
];
/// Keys of `usage`.
const USAGE_FIELDS: [&str; 7] = [
    "cache_creation",
    "cache_read_input_tokens",
    "output_tokens",
    "requests",
    "server_tool_use",
    "total_tokens",
    "uncached_input_tokens",
];
/// Keys of `cost`.
const COST_FIELDS: [&str; 4] = ["amount", "list_amount", "currency", "requests"];

fn rows(page: &Value) -> impl Iterator<Item = (usize, &Value)> {
    page.get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

/// The fields of a legacy cost report's result that a [`super::CostRecord`] names.
pub(crate) const LEGACY_COST_NAMED: [&str; 8] = [
    "workspace_id",
    "model",
    "cost_type",
    "token_type",
    "service_tier",
    "description",
    "amount",
    "currency",
];

/// The dimensions of a cost row beyond those a [`super::CostRecord`] names, as one text (`k=v;...`,
/// sorted), from a JSON object of fields.
pub(crate) fn cost_detail(fields: &Value, named: &[&str]) -> String {
    let Some(o) = fields.as_object() else {
        return String::new();
    };
    let mut parts: Vec<String> = o
        .iter()
        .filter(|(k, v)| !named.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.as_str().map_or_else(|| v.to_string(), str::to_owned)
            )
        })
        .collect();
    parts.sort();
    parts.join(";")
}

/// A page without rows that govreview fetch saved from the Analytics API: its record says which
/// report it answers (and the days it covers, without usage).
pub(crate) fn saved_without_rows(page: &Value) -> Option<Kind> {
    if !page.get("data")?.as_array()?.is_empty() {
        return None;
    }
    Some(
        match page.get(SAVED_BY)?.get("report").and_then(Value::as_str) {
            Some("cost") => Kind::AnalyticsCost,
            _ => Kind::AnalyticsUsage,
        },
    )
}

/// Whether the page's rows are usage or cost (all of one kind).
pub(crate) fn kind(path: &Path, data: &[Value]) -> Result<Kind> {
    let usage = data.iter().position(|r| r.get("usage").is_some());
    let cost = data.iter().position(|r| r.get("cost").is_some());
    match (usage, cost) {
        (Some(u), Some(c)) => Err(Error::data(
            path,
            None,
            Some(&format!("data[{}]", u.max(c))),
            format!(
                "mixes usage rows (data[{u}] has `usage`) with cost rows (data[{c}] has `cost`); keep the usage and cost endpoints' pages in their own files"
            ),
        )),
        (Some(_), None) => Ok(Kind::AnalyticsUsage),
        (None, Some(_)) => Ok(Kind::AnalyticsCost),
        (None, None) => Err(Error::data(
            path,
            None,
            Some("data[0]"),
            "has a `group` but neither `usage` nor `cost`; is it a page of another endpoint?",
        )),
    }
}

/// What a saved page says about itself: the day its data stood (govreview's fetch date, else the
/// API's `data_refreshed_at`) and the days it was asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    /// The day the figures were read: later revisions are not in it.
    pub snapshot: Option<NaiveDate>,
    /// The days the query covered (first and last, inclusive), when the page records it.
    pub range: Option<(NaiveDate, NaiveDate)>,
}

fn day_of(s: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc).date_naive())
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

/// The page's own record of when and for what it was fetched.
pub fn meta(page: &Value) -> PageMeta {
    let saved = page.get(SAVED_BY);
    let at = |k: &str| saved.and_then(|s| s.get(k)).and_then(Value::as_str);
    let snapshot = at("fetched_on").and_then(day_of).or_else(|| {
        page.get("data_refreshed_at")
            .and_then(Value::as_str)
            .and_then(day_of)
    });
    let range = match (at("starting_at"), at("ending_at")) {
        (Some(s), Some(e)) => match (day_of(s), day_of(e)) {
            (Some(s), Some(e)) if s < e => e.pred_opt().map(|last| (s, last)),
            _ => None,
        },
        _ => None,
    };
    PageMeta { snapshot, range }
}

/// An actor as text: a tagged ID as given; of an object, its ID field (the shape is not yet
/// confirmed: `id`, `user_id`, `service_account_id`, `api_key_id` or an e-mail address); else its
/// compact JSON.
pub(crate) fn actor_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => [
            "id",
            "user_id",
            "service_account_id",
            "api_key_id",
            "email_address",
            "email",
        ]
        .iter()
        .find_map(|k| o.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
        .or_else(|| Some(Value::Object(o.clone()).to_string())),
        other => Some(other.to_string()),
    }
}

/// The actor's type: `actor_type` as given, else the actor object's `type` (`user_actor` reads as
/// `user`), else from the ID's tag (`user_`, `svac_`, `apikey_`).
pub(crate) fn actor_type(group: &Value, actor: Option<&str>) -> Option<String> {
    let given = match group.get("actor_type") {
        Some(Value::String(s)) => Some(s.trim_end_matches("_actor").to_owned()),
        Some(Value::Object(o)) => o.get("type").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    given
        .or_else(|| {
            group
                .get("actor")
                .and_then(|a| a.get("type"))
                .and_then(Value::as_str)
                .map(|t| t.trim_end_matches("_actor").to_owned())
        })
        .or_else(|| {
            let a = actor?;
            [
                ("user_", "user"),
                ("svac_", "service_account"),
                ("apikey_", "api_key"),
            ]
            .iter()
            .find(|(tag, _)| a.starts_with(tag))
            .map(|(_, t)| (*t).to_owned())
        })
}

/// A row's start, required, and a check that it covers at most a day (a page fetched without
/// daily buckets has rows over the whole range, which cannot be split into days or months).
fn start_of(path: &Path, r: &Value, at: &str) -> Result<(String, NaiveDate)> {
    let start = r.get("starting_at").and_then(Value::as_str);
    let t = start
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .ok_or_else(|| {
            Error::data(
                path,
                None,
                Some(&format!("{at}.starting_at")),
                match start {
                    None => "is missing; every row needs the RFC 3339 start of its time bucket"
                        .to_owned(),
                    Some(s) => format!("`{s}` is not an RFC 3339 timestamp"),
                },
            )
        })?;
    if let Some(end) = r
        .get("ending_at")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        && end - t > chrono::Duration::days(1)
    {
        return Err(Error::data(
            path,
            None,
            Some(&format!("{at}.ending_at")),
            "is more than a day after starting_at: the page was fetched without daily buckets, so its rows cannot be split into days. Fetch it with time_bucket_width=1d (govreview fetch does)",
        ));
    }
    Ok((
        start.unwrap_or_default().to_owned(),
        t.with_timezone(&Utc).date_naive(),
    ))
}

fn group(r: &Value) -> &Value {
    static EMPTY: Value = Value::Null;
    r.get("group").unwrap_or(&EMPTY)
}

/// The rows of a usage page.
pub fn usage_rows(path: &Path, page: &Value) -> Result<Vec<ReportRow>> {
    let mut out = Vec::new();
    for (i, r) in rows(page) {
        let at = format!("data[{i}]");
        let (start, _) = start_of(path, r, &at)?;
        let g = group(r);
        let model = text(g, "model").ok_or_else(|| {
            Error::data(
                path,
                None,
                Some(&format!("{at}.group.model")),
                "is missing or null: the page was fetched without group_by[]=model, and usage cannot be priced without the model. Fetch it again grouped by model (govreview fetch does)",
            )
        })?;
        let u = r.get("usage").filter(|u| u.is_object()).ok_or_else(|| {
            Error::data(
                path,
                None,
                Some(&format!("{at}.usage")),
                "is missing or not an object of token counts",
            )
        })?;
        let at_u = format!("{at}.usage");
        let requests = match u.get("requests") {
            None | Some(Value::Null) => None,
            Some(_) => Some(count(u, "requests", &at_u, path)?),
        };
        let actor = actor_text(g.get("actor"));
        out.push(ReportRow {
            starting_at: start,
            model,
            service_tier: text(g, "service_tier"),
            workspace_id: text(g, "workspace_id"),
            api_key_id: text(g, "api_key_id"),
            uncached_input: super::token_count(u, "uncached_input_tokens", &at_u, path)?,
            cache_write_5m: super::token_count(
                u,
                "cache_creation.ephemeral_5m_input_tokens",
                &at_u,
                path,
            )?,
            cache_write_1h: super::token_count(
                u,
                "cache_creation.ephemeral_1h_input_tokens",
                &at_u,
                path,
            )?,
            cache_read: super::token_count(u, "cache_read_input_tokens", &at_u, path)?,
            output: super::token_count(u, "output_tokens", &at_u, path)?,
            web_search_requests: count(u, "server_tool_use.web_search_requests", &at_u, path)?,
            requests,
            actor_type: actor_type(g, actor.as_deref()),
            actor,
            variant: super::variant_of(g),
        });
    }
    Ok(out)
}

/// An amount in cents (a decimal string such as `"41280.000000"`, or a JSON number), exactly.
pub fn cents(v: &Value) -> Option<Decimal> {
    let s = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let digits = s.strip_prefix('-').unwrap_or(&s);
    let plain = !digits.is_empty()
        && digits != "."
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1;
    if !plain {
        return None;
    }
    Decimal::from_str(&s).ok()
}

/// A sum of amounts: exact decimal cents where the source gave them, dollars otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Amount {
    cents: Decimal,
    dollars: f64,
}

impl Amount {
    /// Adds one amount: its exact cents when known, else its dollars. An error when the sum
    /// would not fit (never a panic): amounts are bounded where they are read, so only absurdly
    /// many rows can get here.
    pub fn add(&mut self, cents: Option<Decimal>, dollars: f64) -> Result<()> {
        match cents {
            Some(c) => {
                self.cents = self.cents.checked_add(c).ok_or_else(|| {
                    Error::Input(
                        "the billed amounts add up to more than govreview can count; check that the cost files hold this organisation's costs".into(),
                    )
                })?;
            }
            None => self.dollars += dollars,
        }
        Ok(())
    }

    /// The sum in US dollars (the exact cents converted once).
    pub fn usd(&self) -> f64 {
        cents_to_dollars(self.cents) + self.dollars
    }
}

/// Cents as US dollars: divided exactly, then the one conversion to the pipeline's `f64`.
pub fn cents_to_dollars(c: Decimal) -> f64 {
    (c / Decimal::ONE_HUNDRED).to_f64().unwrap_or(f64::NAN)
}

/// The records of a cost page: the post-discount `amount` is the billed spend, `list_amount` the
/// same at list price.
pub fn cost_rows(path: &Path, page: &Value) -> Result<Vec<CostRecord>> {
    let mut out = Vec::new();
    for (i, r) in rows(page) {
        let at = format!("data[{i}]");
        let (_, day) = start_of(path, r, &at)?;
        let g = group(r);
        let c = r.get("cost").filter(|c| c.is_object()).ok_or_else(|| {
            Error::data(
                path,
                None,
                Some(&format!("{at}.cost")),
                "is missing or not an object with `amount`",
            )
        })?;
        let amount = |key: &str, required: bool| -> Result<Option<Decimal>> {
            match c.get(key) {
                None | Some(Value::Null) if !required => Ok(None),
                v => cents(v.unwrap_or(&Value::Null)).map(Some).ok_or_else(|| {
                    Error::data(
                        path,
                        None,
                        Some(&format!("{at}.cost.{key}")),
                        match v {
                            None | Some(Value::Null) => "is missing; every cost row needs its amount in cents, as a decimal string such as \"41280.000000\" ($412.80)".to_owned(),
                            Some(v) => format!(
                                "{v} is not an amount; the API gives cents as a decimal string such as \"41280.000000\" ($412.80)"
                            ),
                        },
                    )
                }),
            }
        };
        let net = amount("amount", true)?.unwrap_or_default();
        let list = amount("list_amount", false)?;
        if let Some(cur) = text(c, "currency")
            && cur != "USD"
        {
            return Err(Error::data(
                path,
                None,
                Some(&format!("{at}.cost.currency")),
                format!("`{cur}` is not USD; govreview reports in US dollars"),
            ));
        }
        let cost_type = text(g, "cost_type");
        let credit = super::is_credit(cost_type.as_deref(), None);
        for (key, v) in [("amount", Some(net)), ("list_amount", list)] {
            let Some(v) = v else { continue };
            // Bounded as it is read: 28-digit decimals would not fit their sum.
            if let Some(why) = super::amount_problem(cents_to_dollars(v), credit) {
                return Err(Error::data(
                    path,
                    None,
                    Some(&format!("{at}.cost.{key}")),
                    format!("\"{v}\" cents {why}"),
                ));
            }
        }
        out.push(CostRecord {
            day,
            workspace: text(g, "workspace_id"),
            model: text(g, "model"),
            cost_type,
            token_type: text(g, "token_type"),
            service_tier: text(g, "service_tier"),
            description: None,
            usd: cents_to_dollars(net),
            list_usd: list.map(cents_to_dollars),
            cents: Some((net, list)),
            credit,
            detail: cost_detail(
                g,
                &[
                    "workspace_id",
                    "model",
                    "cost_type",
                    "token_type",
                    "service_tier",
                ],
            ),
        });
    }
    Ok(out)
}

/// Fields of a page's rows that are not documented (new ones), sorted, as `group.x`, `usage.x`,
/// `cost.x` or the row key.
pub fn unknown_fields(page: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (_, r) in rows(page) {
        let Some(o) = r.as_object() else { continue };
        for (k, v) in o {
            let known: &[&str] = match k.as_str() {
                "group" => &GROUP_FIELDS,
                "usage" => &USAGE_FIELDS,
                "cost" => &COST_FIELDS,
                _ => {
                    if !ROW_FIELDS.contains(&k.as_str()) {
                        out.push(k.clone());
                    }
                    continue;
                }
            };
            if let Some(inner) = v.as_object() {
                out.extend(
                    inner
                        .keys()
                        .filter(|f| !known.contains(&f.as_str()))
                        .map(|f| format!("{k}.{f}")),
                );
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The days a usage page covers: the range it was fetched for when it records one (a day without
/// rows in it had no usage), else the days of its rows.
pub fn covered_days(page: &Value) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = match meta(page).range {
        Some((first, last)) => first.iter_days().take_while(|d| *d <= last).collect(),
        None => rows(page)
            .filter_map(|(_, r)| r.get("starting_at").and_then(Value::as_str))
            .filter_map(day_of)
            .collect(),
    };
    days.sort();
    days.dedup();
    days
}

/// The first day on which a month's figures are final: 30 days after it ended.
pub fn final_from(month: crate::month::Month) -> NaiveDate {
    month.last_day() + chrono::Duration::days(REVISION_DAYS)
}

/// The first day the API serves on `today`: the later of 2026-01-01 and 365 days back.
pub fn first_served(today: NaiveDate) -> NaiveDate {
    let (y, m, d) = FIRST_SERVED_DAY;
    let floor = NaiveDate::from_ymd_opt(y, m, d).expect("a valid date");
    floor.max(today - chrono::Duration::days(WINDOW_DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anthropic::json_kind;

    const USAGE: &str = r#"{
      "data": [
        {
          "starting_at": "2026-09-03T00:00:00Z",
          "ending_at": "2026-09-04T00:00:00Z",
          "group": {
            "product": null, "model": "claude-sonnet-4-5-20250929", "context_window": null,
            "inference_geo": null, "speed": null, "slack_channel_id": null,
            "service_tier": "standard", "workspace_id": "wrkspc_01", "api_key_id": "apikey_01",
            "actor": "svac_01support", "actor_type": null, "carbon_region": "eu"
          },
          "usage": {
            "uncached_input_tokens": 1500,
            "cache_creation": { "ephemeral_1h_input_tokens": 1000, "ephemeral_5m_input_tokens": 500 },
            "cache_read_input_tokens": 200, "output_tokens": 500, "requests": null,
            "server_tool_use": { "web_search_requests": 10 }, "total_tokens": 3700
          }
        },
        {
          "starting_at": "2026-09-03T00:00:00Z",
          "ending_at": "2026-09-04T00:00:00Z",
          "group": { "model": "claude-opus-4-5", "actor": { "type": "user_actor", "user_id": "user_01ann" } },
          "usage": { "output_tokens": 7, "requests": 3 }
        }
      ],
      "has_more": false,
      "next_page": null,
      "data_refreshed_at": "2026-09-20T04:00:00Z"
    }"#;

    #[test]
    fn a_null_token_count_is_an_error_not_a_zero() {
        let p = Path::new("usage-001.json");
        let nulled = USAGE.replace("\"output_tokens\": 500", "\"output_tokens\": null");
        assert_ne!(nulled, USAGE);
        let (_, v) = json_kind(p, &nulled).unwrap();
        let e = usage_rows(p, &v).unwrap_err().to_string();
        assert!(
            e.contains("usage-001.json")
                && e.contains("data[0].usage.output_tokens")
                && e.contains("is null"),
            "{e}"
        );
        // The object of cache writes sent as null hides two counts.
        let nulled = USAGE.replacen(
            "\"cache_creation\": { \"ephemeral_1h_input_tokens\": 1000, \"ephemeral_5m_input_tokens\": 500 }",
            "\"cache_creation\": null",
            1,
        );
        assert_ne!(nulled, USAGE);
        let (_, v) = json_kind(p, &nulled).unwrap();
        let e = usage_rows(p, &v).unwrap_err().to_string();
        assert!(
            e.contains("data[0].usage.cache_creation`") && e.contains("is null"),
            "{e}"
        );
    }

    #[test]
    fn usage_rows_from_flat_rows_with_optional_groups() {
        let p = Path::new("usage-001.json");
        let (kind, v) = json_kind(p, USAGE).unwrap();
        assert_eq!(kind, Kind::AnalyticsUsage);
        let rows = usage_rows(p, &v).unwrap();
        assert_eq!(rows.len(), 2);
        let r = &rows[0];
        assert_eq!(
            (
                r.uncached_input,
                r.cache_write_5m,
                r.cache_write_1h,
                r.cache_read,
                r.output,
                r.web_search_requests
            ),
            (1500, 500, 1000, 200, 500, 10)
        );
        assert_eq!(r.requests, None, "null requests stay unknown, not 0");
        assert_eq!(r.actor.as_deref(), Some("svac_01support"));
        assert_eq!(r.actor_type.as_deref(), Some("service_account"));
        let o = &rows[1];
        assert_eq!(o.requests, Some(3));
        assert_eq!(o.actor.as_deref(), Some("user_01ann"));
        assert_eq!(o.actor_type.as_deref(), Some("user"));
        assert_eq!(
            (o.workspace_id.as_deref(), o.service_tier.as_deref()),
            (None, None)
        );
        assert_eq!(unknown_fields(&v), ["group.carbon_region"]);
        assert_eq!(
            meta(&v).snapshot,
            NaiveDate::from_ymd_opt(2026, 9, 20),
            "data_refreshed_at when govreview did not fetch it"
        );
        assert_eq!(
            covered_days(&v),
            [NaiveDate::from_ymd_opt(2026, 9, 3).unwrap()]
        );
    }

    #[test]
    fn cost_amounts_are_exact_cents_at_net_and_list() {
        assert_eq!(
            cents(&Value::from("41280.000000")),
            Decimal::from_str("41280").ok()
        );
        assert_eq!(
            cents_to_dollars(cents(&Value::from("41280.000000")).unwrap()),
            412.8
        );
        // 0.1 + 0.2 cents through f64 is 0.30000000000000004; as decimals it is exact.
        let sum = cents(&Value::from("0.1")).unwrap() + cents(&Value::from("0.2")).unwrap();
        assert_eq!(sum, Decimal::from_str("0.3").unwrap());
        for bad in ["", "12,5", "1e3", "abc", ".", "NaN"] {
            assert_eq!(cents(&Value::from(bad)), None, "{bad}");
        }
        let page = r#"{"data":[
            {"starting_at":"2026-10-01T00:00:00Z","ending_at":"2026-10-02T00:00:00Z",
             "group":{"model":"claude-opus-4-5","workspace_id":"wrkspc_01","service_tier":"standard","cost_type":"tokens","token_type":null},
             "cost":{"amount":"12345.678900","list_amount":"15432.098625","currency":"USD","requests":null}}],
            "has_more":false,"next_page":null}"#;
        let p = Path::new("cost-001.json");
        let (k, v) = json_kind(p, page).unwrap();
        assert_eq!(k, Kind::AnalyticsCost);
        let rows = cost_rows(p, &v).unwrap();
        assert_eq!(rows[0].usd, 123.456789);
        assert_eq!(rows[0].list_usd, Some(154.32098625));
        assert_eq!(rows[0].model.as_deref(), Some("claude-opus-4-5"));
        let bad = page.replace("\"12345.678900\"", "\"about 12k\"");
        let (_, v) = json_kind(p, &bad).unwrap();
        let e = cost_rows(p, &v).unwrap_err().to_string();
        assert!(
            e.contains("data[0].cost.amount") && e.contains("\"about 12k\" is not an amount"),
            "{e}"
        );
    }

    #[test]
    fn bad_pages_name_the_field() {
        let p = Path::new("p.json");
        let nostart = r#"{"data":[{"group":{"model":"m"},"usage":{"output_tokens":1}}]}"#;
        let (_, v) = json_kind(p, nostart).unwrap();
        let e = usage_rows(p, &v).unwrap_err().to_string();
        assert!(
            e.contains("data[0].starting_at") && e.contains("is missing"),
            "{e}"
        );
        let mixed = r#"{"data":[{"starting_at":"2026-10-01T00:00:00Z","results":[]},
            {"starting_at":"2026-10-01T00:00:00Z","group":{"model":"m"},"usage":{}}]}"#;
        let e = json_kind(p, mixed).unwrap_err().to_string();
        assert!(e.contains("mixes the legacy report shape"), "{e}");
        let both = r#"{"data":[{"starting_at":"2026-10-01T00:00:00Z","group":{},"usage":{}},
            {"starting_at":"2026-10-01T00:00:00Z","group":{},"cost":{"amount":"1"}}]}"#;
        let e = json_kind(p, both).unwrap_err().to_string();
        assert!(e.contains("mixes usage rows"), "{e}");
        let whole = r#"{"data":[{"starting_at":"2026-10-01T00:00:00Z","ending_at":"2026-11-01T00:00:00Z",
            "group":{"model":"m"},"usage":{"output_tokens":1}}]}"#;
        let (_, v) = json_kind(p, whole).unwrap();
        let e = usage_rows(p, &v).unwrap_err().to_string();
        assert!(e.contains("time_bucket_width=1d"), "{e}");
    }

    #[test]
    fn the_served_window() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(first_served(d("2026-11-26")), d("2026-01-01"));
        assert_eq!(first_served(d("2027-06-30")), d("2026-06-30"));
    }
}
