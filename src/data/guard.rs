//! Reader panics turned into errors that name the file.

use std::path::Path;

use crate::data::diagnose::too_many_tokens;
use crate::error::{Error, Result};

/// Runs `f`, turning a panic of the file readers into an error. A few kinds of corrupt file (a
/// damaged Parquet footer, for one) make the readers panic instead of returning an error; the
/// user gets the usual "cannot be read" message, naming the file when it is known, and exit
/// code 2. The panic message is not printed meanwhile. Call it from the main thread only (it
/// swaps the process's panic hook); worker threads use [`caught`] inside it.
pub(crate) fn guard<T>(path: Option<&Path>, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    r.unwrap_or_else(|payload| Err(caught(path, payload.as_ref())))
}

/// The error for a reader's panic with this payload.
pub(crate) fn caught(path: Option<&Path>, payload: &(dyn std::any::Any + Send)) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the reader stopped".into());
    // A sum that does not fit 64 bits stops a debug build here (a release build wraps, and
    // `sums_fit` refuses the cube): the same error either way.
    if what.contains("with overflow") {
        return too_many_tokens(path);
    }
    if let Some(e) = path.and_then(|p| {
        crate::data::text_scan::ndjson_huge_number(p, &crate::data::columns::KNOWN_COLUMNS)
    }) {
        return e;
    }
    if let Some(e) = path.and_then(|p| crate::data::columns::unsupported_type(p, &what)) {
        return e;
    }
    match path {
        Some(p) => Error::data(
            p,
            None,
            None,
            format!(
                "cannot be read ({what}). Check that the file is a complete, valid file of its format"
            ),
        ),
        None => Error::Input(format!(
            "the usage data cannot be read ({what}). Check each file given in data.paths or --data"
        )),
    }
}
