//! The Console's cost export: billed cost per day, model and token type, in dollars.

use std::path::Path;

use chrono::NaiveDate;

use crate::anthropic;
use crate::error::{Error, Result};

use crate::data::detect::Format;
use crate::data::source::{polars_err, scan};
use crate::data::text_scan;

/// A Console cost export: one row per day x model x token type, `cost_usd` in dollars, models by
/// display name. Small enough to read whole and check row by row.
pub(crate) fn console_cost_rows(path: &Path) -> Result<Vec<anthropic::CostRecord>> {
    text_scan::check(path, text_scan::Kind::Csv)?;
    let df = scan(path, Format::Csv)?
        .collect()
        .map_err(|e| polars_err(path, e))?;
    crate::data::repeats::check_repeated_lines(path, &df, &["cost_usd", "list_price_usd"])?;
    let col_text = |name: &str| -> Vec<Option<String>> {
        df.column(name).map_or_else(
            |_| vec![None; df.height()],
            |c| crate::data::repeats::texts(c, df.height()),
        )
    };
    let (dates, models, workspaces, tiers, tokens, costs, kinds) = (
        col_text("usage_date_utc"),
        col_text("model"),
        col_text("workspace"),
        col_text("usage_type"),
        col_text("token_type"),
        col_text("cost_usd"),
        col_text("cost_type"),
    );
    // A row's other dimensions: the export can be downloaded per API key, and splits a day's
    // cost by context window, region and speed.
    let others: Vec<(&str, Vec<Option<String>>)> =
        ["api_key", "context_window", "inference_geo", "speed"]
            .into_iter()
            .map(|c| (c, col_text(c)))
            .collect();
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let row = i as u64 + 1;
        let bad = |column: &str, msg: String| {
            Error::data(path, Some(row), Some(column), msg).with_line(Format::Csv.line_of_row(row))
        };
        let raw_day = dates[i].clone().unwrap_or_default();
        let day = NaiveDate::parse_from_str(raw_day.get(..10).unwrap_or(&raw_day), "%Y-%m-%d")
            .map_err(|_| {
                bad(
                    "usage_date_utc",
                    format!("`{raw_day}` is not a date; the export gives YYYY-MM-DD"),
                )
            })?;
        let raw_cost = costs[i].clone().unwrap_or_default();
        let usd: f64 = raw_cost.trim().parse().map_err(|_| {
            bad(
                "cost_usd",
                format!("`{raw_cost}` is not a number; cost_usd is in US dollars, e.g. 12.34"),
            )
        })?;
        let credit = anthropic::is_credit(kinds[i].as_deref(), None);
        if let Some(why) = anthropic::amount_problem(usd, credit) {
            return Err(bad("cost_usd", format!("`{raw_cost}` {why}")));
        }
        let model = models[i].as_deref().map(|m| {
            anthropic::model_from_display_name(m).unwrap_or_else(|| m.to_ascii_lowercase())
        });
        out.push(anthropic::CostRecord {
            day,
            workspace: workspaces[i].clone(),
            model,
            cost_type: kinds[i].clone(),
            token_type: tokens[i].clone(),
            service_tier: tiers[i].clone(),
            description: None,
            usd,
            list_usd: None,
            cents: None,
            credit,
            detail: others
                .iter()
                .filter_map(|(c, v)| v[i].as_ref().map(|x| format!("{c}={x}")))
                .collect::<Vec<_>>()
                .join(";"),
        });
    }
    Ok(out)
}
