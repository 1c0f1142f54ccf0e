//! The fast path: canonical Parquet files aggregated on their dictionary codes, and plain CSV
//! files coded into the same groups.
//!
//! Parquet writers store low-cardinality text (teams, apps, models, tiers, IDs) dictionary
//! encoded. Grouping on the decoded text costs a hash of every string of every row; grouping on
//! the dictionary codes costs a few integer operations. This module decodes each row group of a
//! file with polars' Parquet reader, asking for the text columns as dictionaries, folds each row's
//! codes and month into one integer key, sums the counts per key, and only then looks up the text
//! of the (few) keys it saw. Row groups are spread over all cores; each reads only the bytes of
//! the columns it needs, so memory stays flat however large the files are.
//!
//! A column chunk that is not dictionary encoded throughout (a writer may fall back to plain
//! pages) is decoded as text and coded here instead: slower, same result. Files whose columns do
//! not have the plain types this path expects (a text date, text counts, a text `cost_usd`)
//! take the general polars query instead; see [`eligible`].
//!
//! Large row groups are summed a column at a time ([`stream`]). Plain CSV files are cut into
//! blocks, parsed and coded into the same batches and groups ([`csv`]).

pub(crate) mod csv;
mod group;
mod merge;
mod parquet;
mod read;
mod stream;
mod sum;
mod worker;

pub(crate) use merge::Scanned;
pub(crate) use parquet::{eligible, scan};
#[cfg(test)]
pub(crate) use parquet::{page_counts, scan_with};
pub(crate) use worker::FastFile;
#[cfg(test)]
pub(crate) use worker::{Day, FileSpan, Way};
