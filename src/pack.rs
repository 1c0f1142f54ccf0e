//! Assembles the review pack in memory and writes it whole or not at all.

use std::collections::BTreeSet;
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
    // A pack file, month folder or subfolder a person made read-only is not replaced, as no other
    // output is (the month folder followed if it is a link, which StagedDir refuses; subfolders
    // as they are).
    let folders = [
        (dir.to_path_buf(), std::fs::metadata(dir)),
        (
            dir.join("charts"),
            std::fs::symlink_metadata(dir.join("charts")),
        ),
        (
            dir.join("teams"),
            std::fs::symlink_metadata(dir.join("teams")),
        ),
    ];
    for (folder, meta) in folders {
        if let Ok(m) = meta
            && m.is_dir()
            && m.permissions().readonly()
        {
            return Err(crate::error::Error::Usage(format!(
                "{} is a read-only folder; govreview does not replace it. Make it writable (chmod u+w) or write the pack elsewhere (--out)",
                folder.display()
            )));
        }
    }
    for f in files {
        let p = dir.join(&f.path);
        // The pack is written as a whole new folder: a link in place of one of its files would
        // be replaced by the file, its target left as it was.
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(crate::error::Error::Usage(format!(
                "{} is a link; the pack is written as a whole new folder, which would replace the link with the file. Remove the link (copy the file where it pointed after the review), or write the pack elsewhere (--out)",
                p.display()
            )));
        }
        crate::fsx::check_replaceable(&p)?;
    }
    let staged = StagedDir::new(dir)?;
    for f in files {
        staged.write(&f.path, &f.bytes)?;
    }
    let before = generated_before(dir);
    staged.carry_over(|rel| !generated(rel, before.as_ref()))?;
    Ok(staged)
}

/// Whether `rel` is a chart or team page an earlier run wrote (and this one replaces or drops):
/// of the kind the pack writes and, when the earlier pack's pages say what they link, linked by
/// them. A file a person put in `charts/` or `teams/` is kept.
fn generated(rel: &Path, before: Option<&BTreeSet<PathBuf>>) -> bool {
    let kind = (rel.starts_with("charts")
        && rel.extension().is_some_and(|e| e == "svg" || e == "png"))
        || (rel.starts_with("teams") && rel.extension().is_some_and(|e| e == "md" || e == "html"));
    kind && before.is_none_or(|b| b.contains(rel))
}

/// The charts and team pages the pack in `dir` links from its review (Markdown and HTML) and its
/// team pages: what an earlier run wrote. None when there is no earlier review.
fn generated_before(dir: &Path) -> Option<BTreeSet<PathBuf>> {
    let review = std::fs::read_to_string(dir.join("review.md")).ok()?;
    let mut found = BTreeSet::new();
    let mut texts = vec![review];
    texts.extend(std::fs::read_to_string(dir.join("review.html")).ok());
    let mut read_teams = false;
    while let Some(text) = texts.pop() {
        let text = text.replace("&#x2f;", "/");
        for sub in ["teams/", "charts/"] {
            for (at, _) in text.match_indices(sub) {
                let name: String = text[at + sub.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
                    .collect();
                let name = name.trim_end_matches('.');
                if name.is_empty() {
                    continue;
                }
                let rel = Path::new(sub).join(name);
                if sub == "teams/" {
                    // A team's Markdown and HTML pages go together.
                    found.insert(rel.with_extension("md"));
                    found.insert(rel.with_extension("html"));
                } else {
                    found.insert(rel);
                }
            }
        }
        if texts.is_empty() && !read_teams {
            // Then the team pages, for the charts they link.
            read_teams = true;
            texts.extend(
                found
                    .iter()
                    .filter(|p| p.starts_with("teams"))
                    .filter_map(|p| std::fs::read_to_string(dir.join(p)).ok()),
            );
        }
    }
    Some(found)
}

/// What a new pack would change in the one already in `dir`: files added or changed, and
/// generated files (charts, team pages) that would go. Empty when it is the same pack.
pub fn changes(dir: &Path, files: &[OutputFile]) -> Vec<String> {
    let mut out: Vec<String> = files
        .iter()
        .filter(|f| std::fs::read(dir.join(&f.path)).ok().as_deref() != Some(&f.bytes[..]))
        .map(|f| f.path.display().to_string())
        .collect();
    let before = generated_before(dir);
    for sub in ["charts", "teams"] {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in rd.flatten() {
            let rel = Path::new(sub).join(e.file_name());
            if generated(&rel, before.as_ref()) && !files.iter().any(|f| f.path == rel) {
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

    /// A pack file or month folder made read-only is refused with its mode, never replaced.
    #[test]
    #[cfg(unix)]
    fn a_read_only_pack_file_or_folder_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("reviews/2026-10");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("review.md"), "old").unwrap();
        std::fs::set_permissions(
            dir.join("review.md"),
            std::fs::Permissions::from_mode(0o444),
        )
        .unwrap();
        let files = vec![OutputFile {
            path: "review.md".into(),
            bytes: b"new".to_vec(),
        }];
        let e = stage(&dir, &files).err().unwrap().to_string();
        assert!(e.contains("review.md is read-only (mode 0444)"), "{e}");
        std::fs::set_permissions(
            dir.join("review.md"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        let e = stage(&dir, &files).err().unwrap().to_string();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(e.contains("read-only folder"), "{e}");
        assert_eq!(std::fs::read(dir.join("review.md")).unwrap(), b"old");
        // A read-only teams/ folder, and a pack file that is a link, are refused too.
        std::fs::create_dir_all(dir.join("teams")).unwrap();
        std::fs::set_permissions(dir.join("teams"), std::fs::Permissions::from_mode(0o555))
            .unwrap();
        let e = stage(&dir, &files).err().unwrap().to_string();
        std::fs::set_permissions(dir.join("teams"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        assert!(e.contains("teams is a read-only folder"), "{e}");
        std::fs::write(d.path().join("elsewhere.md"), "theirs").unwrap();
        std::fs::remove_file(dir.join("review.md")).unwrap();
        std::os::unix::fs::symlink(d.path().join("elsewhere.md"), dir.join("review.md")).unwrap();
        let e = stage(&dir, &files).err().unwrap().to_string();
        assert!(e.contains("review.md is a link"), "{e}");
    }

    /// Files a person put in `teams/` or `charts/` survive a new run; the team pages and charts
    /// the earlier pack linked, and this one does not write, go.
    #[test]
    fn a_person_s_files_beside_team_pages_and_charts_are_kept() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("reviews/2026-10");
        std::fs::create_dir_all(dir.join("charts")).unwrap();
        std::fs::create_dir_all(dir.join("teams")).unwrap();
        for (p, body) in [
            ("review.md", "[Team a](teams/a.md) ![mix](charts/mix.svg)"),
            ("review.html", "<a href=\"teams&#x2f;a.html\">a</a>"),
            ("teams/a.md", "![spend](../charts/team-a.svg)"),
            ("teams/a.html", "a"),
            ("charts/mix.svg", "<svg/>"),
            ("charts/team-a.svg", "<svg/>"),
            ("teams/a-notes.md", "mine"),
            ("charts/mine.png", "mine"),
        ] {
            std::fs::write(dir.join(p), body).unwrap();
        }
        let files = vec![OutputFile {
            path: "review.md".into(),
            bytes: b"new".to_vec(),
        }];
        let changed = changes(&dir, &files);
        assert!(
            changed.contains(&"teams/a.md (removed)".to_owned())
                && !changed
                    .iter()
                    .any(|c| c.contains("a-notes") || c.contains("mine")),
            "{changed:?}"
        );
        stage(&dir, &files).unwrap().commit().unwrap();
        for gone in [
            "teams/a.md",
            "teams/a.html",
            "charts/mix.svg",
            "charts/team-a.svg",
        ] {
            assert!(!dir.join(gone).exists(), "{gone}");
        }
        for kept in ["teams/a-notes.md", "charts/mine.png"] {
            assert_eq!(std::fs::read(dir.join(kept)).unwrap(), b"mine", "{kept}");
        }
    }
}
