//! `govreview init DIR`: scaffolds a review repository in one command.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::actions::REGISTER_HEADER;
use crate::cli::InitArgs;
use crate::error::{Error, Result};
use crate::fsx::write_atomic;

const CONFIG: &str = include_str!("../../templates/init/govreview.toml");
const README: &str = include_str!("../../templates/init/README.md");
const GITIGNORE: &str = "# govreview staging folders and temporary files (a killed run's are removed by the next)\n.*.staging-*\n.*.tmp-*\n.*.old-*\n.govreview.lock\n";

/// The scaffold's configuration, with the organisation's name and review owner when given (set
/// through `toml_edit`, so any text is quoted as TOML needs and the comments stay).
fn config(args: &InitArgs) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = CONFIG
        .parse()
        .map_err(|e| Error::Internal(format!("the built-in configuration: {e}")))?;
    let set = |doc: &mut toml_edit::DocumentMut, key: &str, flag: &str, v: &str| -> Result<()> {
        let v = v.trim();
        if v.is_empty() || v.chars().any(char::is_control) {
            return Err(Error::Usage(format!(
                "--{flag} is blank or holds a control character; give it as plain text, e.g. --{flag} \"{}\"",
                if flag == "name" {
                    "Acme"
                } else {
                    "Dana Whitfield"
                }
            )));
        }
        if flag == "name" && v.chars().count() > crate::config::MAX_ORG_NAME {
            return Err(Error::Usage(format!(
                "--name is {} characters long; give the organisation's name, at most {} characters",
                v.chars().count(),
                crate::config::MAX_ORG_NAME
            )));
        }
        if flag == "owner" && !crate::config::is_person(v, &Default::default(), &[]) {
            return Err(Error::Usage(format!(
                "--owner `{v}` does not name a person; give the name of whoever runs the review, e.g. --owner \"Dana Whitfield\""
            )));
        }
        let item = &mut doc["organization"][key];
        let decor = item
            .as_value()
            .map(|x| x.decor().clone())
            .unwrap_or_default();
        *item = toml_edit::value(v);
        if let Some(x) = item.as_value_mut() {
            *x.decor_mut() = decor;
        }
        Ok(())
    };
    if let Some(n) = &args.name {
        set(&mut doc, "name", "name", n)?;
    }
    if let Some(o) = &args.owner {
        set(&mut doc, "review_owner", "owner", o)?;
    }
    Ok(doc.to_string())
}

/// Runs git in `dir`; a failure names the command and what git said.
fn git(dir: &Path, args: &[&str]) -> Result<()> {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| {
            Error::Usage(format!(
                "the files are written, but `git {}` could not run ({e}); install git, or leave out --git",
                args.join(" ")
            ))
        })?;
    if !o.status.success() {
        let said = crate::secret::printable(&String::from_utf8_lossy(&o.stderr));
        let hint = if said.contains("tell me who you are") || said.contains("user.email") {
            " Set your name and email for git (git config --global user.name \"...\"; git config --global user.email ...), then run `git add -A && git commit` in the folder."
        } else {
            ""
        };
        return Err(Error::Usage(format!(
            "the files are written, but `git {}` in {} failed: {}.{hint}",
            args.join(" "),
            dir.display(),
            said.trim()
        )));
    }
    Ok(())
}

/// Writes the scaffold's files that do not exist yet; an existing file (a README, a .gitignore,
/// a configuration) is never touched, and the command says which it kept.
pub fn run(args: &InitArgs, out: &mut dyn Write) -> Result<()> {
    let config = config(args)?;
    let files: Vec<(PathBuf, &str)> = vec![
        (args.dir.join("govreview.toml"), config.as_str()),
        (args.dir.join("reviews/actions.toml"), REGISTER_HEADER),
        (args.dir.join("data/.gitkeep"), ""),
        (args.dir.join(".gitignore"), GITIGNORE),
        (args.dir.join("README.md"), README),
    ];
    let mut problems = Vec::new();
    for (p, _) in &files {
        if let Some(why) = not_writable(p) {
            problems.push(format!("{}: {why}", shown(p)));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Usage(format!(
            "init writes nothing: {}",
            problems.join("; ")
        )));
    }
    let (kept, new): (Vec<_>, Vec<_>) = files.iter().partition(|(p, _)| p.exists());
    let io = |e| Error::io("stdout", "cannot write", e);
    if new.is_empty() && !args.git {
        writeln!(
            out,
            "{} is already a review repository: every file of the scaffold exists; nothing was written.",
            shown(&args.dir)
        )
        .map_err(io)?;
        return Ok(());
    }
    for (p, body) in &new {
        write_atomic(p, body.as_bytes())?;
    }
    if args.git {
        if !args.dir.join(".git").exists() {
            git(&args.dir, &["init", "-q"])?;
        }
        git(&args.dir, &["add", "-A"])?;
        let staged = Command::new("git")
            .args(["diff", "--cached", "--quiet"])
            .current_dir(&args.dir)
            .status()
            .map(|s| !s.success())
            .unwrap_or(true);
        if staged {
            git(
                &args.dir,
                &["commit", "-q", "-m", "A govreview review repository"],
            )?;
        }
    }
    writeln!(
        out,
        "Created a review repository in {}{}:",
        shown(&args.dir),
        if args.git {
            " (a git repository, the scaffold committed)"
        } else {
            ""
        }
    )
    .map_err(io)?;
    for (p, _) in &new {
        writeln!(out, "  {}", shown(p)).map_err(io)?;
    }
    for (p, _) in &kept {
        writeln!(out, "  {} (already there, kept as it is)", shown(p)).map_err(io)?;
    }
    let mut todo = Vec::new();
    if args.name.is_none() || args.owner.is_none() {
        todo.push(
            "set organization.name and review_owner in govreview.toml (or pass --name and --owner)",
        );
    }
    writeln!(out, "Next:").map_err(io)?;
    let here = args.dir == Path::new(".") || args.dir.as_os_str().is_empty();
    if !here {
        writeln!(out, "  cd {}", shell_word(&args.dir.to_string_lossy())).map_err(io)?;
    }
    for t in todo {
        writeln!(out, "  # {t}").map_err(io)?;
    }
    writeln!(
        out,
        "  # put your usage in data/: a Console usage export, or `govreview fetch` (Analytics API)\n  govreview review\n  govreview check"
    )
    .map_err(io)
}

/// Why a scaffold file cannot be kept or created at `p`, if so: a link to nothing (writing would
/// create its target, outside the folder), or something other than a file where the file goes.
fn not_writable(p: &Path) -> Option<String> {
    let link = std::fs::symlink_metadata(p).ok()?;
    match std::fs::metadata(p) {
        Err(_) if link.file_type().is_symlink() => Some(format!(
            "is a link to {}, which does not exist; init does not create files through a link: remove the link, or create the file it points to",
            std::fs::read_link(p)
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "a path that cannot be read".into())
        )),
        Err(e) => Some(format!("cannot be read ({e})")),
        Ok(m) => crate::fsx::not_a_file(&m).map(|kind| {
            format!("is {kind}, not a file; move it away so that init can write the file there")
        }),
    }
}

/// A path on one line: a line break or other control in it written out (`\n`).
fn shown(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars().any(unprintable) {
        s.escape_debug().to_string()
    } else {
        s
    }
}

/// A control or bidirectional character: written out, never printed raw.
fn unprintable(c: char) -> bool {
    c.is_control() || crate::fmt::is_bidi(c)
}

/// A path as one shell word (quoted when it needs to be; with a control character, as bash's
/// `$'...'`, so that the command stays on one line).
pub(crate) fn shell_word(s: &str) -> String {
    // A leading `-` would be read as an option (`cd -dash`).
    if s.starts_with('-') {
        return shell_word(&format!("./{s}"));
    }
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        s.to_owned()
    } else if s.chars().any(unprintable) {
        let mut out = String::from("$'");
        for c in s.chars() {
            match c {
                '\'' => out.push_str("\\'"),
                '\\' => out.push_str("\\\\"),
                c if unprintable(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
