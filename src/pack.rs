//! Assembles the review pack in memory and writes it whole or not at all.

use std::path::{Path, PathBuf};

use crate::charts;
use crate::error::{Error, Result};
use crate::render::markdown::{ActionsMarkdown, Markdown};
use crate::render::{RenderContext, Renderer, Templates, html::Html, json::Json};
use crate::report::ReportModel;

/// One file of the pack, relative to the month folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative path (`review.md`, `charts/model_mix.svg`).
    pub path: PathBuf,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// Renders every file of the pack.
pub fn assemble(model: &ReportModel, templates: &Templates) -> Result<Vec<OutputFile>> {
    let svgs = charts::render_svgs(model)?;
    let mut files: Vec<OutputFile> = svgs
        .iter()
        .map(|(name, svg)| OutputFile {
            path: Path::new("charts").join(format!("{name}.svg")),
            bytes: svg.clone().into_bytes(),
        })
        .collect();
    let ctx = RenderContext {
        model,
        svgs: svgs.into_iter().collect(),
    };
    let renderers: [&dyn Renderer; 4] = [&Markdown, &ActionsMarkdown, &Html, &Json];
    for r in renderers {
        files.push(OutputFile {
            path: PathBuf::from(r.file_name()),
            bytes: r.render(&ctx, templates)?,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Writes the pack into `dir`: every file is first written into a staging folder beside it, then
/// moved into place, so a failure leaves the previous pack as it was. Charts of an earlier run that
/// this run no longer draws are removed; other files in the folder are left alone.
pub fn write(dir: &Path, files: &[OutputFile]) -> Result<()> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "cannot create folder", e))?;
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("pack");
    let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
    let result = stage_and_move(dir, &staging, files);
    if staging.exists() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn stage_and_move(dir: &Path, staging: &Path, files: &[OutputFile]) -> Result<()> {
    for f in files {
        let p = staging.join(&f.path);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).map_err(|e| Error::io(d, "cannot create folder", e))?;
        }
        std::fs::write(&p, &f.bytes).map_err(|e| Error::io(&p, "cannot write", e))?;
    }
    let charts_dir = dir.join("charts");
    if charts_dir.is_dir() {
        let rd =
            std::fs::read_dir(&charts_dir).map_err(|e| Error::io(&charts_dir, "cannot list", e))?;
        for entry in rd.flatten() {
            let p = entry.path();
            let rel = Path::new("charts").join(entry.file_name());
            if p.extension().is_some_and(|e| e == "svg") && !files.iter().any(|f| f.path == rel) {
                std::fs::remove_file(&p)
                    .map_err(|e| Error::io(&p, "cannot remove stale chart", e))?;
            }
        }
    }
    for f in files {
        let from = staging.join(&f.path);
        let to = dir.join(&f.path);
        if let Some(d) = to.parent() {
            std::fs::create_dir_all(d).map_err(|e| Error::io(d, "cannot create folder", e))?;
        }
        std::fs::rename(&from, &to).map_err(|e| Error::io(&to, "cannot write", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_replaces_files_and_drops_stale_charts_only() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("reviews/2026-10");
        std::fs::create_dir_all(dir.join("charts")).unwrap();
        std::fs::write(dir.join("charts/old.svg"), "old").unwrap();
        std::fs::write(dir.join("notes.md"), "mine").unwrap();
        let files = vec![
            OutputFile {
                path: "review.md".into(),
                bytes: b"new".to_vec(),
            },
            OutputFile {
                path: "charts/a.svg".into(),
                bytes: b"<svg/>".to_vec(),
            },
        ];
        write(&dir, &files).unwrap();
        assert_eq!(std::fs::read(dir.join("review.md")).unwrap(), b"new");
        assert!(!dir.join("charts/old.svg").exists());
        assert_eq!(std::fs::read(dir.join("notes.md")).unwrap(), b"mine");
        let leftovers: Vec<_> = std::fs::read_dir(d.path().join("reviews"))
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(leftovers.len(), 1, "staging folder must be gone");
    }
}
