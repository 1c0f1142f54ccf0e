//! One file read as what [`super::detect`] found it to be: usage (a lazy frame to scan) or billed
//! costs.

use std::path::Path;

use crate::anthropic;
use crate::anthropic::analytics;
use crate::config::AllocationRule;
use crate::error::{Error, Result};

use super::detect::Format;
use super::source::{Source, open};
use super::sources::admin_api::{analytics_usage_frame, usage_report_frame};
use super::sources::console::console_cost_rows;

/// Billed costs read from a file.
pub(crate) struct Costs {
    pub(crate) records: Vec<anthropic::CostRecord>,
    /// What the file is, for the data notes.
    pub(crate) label: &'static str,
    /// The day its figures stood, when it says (Analytics API pages).
    pub(crate) snapshot: Option<chrono::NaiveDate>,
}

/// A file read as usage (to scan) or as billed costs.
pub(crate) enum Input {
    Usage(Box<Source>),
    Costs(Costs),
}

/// Reads a file as `kind`; `page` is the parsed JSON of a .json file; `rules` are the allocation
/// rules (those on the actor apply to Analytics API pages as they are read).
pub(crate) fn read_input(
    path: &Path,
    kind: anthropic::Kind,
    page: Option<serde_json::Value>,
    rules: &[AllocationRule],
) -> Result<Input> {
    let needs = |what: &str| {
        Error::data(
            path,
            None,
            None,
            format!(
                "is read as {what} (--data-format), which needs a .{} file",
                if what.contains("page") { "json" } else { "csv" }
            ),
        )
    };
    let csv = Format::of(path) == Some(Format::Csv);
    let usage = |s: Source| Input::Usage(Box::new(s));
    let costs = |records, label| {
        Input::Costs(Costs {
            records,
            label,
            snapshot: None,
        })
    };
    match kind {
        anthropic::Kind::CostReport => {
            let page = page.ok_or_else(|| needs("cost-report pages"))?;
            Ok(costs(
                anthropic::cost_report_rows(path, &page)?,
                "cost report",
            ))
        }
        anthropic::Kind::AnalyticsCost => {
            let page = page.ok_or_else(|| needs("analytics cost pages"))?;
            Ok(Input::Costs(Costs {
                records: analytics::cost_rows(path, &page)?,
                label: "analytics cost",
                snapshot: analytics::meta(&page).snapshot,
            }))
        }
        anthropic::Kind::AnalyticsUsage => {
            let page = page.ok_or_else(|| needs("analytics usage pages"))?;
            open(path, kind, Some(analytics_usage_frame(path, &page, rules)?)).map(usage)
        }
        anthropic::Kind::ConsoleCost if csv => Ok(costs(console_cost_rows(path)?, "console cost")),
        anthropic::Kind::ConsoleCost => Err(needs("a Console cost export")),
        anthropic::Kind::UsageReport => {
            let page = page.ok_or_else(|| needs("usage-report pages"))?;
            open(path, kind, Some(usage_report_frame(path, &page)?)).map(usage)
        }
        anthropic::Kind::ConsoleUsage if csv => open(path, kind, None).map(usage),
        anthropic::Kind::ConsoleUsage => Err(needs("a Console usage export")),
        anthropic::Kind::Canonical => open(path, kind, None).map(usage),
    }
}
