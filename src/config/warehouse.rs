//! `[warehouse]`: how a table of request logs in a warehouse maps onto the canonical columns, for
//! `govreview sql` (the daily cube computed where the data lives).
//!
//! ```toml
//! [warehouse]
//! table = "analytics.llm_usage"   # default for --table
//! time = "startTime"              # the column that says when
//! time_type = "timestamp_tz"      # date | timestamp (UTC wall clock) | timestamp_tz | epoch_millis
//! rows_are_requests = true        # one row per request: requests = the number of rows
//! [warehouse.columns]             # canonical name = the table's column
//! team = "team_id"
//! api_key_id = "api_key"
//! model = "model"
//! uncached_input_tokens = "prompt_tokens"
//! cache_read_input_tokens = "cache_read_input_tokens"
//! output_tokens = "completion_tokens"
//! requests = "requests"
//! cost_usd = "spend"
//! speed = "speed"                 # price dimensions, when the table has them
//! ```
//!
//! Without `[warehouse]` the table is taken to hold the canonical columns themselves (a `date`
//! column and every dimension, token count and `requests`).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::diag::{Locator, Problem};

/// The dimension columns a mapping can fill, in the order the cube query gives them.
pub use crate::cube::TEXT_KEYS as DIMENSIONS;
/// The price dimensions a mapping can fill (`inference_geo`, `speed`, `context_window`,
/// `prompt_band`): grouped by only when named, as the canonical default has none.
pub use crate::cube::VARIANT_KEYS as PRICE_DIMENSIONS;
/// Counts summed with a missing value as 0.
pub const COUNTS: [&str; 6] = [
    "uncached_input_tokens",
    "cache_creation_5m_input_tokens",
    "cache_creation_1h_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
    "web_search_requests",
];
/// Request counts: summed, and kept apart where rows lack them.
pub const REQUESTS: &str = "requests";
/// Billed cost in USD.
pub const COST: &str = "cost_usd";

/// What the time column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum TimeType {
    /// A date (the UTC day).
    Date,
    /// A timestamp without a zone that holds UTC wall-clock time.
    Timestamp,
    /// An instant (a timestamp with a zone, or Spark's and BigQuery's TIMESTAMP).
    TimestampTz,
    /// Milliseconds since 1970-01-01T00:00:00Z.
    EpochMillis,
}

impl TimeType {
    const NAMES: [(&'static str, TimeType); 4] = [
        ("date", TimeType::Date),
        ("timestamp", TimeType::Timestamp),
        ("timestamp_tz", TimeType::TimestampTz),
        ("epoch_millis", TimeType::EpochMillis),
    ];
}

/// The validated mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Warehouse {
    /// Default table for `govreview sql`.
    pub table: Option<String>,
    /// The time column.
    pub time: String,
    /// What it holds.
    pub time_type: TimeType,
    /// Canonical column -> the table's column, for the columns the table has.
    pub columns: BTreeMap<String, String>,
    /// One row is one request: `requests` counts rows.
    pub rows_are_requests: bool,
    /// Whether the mapping came from the configuration (false: the canonical default).
    pub configured: bool,
}

impl Default for Warehouse {
    fn default() -> Self {
        let mut columns: BTreeMap<String, String> = BTreeMap::new();
        for c in DIMENSIONS
            .iter()
            .chain(&COUNTS[..5])
            .chain(std::iter::once(&REQUESTS))
        {
            columns.insert((*c).to_owned(), (*c).to_owned());
        }
        Warehouse {
            table: None,
            time: "date".to_owned(),
            time_type: TimeType::Date,
            columns,
            rows_are_requests: false,
            configured: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWarehouse {
    table: Option<String>,
    time: Option<String>,
    time_type: Option<String>,
    #[serde(default)]
    rows_are_requests: bool,
    #[serde(default)]
    columns: BTreeMap<String, String>,
}

/// Why a name cannot be an identifier (None: it can). Quote characters and control characters
/// are refused outright rather than escaped: dialects escape them differently.
pub fn bad_identifier(name: &str) -> Option<&'static str> {
    if name.trim().is_empty() {
        Some("is blank")
    } else if name.contains(['"', '`']) {
        Some("contains a quote character (\" or `), which no column name needs")
    } else if name.chars().any(char::is_control) {
        Some("contains a control character (a line break or tab)")
    } else if name.chars().any(crate::fmt::is_bidi) {
        Some(
            "contains a bidirectional formatting character (such as U+202E), which makes the query read otherwise than it runs",
        )
    } else {
        None
    }
}

/// Validates `[warehouse]`.
pub(super) fn warehouse(
    raw: Option<RawWarehouse>,
    loc: &Locator,
    problems: &mut Vec<Problem>,
) -> Warehouse {
    let Some(raw) = raw else {
        return Warehouse::default();
    };
    let mut w = Warehouse {
        table: None,
        time: raw.time.unwrap_or_else(|| "date".to_owned()),
        time_type: TimeType::Date,
        columns: BTreeMap::new(),
        rows_are_requests: raw.rows_are_requests,
        configured: true,
    };
    if let Some(t) = raw.table {
        match t.split('.').find_map(bad_identifier) {
            Some(why) => problems.push(loc.problem(
                &["warehouse", "table"],
                format!("`{}`: a part of the name {why}", t.escape_debug()),
            )),
            None => w.table = Some(t),
        }
    }
    if let Some(why) = bad_identifier(&w.time) {
        problems.push(loc.problem(&["warehouse", "time"], why));
    }
    if let Some(t) = raw.time_type {
        match TimeType::NAMES.iter().find(|(n, _)| *n == t) {
            Some((_, k)) => w.time_type = *k,
            None => problems.push(loc.problem(
                &["warehouse", "time_type"],
                format!(
                    "`{}` is not a time type; give date, timestamp (a UTC wall clock without a zone), timestamp_tz (an instant) or epoch_millis",
                    t.escape_debug()
                ),
            )),
        }
    }
    let known: Vec<&str> = DIMENSIONS
        .iter()
        .chain(&PRICE_DIMENSIONS)
        .chain(&COUNTS)
        .chain([&REQUESTS, &COST])
        .copied()
        .collect();
    // Keys given, whether or not their column name is usable (a bad name is one problem, not
    // also a missing key).
    let given: Vec<String> = raw.columns.keys().cloned().collect();
    for (key, column) in raw.columns {
        if ["date", "starting_at", "time", "timestamp"].contains(&key.as_str()) {
            problems.push(loc.problem(
                &["warehouse", "columns", &key],
                "is not a column key: the time column is `time` under [warehouse] (with `time_type`), not under [warehouse.columns]",
            ));
            continue;
        }
        if !known.contains(&key.as_str()) {
            let near = known
                .iter()
                .min_by(|a, b| strsim::levenshtein(a, &key).cmp(&strsim::levenshtein(b, &key)))
                .copied()
                .unwrap_or_default();
            problems.push(loc.problem(
                &["warehouse", "columns", &key],
                format!(
                    "is not a canonical column (did you mean `{near}`?); the keys are {}",
                    known.join(", ")
                ),
            ));
            continue;
        }
        match bad_identifier(&column) {
            Some(why) => problems.push(loc.problem(&["warehouse", "columns", &key], why)),
            None => {
                w.columns.insert(key, column);
            }
        }
    }
    if w.rows_are_requests && w.columns.contains_key(REQUESTS) {
        problems.push(loc.problem(
            &["warehouse", "rows_are_requests"],
            "is true while [warehouse.columns] also names a requests column; keep one: rows_are_requests for one row per request, requests for a column of counts",
        ));
    }
    if !given.iter().any(|k| k == "model") {
        problems.push(loc.problem(
            &["warehouse", "columns"],
            "has no `model`: usage cannot be priced without the model; name the table's model column (model = \"...\")",
        ));
    }
    w
}
