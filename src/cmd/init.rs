//! `govreview init DIR`: scaffolds a review repository in one command.

use std::io::Write;
use std::path::PathBuf;

use crate::actions::REGISTER_HEADER;
use crate::cli::InitArgs;
use crate::error::{Error, Result};
use crate::fsx::write_atomic;

const CONFIG: &str = include_str!("../../templates/init/govreview.toml");
const README: &str = include_str!("../../templates/init/README.md");
const GITIGNORE: &str = "# govreview staging folders and temporary files (a killed run's are removed by the next)\n.*.staging-*\n.*.tmp-*\n.*.old-*\n.govreview.lock\n";

/// Writes the scaffold's files that do not exist yet; an existing file (a README, a .gitignore,
/// a configuration) is never touched, and the command says which it kept.
pub fn run(args: &InitArgs, out: &mut dyn Write) -> Result<()> {
    let files: Vec<(PathBuf, &str)> = vec![
        (args.dir.join("govreview.toml"), CONFIG),
        (args.dir.join("reviews/actions.toml"), REGISTER_HEADER),
        (args.dir.join("data/.gitkeep"), ""),
        (args.dir.join(".gitignore"), GITIGNORE),
        (args.dir.join("README.md"), README),
    ];
    let (kept, new): (Vec<_>, Vec<_>) = files.iter().partition(|(p, _)| p.exists());
    let io = |e| Error::io("stdout", "cannot write", e);
    if new.is_empty() {
        writeln!(
            out,
            "{} is already a review repository: every file of the scaffold exists; nothing was written.",
            args.dir.display()
        )
        .map_err(io)?;
        return Ok(());
    }
    for (p, body) in &new {
        write_atomic(p, body.as_bytes())?;
    }
    writeln!(
        out,
        "Created a review repository in {}:",
        args.dir.display()
    )
    .map_err(io)?;
    for (p, _) in &new {
        writeln!(out, "  {}", p.display()).map_err(io)?;
    }
    for (p, _) in &kept {
        writeln!(out, "  {} (already there, kept as it is)", p.display()).map_err(io)?;
    }
    writeln!(
        out,
        "Next: put usage exports in data/, set owners and targets in govreview.toml, then run\n  govreview review --month YYYY-MM"
    )
    .map_err(io)
}
