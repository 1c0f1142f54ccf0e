//! Exports that hold one line per day and what it is of (the Console's): a line given twice is
//! refused, never counted twice.

use std::path::Path;

use crate::data::detect::Format;
use crate::error::{Error, Result};

/// A column's values as text (None where empty, or where the column cannot be read as text),
/// `rows` of them.
pub(crate) fn texts(c: &polars::prelude::Column, rows: usize) -> Vec<Option<String>> {
    c.cast(&polars::prelude::DataType::String)
        .ok()
        .and_then(|c| {
            c.str()
                .ok()
                .map(|a| a.iter().map(|v| v.map(str::to_owned)).collect())
        })
        .unwrap_or_else(|| vec![None; rows])
}

/// The Console's exports hold one line per day and what it is of (model, workspace, key, tier,
/// token type, ...): a line given twice (a copy, a day exported again and appended) would count
/// twice. Refuses the first line whose columns other than `amounts` repeat an earlier line's.
pub(crate) fn check_repeated_lines(
    path: &Path,
    df: &polars::prelude::DataFrame,
    amounts: &[&str],
) -> Result<()> {
    // Each compared column's values as text, and whether it names a model.
    let columns: Vec<(Vec<Option<String>>, bool)> = df
        .columns()
        .iter()
        .filter(|c| !amounts.contains(&c.name().as_str()))
        .map(|c| {
            let model = matches!(c.name().as_str(), "model" | "model_version");
            (texts(c, df.height()), model)
        })
        .collect();
    let mut seen: std::collections::HashMap<Vec<Option<String>>, u64> =
        std::collections::HashMap::new();
    for i in 0..df.height() {
        // Compared as the readers match them: without case or surrounding spaces, a model by
        // what it names (its display name, its ID with or without the date).
        let key: Vec<Option<String>> = columns
            .iter()
            .map(|(c, model)| {
                c[i].as_deref().map(|v| {
                    let v = v.trim().to_lowercase();
                    if *model { model_key(&v) } else { v }
                })
            })
            .collect();
        let row = i as u64 + 1;
        if let Some(first) = seen.insert(key, row) {
            return Err(Error::data(
                path,
                Some(row),
                None,
                format!(
                    "repeats line {} (the same day and the same {}): the export has one line for each, and a repeated line would be counted twice. Remove the copy, or export the period again",
                    Format::Csv.line_of_row(first).unwrap_or(first),
                    "model, workspace, key and type"
                ),
            )
            .with_line(Format::Csv.line_of_row(row)));
        }
    }
    Ok(())
}

/// A model as what it names: `claude sonnet 4.5`, `claude-sonnet-4-5` and
/// `claude-sonnet-4-5-20250929` are one model.
pub(crate) fn model_key(v: &str) -> String {
    let id = crate::anthropic::model_from_display_name(v).unwrap_or_else(|| v.to_owned());
    undated(&id).to_owned()
}

/// A model as its dated and undated names both give it (`claude-opus-4-5-20251101` is
/// `claude-opus-4-5`): two files that name it differently still hold the same usage.
pub(crate) fn undated(model: &str) -> &str {
    match model.rsplit_once('-') {
        Some((head, date)) if date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => model,
    }
}
