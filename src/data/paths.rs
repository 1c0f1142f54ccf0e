//! Data paths: files, folders and globs of the configuration and the command line.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

use super::detect::Format;

/// Expands paths and globs (relative ones against `base`) into a sorted list of files.
///
/// A pattern that matches nothing is an error: a silently missing month is worse than a failure.
pub fn expand_paths(patterns: &[String], base: &Path) -> Result<Vec<PathBuf>> {
    expand(patterns, base, true)
}

/// Like [`expand_paths`], for the configuration's `data.paths`: a glob or a folder may match
/// nothing (a repository lists CSV, Parquet and fetched pages alike) as long as one of them
/// matches a file; a file or folder named on its own must exist.
pub fn expand_config_paths(patterns: &[String], base: &Path) -> Result<Vec<PathBuf>> {
    let files = expand(patterns, base, false)?;
    if files.is_empty() && !patterns.is_empty() {
        return Err(Error::Usage(format!(
            "no data file matches data.paths ({}) under {}; put usage files there, run `govreview fetch`, or pass --data PATH",
            patterns.join(", "),
            if base.as_os_str().is_empty() {
                ".".to_owned()
            } else {
                base.display().to_string()
            }
        )));
    }
    Ok(files)
}

pub(crate) fn expand(patterns: &[String], base: &Path, strict: bool) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for pat in patterns {
        let full = if Path::new(pat).is_absolute() {
            PathBuf::from(pat)
        } else {
            base.join(pat)
        };
        let text = full.to_string_lossy().into_owned();
        // A file or folder named on its own, not a glob.
        let named = !pat.contains(['*', '?', '[']);
        if pat.contains("**") {
            refuse_link_loops(&full)?;
        }
        let mut found: Vec<PathBuf> = if !named {
            let mut found = Vec::new();
            for p in glob::glob(&text)
                .map_err(|e| Error::Usage(format!("`{pat}` is not a valid glob: {e}")))?
                .filter_map(|r| r.ok())
            {
                if is_data_file(&p, pat)? {
                    found.push(p);
                }
            }
            found
        } else if full.is_dir() {
            let rd = std::fs::read_dir(&full).map_err(|e| Error::io(&full, "cannot list", e))?;
            let mut found = Vec::new();
            for p in rd.filter_map(|e| e.ok().map(|e| e.path())) {
                if Format::of(&p).is_some() && is_data_file(&p, pat)? {
                    found.push(p);
                }
            }
            found
        } else if full.is_file() {
            vec![full.clone()]
        } else if let Some(kind) = std::fs::metadata(&full)
            .ok()
            .as_ref()
            .and_then(crate::fsx::not_a_file)
        {
            // A named pipe, socket or device named on its own: never opened (a pipe would wait).
            return Err(Error::Usage(format!(
                "data path `{pat}` is {kind}, not a file; give usage files (CSV, NDJSON, Parquet or saved API pages)"
            )));
        } else {
            Vec::new()
        };
        if named && !strict && !full.exists() {
            return Err(Error::Usage(format!(
                "data.paths names `{pat}`, but {} does not exist; fix the path or remove it from data.paths (a glob such as data/*.csv may match nothing; a file or folder named on its own must exist)",
                full.display()
            )));
        }
        if found.is_empty() && strict {
            return Err(Error::Usage(format!(
                "data path `{}` matches no file; check the path in data.paths or --data",
                full.display()
            )));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// Whether `p`, found by the data path `pat`, is a file to read: a regular file (or a link to
/// one) is, a folder is passed over; a named pipe, socket or device (never opened: a pipe would
/// wait) or a link to nothing is refused with its name, never skipped (its usage would be silently
/// missing).
fn is_data_file(p: &Path, pat: &str) -> Result<bool> {
    let kind = match std::fs::metadata(p) {
        Ok(m) if m.is_file() => return Ok(true),
        Ok(m) if m.is_dir() => return Ok(false),
        Ok(m) => crate::fsx::not_a_file(&m).unwrap_or("not a regular file"),
        Err(_) if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) => {
            "a link that leads to no file (its target is missing, or links loop)"
        }
        Err(e) => return Err(Error::io(p, "cannot read", e)),
    };
    Err(Error::Usage(format!(
        "data path `{pat}` finds {}, which is {kind}, not a file; give usage files (CSV, NDJSON, Parquet or saved API pages), or move it out of the data folder",
        p.display()
    )))
}

/// Refuses a link, in the folders a `**` glob walks, to a folder that holds it (the glob would
/// go round it without end): found without following links, from the glob's fixed part.
fn refuse_link_loops(pattern: &Path) -> Result<()> {
    let fixed: PathBuf = pattern
        .components()
        .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
        .collect();
    let root = if fixed.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        fixed
    };
    let mut stack = vec![(root, 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() && depth < 64 {
                stack.push((p, depth + 1));
            } else if t.is_symlink()
                && let (Ok(to), Ok(at)) = (std::fs::canonicalize(&p), std::fs::canonicalize(&dir))
                && to.is_dir()
                && at.starts_with(&to)
            {
                return Err(Error::Usage(format!(
                    "{} is a link to {}, a folder that holds it: the glob `{}` would walk round it without end. Remove the link, or name the folders without `**`",
                    p.display(),
                    to.display(),
                    pattern.display()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_loop_under_a_double_star_glob_is_refused_at_once() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("data/x")).unwrap();
        std::fs::write(d.path().join("data/x/u.csv"), "x").unwrap();
        let pats = vec!["data/**/*.csv".to_owned()];
        assert_eq!(expand_config_paths(&pats, d.path()).unwrap().len(), 1);
        std::os::unix::fs::symlink(".", d.path().join("data/a")).unwrap();
        std::os::unix::fs::symlink("..", d.path().join("data/x/b")).unwrap();
        let e = expand_config_paths(&pats, d.path())
            .unwrap_err()
            .to_string();
        assert!(e.contains("a folder that holds it"), "{e}");
    }

    #[test]
    fn a_named_path_of_the_config_must_exist_while_a_glob_may_match_nothing() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("u.csv"), "x").unwrap();
        let pats = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let files = expand_config_paths(&pats(&["u.csv", "pages/*.json"]), d.path()).unwrap();
        assert_eq!(files, [d.path().join("u.csv")]);
        let e = expand_config_paths(&pats(&["u.csv", "data/zzz.csv"]), d.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("data/zzz.csv") && e.contains("does not exist"),
            "{e}"
        );
    }
}
