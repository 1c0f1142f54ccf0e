//! Admin API usage-report pages as a frame in the canonical columns.

use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::anthropic;
use crate::error::{Error, Result};

/// An Admin API usage-report page mapped onto the canonical columns, with what the rows alone do
/// not say.
pub(crate) struct ReportFrame {
    pub(crate) frame: LazyFrame,
    /// Days of its buckets, empty ones included.
    pub(crate) covered: Vec<NaiveDate>,
    /// Some results carry no service tier.
    pub(crate) tier_missing: bool,
    /// Undocumented fields of its results.
    pub(crate) unknown_fields: Vec<String>,
}

/// An Admin API usage-report page as a frame in the canonical column names.
pub(crate) fn usage_report_frame(path: &Path, page: &serde_json::Value) -> Result<ReportFrame> {
    let rows = anthropic::usage_report_rows(path, page)?;
    let texts = |f: fn(&anthropic::ReportRow) -> Option<String>| -> Vec<Option<String>> {
        rows.iter().map(f).collect()
    };
    let ints = |f: fn(&anthropic::ReportRow) -> i64| -> Vec<i64> { rows.iter().map(f).collect() };
    let df = df!(
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
    Ok(ReportFrame {
        frame: df.lazy(),
        covered: anthropic::bucket_days(page),
        tier_missing: rows.iter().any(|r| r.service_tier.is_none()),
        unknown_fields: anthropic::unknown_usage_fields(page),
    })
}
