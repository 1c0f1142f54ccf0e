//! Loading usage data. The only module that touches polars.
//!
//! Each input file (CSV, Parquet, NDJSON) is mapped lazily onto the canonical columns, all files are
//! concatenated, and one group-by on the raw columns builds the month x file x dimensions x tier
//! cube. Plain Parquet files skip the group-by and are aggregated on their dictionary codes instead
//! ([`scan`]); both give the same cube rows. Costs and families are derived later, on the small
//! cube, in plain Rust. Problems in the raw rows are counted in the same pass; only when there are
//! some does a second, diagnostic query find the first offending row so the error can name it.

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::anthropic;
use crate::cube::Dataset;
use crate::error::Result;

mod aggregate;
mod columns;
mod detect;
mod diagnose;
mod guard;
mod input;
mod load;
mod names;
mod overlaps;
mod pages;
mod paths;
mod repeats;
mod scan;
mod source;
mod sources;
mod text_scan;
pub mod write;

pub(crate) use pages::{check_fetched, check_walk_fields};
pub use paths::{expand_config_paths, expand_paths};

/// How the data is loaded.
#[derive(Debug, Clone)]
pub struct Options {
    /// Aggregate plain Parquet and plain CSV on the fast path (off: the general query for every
    /// file, for comparison).
    pub fast_path: bool,
    /// Also sum usage by day, model and tier (the daily series the commitment forecast reads).
    pub daily: bool,
    /// One cube row per day instead of per month (the FOCUS export), by the general query.
    pub by_day: bool,
    /// The allocation rules: those on the actor are applied as Analytics API pages are read (the
    /// cube has no actor column).
    pub rules: Vec<crate::config::AllocationRule>,
    /// The configured team names: a spelling of one in the data takes its name.
    pub teams: Vec<String>,
    /// Days some price changes: months are summed in parts between them.
    pub price_changes: Vec<NaiveDate>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fast_path: true,
            daily: false,
            by_day: false,
            rules: Vec::new(),
            teams: Vec::new(),
            price_changes: Vec::new(),
        }
    }
}

/// Loads the files into a cube. `term` is the commitment term, to split spend inside it.
#[cfg(test)]
pub fn load(files: &[PathBuf], term: Option<(NaiveDate, NaiveDate)>) -> Result<Dataset> {
    let inputs: Vec<(PathBuf, Option<anthropic::Kind>)> =
        files.iter().map(|p| (p.clone(), None)).collect();
    load_with(&inputs, term, &Options::default())
}

/// Like [`load`], with the kind of some files named (`--data-format`) instead of detected.
///
/// Plain Parquet files are aggregated on their dictionary codes (see [`scan`]) unless
/// `options` turns that off.
pub fn load_with(
    files: &[(PathBuf, Option<anthropic::Kind>)],
    term: Option<(NaiveDate, NaiveDate)>,
    options: &Options,
) -> Result<Dataset> {
    load::load(files, term, options)
}

#[cfg(test)]
mod csv_tests;
#[cfg(test)]
mod parquet_tests;
#[cfg(test)]
mod tests;
