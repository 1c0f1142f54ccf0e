//! `govreview init DIR`: scaffolds a review repository in one command.

use std::io::Write;
use std::path::PathBuf;

use crate::actions::{REGISTER_HEADER, write_atomic};
use crate::cli::InitArgs;
use crate::error::{Error, Result};

const CONFIG: &str = include_str!("../../templates/init/govreview.toml");
const README: &str = include_str!("../../templates/init/README.md");
const GITIGNORE: &str = "# govreview staging folders and temporary files\n.*.staging-*\n.*.tmp-*\n";

/// Writes the scaffold; refuses (and writes nothing) when any of its files already exists.
pub fn run(args: &InitArgs, out: &mut dyn Write) -> Result<()> {
    let files: Vec<(PathBuf, &str)> = vec![
        (args.dir.join("govreview.toml"), CONFIG),
        (args.dir.join("reviews/actions.toml"), REGISTER_HEADER),
        (args.dir.join("data/.gitkeep"), ""),
        (args.dir.join(".gitignore"), GITIGNORE),
        (args.dir.join("README.md"), README),
    ];
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(Error::Usage(format!(
            "{} already exist{}; nothing was written (init never overwrites a file)",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" }
        )));
    }
    for (p, body) in &files {
        write_atomic(p, body.as_bytes())?;
    }
    let io = |e| Error::io("stdout", "cannot write", e);
    writeln!(
        out,
        "Created a review repository in {}:",
        args.dir.display()
    )
    .map_err(io)?;
    for (p, _) in &files {
        writeln!(out, "  {}", p.display()).map_err(io)?;
    }
    writeln!(
        out,
        "Next: put usage exports in data/, set owners and targets in govreview.toml, then run\n  govreview review --month YYYY-MM"
    )
    .map_err(io)
}
