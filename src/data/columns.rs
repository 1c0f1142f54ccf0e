//! The canonical columns of a usage file: their names and bounds, the names other tools give
//! them, and the header checks that name a column written differently or missing.

use std::path::Path;

use polars::prelude::*;

use crate::data::aggregate::{Slot, VARIANT_KEYS};
use crate::error::{Error, Result};

pub(crate) const TOKEN_COLUMNS: [(&str, Slot); 5] = [
    ("uncached_input_tokens", Slot::U),
    ("cache_creation_5m_input_tokens", Slot::W5),
    ("cache_creation_1h_input_tokens", Slot::W1),
    ("cache_read_input_tokens", Slot::R),
    ("output_tokens", Slot::O),
];
pub(crate) const DIMENSIONS: [&str; 4] = ["team", "app", "workspace_id", "api_key_id"];

/// The first and last day a usage row may have (2000-01-01 and 2099-12-31, days since
/// 1970-01-01): anything else is a mistake in the year.
pub(crate) const FIRST_DAY: i32 = 10_957;
/// See [`FIRST_DAY`].
pub(crate) const LAST_DAY: i32 = 47_481;

/// The largest count one row may hold (10^15 tokens: about $3 billion of Sonnet input). Larger
/// values are a unit mistake or hostile input; bounding them also bounds every sum.
pub(crate) const MAX_COUNT: i64 = 1_000_000_000_000_000;

/// The message for a count above [`MAX_COUNT`].
pub(crate) const TOO_LARGE: &str = "exceeds the largest count govreview accepts in one row (1,000,000,000,000,000); check that the column holds token or request counts";
pub(crate) const LEGACY_CACHE_WRITE: &str = "cache_creation_input_tokens";

/// Whether a schema gives cache writes twice: the `cache_creation_input_tokens` total beside the
/// 5-minute or 1-hour column. They must agree row by row, a check only the general query makes.
pub(crate) fn cache_writes_twice(schema: &Schema) -> bool {
    schema.get(LEGACY_CACHE_WRITE).is_some()
        && TOKEN_COLUMNS[1..3]
            .iter()
            .any(|(c, _)| schema.get(c).is_some())
}

/// The largest billed cost one row may hold, in US dollars: $10 million. (Unit tests allow more,
/// to reach the bounds that keep sums of 1e-8 USD within 64 bits with a few rows.)
#[cfg(not(test))]
pub(crate) const MAX_COST_USD: f64 = 10_000_000.0;
/// The largest billed cost one row may hold in unit tests: 9e18 in 1e-8 USD.
#[cfg(test)]
pub(crate) const MAX_COST_USD: f64 = 90_000_000_000.0;

/// Why an empty token count is an error, not a 0.
pub(crate) const EMPTY_COUNT: &str = "is not a token count: write the count, 0 where there were none (an empty count is never read as 0, so that a cut-off or shifted row cannot pass for no usage)";

/// Names other tools give the token classes, with the canonical column each means: a file that
/// uses one would otherwise count those tokens as zero without a word.
const TOKEN_ALIASES: [(&str, &str, &str); 11] = [
    (
        "input_tokens",
        "uncached_input_tokens",
        "the Messages API's name for uncached input",
    ),
    (
        "prompt_tokens",
        "uncached_input_tokens",
        "another API's name for input",
    ),
    (
        "completion_tokens",
        "output_tokens",
        "another API's name for output",
    ),
    (
        "cache_write_tokens",
        "cache_creation_5m_input_tokens",
        "a name for 5-minute cache writes",
    ),
    (
        "cache_creation_tokens",
        "cache_creation_5m_input_tokens",
        "a name for 5-minute cache writes",
    ),
    (
        "cache_read_tokens",
        "cache_read_input_tokens",
        "a name for cache reads",
    ),
    (
        "cached_tokens",
        "cache_read_input_tokens",
        "a name for cache reads",
    ),
    (
        "cached_input_tokens",
        "cache_read_input_tokens",
        "a name for cache reads",
    ),
    ("generated_tokens", "output_tokens", "a name for output"),
    (
        "cache_creation",
        "cache_creation_5m_input_tokens",
        "the API's object of cache writes (write its 5-minute and 1-hour counts as two columns)",
    ),
    (
        "cache_write_5m_tokens",
        "cache_creation_5m_input_tokens",
        "a name for 5-minute cache writes",
    ),
];

/// The columns a canonical file can have.
pub(crate) const KNOWN_COLUMNS: [&str; 18] = [
    "date",
    "starting_at",
    "team",
    "app",
    "workspace_id",
    "api_key_id",
    "model",
    "service_tier",
    "uncached_input_tokens",
    "cache_creation_5m_input_tokens",
    "cache_creation_1h_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
    LEGACY_CACHE_WRITE,
    "requests",
    "web_search_requests",
    "cost_usd",
    "inference_geo",
];

/// A column whose name is a canonical column's written differently (case, spaces, dashes, a
/// letter or two): its values would not be read. Also a header that names a column twice.
fn check_near_misses(path: &Path, schema: &Schema) -> Result<()> {
    let known: Vec<&str> = KNOWN_COLUMNS
        .iter()
        .copied()
        .chain(VARIANT_KEYS.iter().copied())
        .collect();
    for name in schema.iter_names() {
        let name = name.as_str();
        if let Some((first, _)) = name.rsplit_once("_duplicated_") {
            return Err(Error::data(
                path,
                None,
                Some(first),
                format!("the header names `{first}` twice; keep one column of each name"),
            ));
        }
        if known.contains(&name) {
            continue;
        }
        let norm: String = name
            .trim()
            .to_lowercase()
            .chars()
            .map(|c| if c == ' ' || c == '-' { '_' } else { c })
            .collect();
        // Written differently by case, spaces or one letter, even beside the column itself (an
        // NDJSON row may spell a key its own way: that row's value would be lost); two letters
        // off only when the column is not there.
        let near = known.iter().copied().find(|k| {
            let off = strsim::levenshtein(&norm, k);
            norm == *k
                || (k.len() >= 8 && off <= 1)
                || (schema.get(k).is_none() && k.len() >= 8 && off <= 2)
        });
        if let Some(k) = near {
            return Err(Error::data(
                path,
                None,
                Some(name),
                format!(
                    "`{name}` looks like `{k}` written differently (case, spaces or a letter): its values would not be read. Rename the column to `{k}`"
                ),
            ));
        }
    }
    Ok(())
}

/// A canonical file's token columns: a known alias of one (`input_tokens`, `prompt_tokens`, ...)
/// or no token column at all is an error naming the columns to write.
pub(super) fn check_token_columns(path: &Path, schema: &Schema) -> Result<()> {
    check_near_misses(path, schema)?;
    for (alias, canonical, what) in TOKEN_ALIASES {
        if let Some(found) = schema.iter_names().find(|n| n.eq_ignore_ascii_case(alias)) {
            return Err(Error::data(
                path,
                None,
                Some(found.as_str()),
                format!(
                    "`{found}` is {what}, not a canonical column: its tokens would count as zero. Rename the column to `{canonical}` (in a CSV, its header){}",
                    if schema.get(canonical).is_some() {
                        format!(
                            "; the file also has `{canonical}`, so if `{found}` repeats it (or is a total), drop the column"
                        )
                    } else {
                        String::new()
                    }
                ),
            ));
        }
    }
    let any = TOKEN_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .chain([LEGACY_CACHE_WRITE])
        .any(|c| schema.get(c).is_some());
    // A file that lacks `date` or `model` too is named for those first (see `canonical`).
    let dated = ["date", "starting_at"]
        .iter()
        .any(|c| schema.get(c).is_some());
    if !any && dated && schema.get("model").is_some() {
        return Err(Error::data(
            path,
            None,
            None,
            format!(
                "has none of the token columns ({}); a usage file needs at least one of them. Columns found: {}",
                TOKEN_COLUMNS.map(|(c, _)| c).join(", "),
                column_list(schema)
            ),
        ));
    }
    Ok(())
}

/// The columns of a schema, for a message; with a hint when the header is one name holding
/// another separator.
pub(crate) fn column_list(schema: &Schema) -> String {
    let names: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
    let list = names.join(", ");
    // One column whose name holds another separator: the file is not comma-separated.
    let other = match names.as_slice() {
        [one] => [(';', "semicolons"), ('\t', "tabs"), ('|', "pipes")]
            .into_iter()
            .find(|(c, _)| one.contains(*c)),
        _ => None,
    };
    match other {
        Some((_, what)) => format!(
            "{list}. The header is one name holding {what}: the file is separated by {what}, not commas. Export it comma-separated (a spreadsheet's \"CSV UTF-8 (comma delimited)\")"
        ),
        None => list,
    }
}

/// For a reader's message about a type polars has no reader for (DuckDB's DECIMAL, a 128-bit
/// integer): the error that says what to write instead.
pub(crate) fn unsupported_type(path: &Path, text: &str) -> Option<Error> {
    if !text.contains("not supported by Polars") {
        return None;
    }
    let what = text
        .split("datatype ")
        .nth(1)
        .and_then(|t| t.split(" not supported").next())
        .unwrap_or("a type");
    Some(Error::data(
        path,
        None,
        None,
        format!(
            "has a column of type {what}, which govreview cannot read: write amounts such as cost_usd as DOUBLE and counts as BIGINT (in DuckDB, CAST(cost_usd AS DOUBLE)), then export again"
        ),
    ))
}
