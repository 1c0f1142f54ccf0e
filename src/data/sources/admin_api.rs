//! Anthropic API pages (the legacy usage report and the Analytics API's usage endpoint) as a frame
//! in the canonical columns.

use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::anthropic::{self, ReportRow, analytics};
use crate::config::{AllocationRule, RuleKeys, allocate_keys};
use crate::data::detect::{ANALYTICS_USAGE, USAGE_REPORT};
use crate::error::{Error, Result};

/// A usage page mapped onto the canonical columns, with what the rows alone do not say.
pub(crate) struct ReportFrame {
    pub(crate) frame: LazyFrame,
    /// What the page is, for the data notes.
    pub(crate) label: &'static str,
    /// Days it covers, days without usage included.
    pub(crate) covered: Vec<NaiveDate>,
    /// Some rows carry no service tier.
    pub(crate) tier_missing: bool,
    /// Undocumented fields of its rows.
    pub(crate) unknown_fields: Vec<String>,
    /// The day its figures stood (Analytics API pages), for the provisional-month note.
    pub(crate) snapshot: Option<NaiveDate>,
}

/// A legacy Admin API usage-report page as a frame in the canonical column names.
pub(crate) fn usage_report_frame(path: &Path, page: &serde_json::Value) -> Result<ReportFrame> {
    let rows = anthropic::usage_report_rows(path, page)?;
    Ok(ReportFrame {
        frame: frame_of(&rows, &[])?,
        label: USAGE_REPORT,
        covered: anthropic::bucket_days(page),
        tier_missing: rows.iter().any(|r| r.service_tier.is_none()),
        unknown_fields: anthropic::unknown_usage_fields(page),
        snapshot: None,
    })
}

/// An Analytics API usage page as a frame in the canonical column names. The cube has no actor
/// column, so the allocation rules that match on the actor are applied here, row by row, in the
/// same first-match order as everywhere else (`rules` is the whole list).
pub(crate) fn analytics_usage_frame(
    path: &Path,
    page: &serde_json::Value,
    rules: &[AllocationRule],
) -> Result<ReportFrame> {
    let rows = analytics::usage_rows(path, page)?;
    Ok(ReportFrame {
        frame: frame_of(&rows, rules)?,
        label: ANALYTICS_USAGE,
        covered: analytics::covered_days(page),
        tier_missing: rows.iter().any(|r| r.service_tier.is_none()),
        unknown_fields: analytics::unknown_fields(page),
        snapshot: analytics::meta(page).snapshot,
    })
}

fn frame_of(rows: &[ReportRow], rules: &[AllocationRule]) -> Result<LazyFrame> {
    let texts = |f: fn(&ReportRow) -> Option<String>| -> Vec<Option<String>> {
        rows.iter().map(f).collect()
    };
    let ints = |f: fn(&ReportRow) -> i64| -> Vec<i64> { rows.iter().map(f).collect() };
    let mut df = df!(
        "starting_at" => texts(|r| Some(r.starting_at.clone())),
        "model" => texts(|r| Some(r.model.clone())),
        "service_tier" => texts(|r| r.service_tier.clone()),
        "workspace_id" => texts(|r| r.workspace_id.clone()),
        "api_key_id" => texts(|r| r.api_key_id.clone()),
        "uncached_input_tokens" => ints(|r| r.uncached_input),
        "cache_creation_5m_input_tokens" => ints(|r| r.cache_write_5m),
        "cache_creation_1h_input_tokens" => ints(|r| r.cache_write_1h),
        "cache_read_input_tokens" => ints(|r| r.cache_read),
        "output_tokens" => ints(|r| r.output),
        "web_search_requests" => ints(|r| r.web_search_requests),
    )
    .map_err(|e| Error::Internal(e.to_string()))?;
    let internal = |e: PolarsError| Error::Internal(e.to_string());
    // The price dimensions, when the report was grouped by them.
    type Dim = (&'static str, fn(&ReportRow) -> Option<String>);
    let dims: [Dim; 4] = [
        ("inference_geo", |r| r.variant.geo.clone()),
        ("speed", |r| r.variant.speed.clone()),
        ("context_window", |r| r.variant.context_window.clone()),
        ("prompt_band", |r| r.variant.prompt_band.clone()),
    ];
    for (name, f) in dims {
        if rows.iter().any(|r| f(r).is_some()) {
            df.with_column(Column::new(name.into(), texts(f)))
                .map_err(internal)?;
        }
    }
    if rows.iter().any(|r| r.requests.is_some()) {
        let requests: Vec<Option<i64>> = rows.iter().map(|r| r.requests).collect();
        df.with_column(Column::new("requests".into(), requests))
            .map_err(internal)?;
    }
    if rows
        .iter()
        .any(|r| r.actor.is_some() || r.actor_type.is_some())
        && rules.iter().any(AllocationRule::by_actor)
    {
        let (teams, apps): (Vec<Option<String>>, Vec<Option<String>>) = rows
            .iter()
            .map(|r| {
                let keys = RuleKeys {
                    workspace_id: r.workspace_id.as_deref(),
                    api_key_id: r.api_key_id.as_deref(),
                    model: &r.model,
                    actor: r.actor.as_deref(),
                    actor_type: r.actor_type.as_deref(),
                };
                allocate_keys(None, None, &keys, rules)
            })
            .unzip();
        df.with_column(Column::new("team".into(), teams))
            .map_err(internal)?;
        df.with_column(Column::new("app".into(), apps))
            .map_err(internal)?;
    }
    Ok(df.lazy())
}
