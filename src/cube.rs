//! The aggregated usage cube: month x file x dimensions x tier sums, in plain Rust.
//!
//! The data layer builds it in one pass over the raw rows; everything downstream works on it.

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use crate::month::Month;
use crate::pricing::{Tokens, Variant};

/// The text columns that, with file and month, key the cube (and that a warehouse mapping can
/// fill).
pub const TEXT_KEYS: [&str; 6] = [
    "team",
    "app",
    "workspace_id",
    "api_key_id",
    "model",
    "service_tier",
];

/// The columns that say how usage is priced beyond its model and tier (see
/// [`crate::pricing::Variant`]), when a file has them.
pub const VARIANT_KEYS: [&str; 4] = ["inference_geo", "speed", "context_window", "prompt_band"];

/// Sums of the usage rows that share one month, file and set of dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct CubeRow {
    /// Calendar month (UTC).
    pub month: Month,
    /// The part of the month between days prices change (0 = from the 1st); a row never holds
    /// usage billed at two prices.
    pub segment: u8,
    /// How the usage is priced beyond its model and tier (residency, speed, context, band).
    pub variant: Variant,
    /// Index into [`Dataset::files`].
    pub file: usize,
    /// Team, when the data carries it.
    pub team: Option<String>,
    /// Application, when the data carries it.
    pub app: Option<String>,
    /// Workspace ID.
    pub workspace_id: Option<String>,
    /// API key ID.
    pub api_key_id: Option<String>,
    /// Model ID as it appears in the data.
    pub model: String,
    /// Service tier (`standard`, `batch`, `priority`, ...).
    pub tier: String,
    /// Whether the rows' days fall inside the commitment term (false when there is none).
    pub in_term: bool,
    /// Whether the rows carry a billed cost.
    pub billed: bool,
    /// Token sums.
    pub tokens: Tokens,
    /// Sum of request counts over rows that carry one.
    pub requests: u64,
    /// Sum of output tokens over rows that carry a request count.
    pub output_with_requests: u64,
    /// Web search requests.
    pub web_search_requests: u64,
    /// Billed cost in USD (0 unless `billed`).
    pub billed_cost: f64,
    /// Number of raw rows.
    pub rows: u64,
    /// First day seen.
    pub first_day: NaiveDate,
    /// Last day seen.
    pub last_day: NaiveDate,
}

/// One day's usage of one model and tier, for the daily spend series the forecast reads.
#[derive(Debug, Clone, PartialEq)]
pub struct DayRow {
    /// The day (UTC).
    pub day: NaiveDate,
    /// Model ID as it appears in the data.
    pub model: String,
    /// Service tier.
    pub tier: String,
    /// How the usage is priced beyond its model and tier, when the files say.
    pub variant: Variant,
    /// Whether the rows carry a billed cost.
    pub billed: bool,
    /// Token sums.
    pub tokens: Tokens,
    /// Billed cost in USD (0 unless `billed`).
    pub billed_cost: f64,
}

/// What was read from one input file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileInfo {
    /// The path as given (after glob expansion).
    pub path: PathBuf,
    /// Detected format (`csv`, `parquet`, `ndjson`).
    pub format: String,
    /// Raw rows read.
    pub rows: u64,
    /// First day in the file.
    pub first_day: Option<NaiveDate>,
    /// Last day in the file.
    pub last_day: Option<NaiveDate>,
    /// Whether the file carries billed costs.
    pub billed: bool,
    /// Whether some of the file's usage has no service tier (then counted as standard).
    pub tier_missing: bool,
    /// Undocumented fields the file carries (accepted, not used).
    pub unknown_fields: Vec<String>,
    /// A text file whose last line has no line break: if the file was cut short, its last row is
    /// incomplete (the pack warns).
    pub unterminated: bool,
    /// The day the file's figures stood, when it says (Analytics API pages): a month that ended
    /// less than 30 days before it may still be revised.
    pub snapshot: Option<NaiveDate>,
}

/// The loaded usage: the cube, the files it came from, and the days that have data.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Cube rows, sorted.
    pub rows: Vec<CubeRow>,
    /// Input files in the order read.
    pub files: Vec<FileInfo>,
    /// Every day that has at least one row, sorted.
    pub days: Vec<NaiveDate>,
    /// Usage by day, model and tier, sorted (only when asked for: the forecast needs it).
    pub daily: Vec<DayRow>,
    /// Billed amounts from cost reports and Console cost exports: (index into `files`, record).
    pub costs: Vec<(usize, crate::anthropic::CostRecord)>,
    /// How long each loading stage took, in seconds (for `GOVREVIEW_TIMINGS`).
    pub timings: Vec<(&'static str, f64)>,
    /// What the data notes should say of how it was read (several spellings of one team).
    pub warnings: Vec<String>,
}
