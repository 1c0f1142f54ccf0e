//! The one error type of govreview.
//!
//! Every variant says what is wrong, where (file, line:column, row, column or key) and how to fix
//! it. All of them map to exit code 2.

use std::path::PathBuf;

use crate::diag::Problem;

/// A result whose error is a [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in govreview.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file has one or more problems; all of them are reported at once.
    #[error("{}", format_problems(path, problems))]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },

    /// The action register has one or more problems; all of them are reported at once.
    #[error("{}", format_problems(path, problems))]
    Register {
        /// The register file.
        path: PathBuf,
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },

    /// A usage data file is unusable.
    #[error("{}", format_data(path, *line, *row, column.as_deref(), msg))]
    Data {
        /// The data file.
        path: PathBuf,
        /// 1-based line of the file (text formats), when the problem belongs to a row.
        line: Option<u64>,
        /// 1-based data row (header not counted), when the problem belongs to a row.
        row: Option<u64>,
        /// The column concerned, when one is.
        column: Option<String>,
        /// What is wrong and how to fix it.
        msg: String,
    },

    /// The data as a whole cannot give a review (no rows in the month, the same data loaded twice, ...).
    #[error("{0}")]
    Input(String),

    /// A file could not be read or written.
    #[error("{}: {action}: {source}{}", path.display(), io_hint(action, source))]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// What was being done (`cannot read`, `cannot write`, ...).
        action: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A template failed to compile or render.
    #[error("template `{name}`: {msg}")]
    Template {
        /// Template name (`review.md.j2`).
        name: String,
        /// The engine's message.
        msg: String,
    },

    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),

    /// An internal failure that is not the user's fault (a chart backend, an unexpected engine error).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The message as a terminal shows it: bidirectional formatting characters from a file name
    /// or a value written out (`\u{202e}`), not obeyed.
    pub fn shown(&self) -> String {
        crate::fmt::bidi_visible(&self.to_string()).into_owned()
    }

    /// Shorthand for an I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }

    /// A CSV writer's failure: the disk's (full, gone) as an I/O error on the file.
    pub fn csv(path: &std::path::Path, e: csv::Error) -> Self {
        match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::io(path, "cannot write", io),
            other => Error::Internal(format!("csv: {other:?}")),
        }
    }

    /// Shorthand for a data error.
    pub fn data(
        path: impl Into<PathBuf>,
        row: Option<u64>,
        column: Option<&str>,
        msg: impl Into<String>,
    ) -> Self {
        Error::Data {
            path: path.into(),
            line: None,
            row,
            column: column.map(str::to_owned),
            msg: msg.into(),
        }
    }

    /// The same error located at a line of its file (data errors only).
    pub fn with_line(mut self, at: Option<u64>) -> Self {
        if let Error::Data { line, .. } = &mut self {
            *line = at;
        }
        self
    }

    /// A configuration error with a single problem.
    pub fn config(path: impl Into<PathBuf>, problem: Problem) -> Self {
        Error::Config {
            path: path.into(),
            problems: vec![problem],
        }
    }
}

/// What to do about an I/O error whose cause the system names.
fn io_hint(action: &str, e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound if action == "cannot write" => {
            "; that folder does not take new files (or is gone): write elsewhere"
        }
        std::io::ErrorKind::StorageFull => "; the disk is full: free space on it and run again",
        std::io::ErrorKind::PermissionDenied => "; check the file's and its folder's permissions",
        std::io::ErrorKind::ReadOnlyFilesystem => {
            "; that file system is read-only: write elsewhere"
        }
        _ => "",
    }
}

fn format_problems(path: &std::path::Path, problems: &[Problem]) -> String {
    let mut out = String::new();
    if problems.len() > 1 {
        out.push_str(&format!(
            "{} has {} problems:",
            path.display(),
            problems.len()
        ));
        for p in problems {
            out.push_str(&format!("\n  {}:{}", path.display(), p));
        }
    } else if let Some(p) = problems.first() {
        out.push_str(&format!("{}:{}", path.display(), p));
    }
    out
}

fn format_data(
    path: &std::path::Path,
    line: Option<u64>,
    row: Option<u64>,
    column: Option<&str>,
    msg: &str,
) -> String {
    let mut out = path.display().to_string();
    if let Some(line) = line {
        out.push_str(&format!(":{line}"));
    }
    if let Some(row) = row {
        out.push_str(&format!(": row {row}"));
    }
    if let Some(column) = column {
        // A path into a JSON page (`data[3].cost.amount`) is a field, not a column.
        let what = if column.contains('[') || column == "data" {
            "field"
        } else {
            "column"
        };
        out.push_str(&format!(", {what} `{column}`"));
    }
    out.push_str(": ");
    out.push_str(msg);
    out
}
