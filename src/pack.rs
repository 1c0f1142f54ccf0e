//! Assembles the review pack in memory and writes it whole or not at all.

use std::path::{Path, PathBuf};

use crate::charts;
use crate::error::Result;
use crate::fsx::StagedDir;
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
    let mut sparks = std::collections::BTreeMap::new();
    for c in &model.cards {
        if c.spark.iter().filter(|v| v.is_some()).count() >= 2 {
            let svg = charts::sparkline_svg(&c.spark, c.status == "met" || c.status == "none")?;
            files.push(OutputFile {
                path: Path::new("charts").join(format!("spark_{}.svg", c.key)),
                bytes: svg.clone().into_bytes(),
            });
            sparks.insert(c.key.clone(), svg);
        }
    }
    for (path, bytes) in crate::render::team::pages(model, templates)? {
        files.push(OutputFile {
            path: PathBuf::from(path),
            bytes,
        });
    }
    files.push(OutputFile {
        path: PathBuf::from("summary.txt"),
        bytes: crate::render::summary::render(model).into_bytes(),
    });
    let ctx = RenderContext {
        model,
        charts: charts::chart_refs(model),
        svgs: svgs.into_iter().collect(),
        sparks,
        team_pages: crate::render::team::slugs(model)
            .into_iter()
            .map(|(t, s)| (t, format!("teams/{s}")))
            .collect(),
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

/// Stages the pack for `dir`: every file is written into a folder beside it, with the files a
/// person added to the month folder carried over (charts an earlier run drew and this one no
/// longer does are not). Nothing changes until [`StagedDir::commit`] swaps the folder in whole.
pub fn stage(dir: &Path, files: &[OutputFile]) -> Result<StagedDir> {
    let staged = StagedDir::new(dir)?;
    for f in files {
        staged.write(&f.path, &f.bytes)?;
    }
    staged.carry_over(|rel| {
        let generated_kind = (rel.starts_with("charts")
            && rel.extension().is_some_and(|e| e == "svg" || e == "png"))
            || (rel.starts_with("teams")
                && rel.extension().is_some_and(|e| e == "md" || e == "html"));
        !generated_kind
    })?;
    Ok(staged)
}

/// What a new pack would change in the one already in `dir`: files added or changed, and
/// generated files (charts, team pages) that would go. Empty when it is the same pack.
pub fn changes(dir: &Path, files: &[OutputFile]) -> Vec<String> {
    let mut out: Vec<String> = files
        .iter()
        .filter(|f| std::fs::read(dir.join(&f.path)).ok().as_deref() != Some(&f.bytes[..]))
        .map(|f| f.path.display().to_string())
        .collect();
    for sub in ["charts", "teams"] {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in rd.flatten() {
            let rel = Path::new(sub).join(e.file_name());
            if !files.iter().any(|f| f.path == rel) {
                out.push(format!("{} (removed)", rel.display()));
            }
        }
    }
    out.sort();
    out
}

/// The months after `month` that have a pack under `out_dir` (a folder `YYYY-MM` with a
/// `review.md`), in order.
pub fn later_packs(out_dir: &Path, month: crate::month::Month) -> Vec<crate::month::Month> {
    let Ok(rd) = std::fs::read_dir(out_dir) else {
        return Vec::new();
    };
    let mut out: Vec<crate::month::Month> = rd
        .flatten()
        .filter_map(|e| {
            let m: crate::month::Month = e.file_name().to_str()?.parse().ok()?;
            (m > month && e.path().join("review.md").is_file()).then_some(m)
        })
        .collect();
    out.sort();
    out
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
        stage(&dir, &files).unwrap().commit().unwrap();
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
