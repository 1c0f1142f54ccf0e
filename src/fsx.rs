//! Writing files people keep in git: whole or not at all, never two runs at once.
//!
//! - [`write_atomic`]: one file through a temporary file beside it and a rename.
//! - [`StagedDir`]: a whole folder staged beside its target and swapped in at once (on Linux
//!   with an atomic exchange of the two folders), so readers and a killed run never see a mix of
//!   old and new files.
//! - [`RepoLock`]: an exclusive lock on the review repository's output folder for the duration of
//!   a run that writes; the operating system releases it when the process ends, however it ends.
//! - Staging and temporary files left by a killed run are removed by the next run that takes the
//!   lock ([`RepoLock::acquire`]).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Name of the lock file in the output folder.
pub const LOCK_FILE: &str = ".govreview.lock";

/// How long a run waits for another run's lock before it gives up.
const LOCK_WAIT: Duration = Duration::from_secs(60);

/// `a/b/../c` as `a/c`: a path joined to a relative one, tidied for messages (lexically; a
/// leading `..` stays).
pub fn tidy(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.iter().collect()
}

fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned())
}

/// Writes a file through a temporary file beside it and a rename, so it is whole or untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    PendingFile::new(path, bytes)?.commit()
}

/// The file a path names for writing: a symbolic link is followed to the file it points at (the
/// link stays a link; relative links resolve from the link's folder), at most 40 links deep.
pub fn write_target(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_owned();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to =
                    std::fs::read_link(&p).map_err(|e| Error::io(&p, "cannot read link", e))?;
                p = if to.is_absolute() {
                    to
                } else {
                    parent_of(&p).join(to)
                };
            }
            _ => return Ok(p),
        }
    }
    Err(Error::Usage(format!(
        "{} is a chain of more than 40 symbolic links (a loop?); give the path of a file",
        path.display()
    )))
}

/// The file a path names once links and other spellings of its folder are resolved: two paths
/// with the same key are the same file.
fn file_key(p: &Path) -> Result<PathBuf> {
    let t = write_target(p)?;
    let dir = std::fs::canonicalize(parent_of(&t)).unwrap_or_else(|_| tidy(parent_of(&t)));
    Ok(dir.join(t.file_name().unwrap_or_default()))
}

/// Refuses an output path that names one of the files a command reads (`inputs`, such as the
/// usage data), before anything is written.
pub fn check_not_inputs(outputs: &[(&str, &Path)], inputs: &[PathBuf]) -> Result<()> {
    let keys: Vec<(PathBuf, &PathBuf)> = inputs
        .iter()
        .filter_map(|p| file_key(p).ok().map(|k| (k, p)))
        .collect();
    for (what, p) in outputs {
        let key = file_key(p)?;
        if let Some((_, input)) = keys.iter().find(|(k, _)| *k == key) {
            return Err(Error::Usage(format!(
                "{what} {} is {}, a file the review reads; give the output another path",
                p.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// Refuses output paths of one command that name the same file (directly, through a link, or
/// by another spelling of its folder), before anything is written.
pub fn check_distinct(paths: &[(&str, &Path)]) -> Result<()> {
    let mut seen: Vec<(&str, &Path, PathBuf)> = Vec::new();
    for (what, p) in paths {
        let key = file_key(p)?;
        if let Some((other, q, _)) = seen.iter().find(|(_, _, k)| *k == key) {
            return Err(Error::Usage(format!(
                "{other} {} and {what} {} are the same file; give each output its own path",
                q.display(),
                p.display()
            )));
        }
        seen.push((what, p, key));
    }
    Ok(())
}

/// What a path is when it is not a regular file ("a folder", "a named pipe", ...); None for a
/// regular file.
pub fn not_a_file(m: &std::fs::Metadata) -> Option<&'static str> {
    if m.is_dir() {
        Some("a folder")
    } else if m.is_file() {
        None
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            let t = m.file_type();
            Some(if t.is_fifo() {
                "a named pipe"
            } else if t.is_char_device() || t.is_block_device() {
                "a device"
            } else if t.is_socket() {
                "a socket"
            } else {
                "not a regular file"
            })
        }
        #[cfg(not(unix))]
        Some("not a regular file")
    }
}

/// The text of a file a person keeps (a configuration, a template): what is not a regular file
/// is refused before it is opened (a named pipe would wait for a writer forever). `what` names
/// the file in messages ("config").
pub fn read_text(path: &Path, what: &str) -> Result<String> {
    if let Some(kind) = std::fs::metadata(path).ok().as_ref().and_then(not_a_file) {
        return Err(Error::Usage(format!(
            "{} is {kind}, not a file; give the {what} file itself",
            path.display()
        )));
    }
    std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read", e))
}

/// Refuses a file that a write would replace when it is read-only (named with its mode) or not
/// a regular file; a path with nothing there passes.
pub fn check_replaceable(path: &Path) -> Result<()> {
    writable(path, path).map(|_| ())
}

/// Refuses to replace what is not a regular file a person may write: a folder, a named pipe, a
/// device or a socket, or a read-only file (named with its mode). Returns the mode to keep.
fn writable(path: &Path, shown: &Path) -> Result<Option<std::fs::Permissions>> {
    let Ok(m) = std::fs::metadata(path) else {
        return Ok(None);
    };
    if let Some(what) = not_a_file(&m) {
        return Err(Error::Usage(format!(
            "{} is {what}; govreview writes regular files only: give a file name",
            shown.display()
        )));
    }
    if m.permissions().readonly() {
        #[cfg(unix)]
        let mode = {
            use std::os::unix::fs::PermissionsExt;
            format!(" (mode {:04o})", m.permissions().mode() & 0o7777)
        };
        #[cfg(not(unix))]
        let mode = String::new();
        return Err(Error::Usage(format!(
            "{} is read-only{mode}; govreview does not replace it. Make it writable (chmod u+w) or write elsewhere",
            shown.display()
        )));
    }
    Ok(Some(m.permissions()))
}

/// Creates folder `dir` and its parents. When a file, a device or a link to nothing stands where
/// a folder must be, the error says which path it is and what it is.
pub fn create_folder(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        let mut parts: Vec<&Path> = dir
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .collect();
        parts.reverse();
        for a in parts {
            let Ok(link) = std::fs::symlink_metadata(a) else {
                break;
            };
            let (what, fix) = match std::fs::metadata(a) {
                Ok(m) if m.is_dir() => continue,
                Ok(m) => (
                    not_a_file(&m).unwrap_or("a file").to_owned(),
                    "give another path, or move it away",
                ),
                Err(_) if link.file_type().is_symlink() => (
                    format!(
                        "a link to {}, which does not exist",
                        std::fs::read_link(a)
                            .map_or_else(|_| "nothing".into(), |t| t.display().to_string())
                    ),
                    "create the folder it points to, or give another path",
                ),
                Err(_) => continue,
            };
            return Error::Usage(format!(
                "{} is {what}, where govreview needs a folder; {fix}",
                a.display()
            ));
        }
        Error::io(dir, "cannot create folder", e)
    })
}

/// Removes temporary files that a killed run left beside `target` (`.NAME.tmp-PID[-N]`, PID no
/// longer running). Only where running processes can be told (Linux).
fn clean_stale_temps(dir: &Path, target: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{}.tmp-", file_name(target));
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A temporary file name beside `target`, unique within this process.
fn temp_beside(target: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    parent_of(target).join(format!(
        ".{}.tmp-{}-{n}",
        file_name(target),
        std::process::id()
    ))
}

/// A file's new contents, written beside it and not yet in place: [`PendingFile::commit`] puts
/// it there with one rename; dropped without a commit, it is removed.
#[derive(Debug)]
pub struct PendingFile {
    path: PathBuf,
    tmp: PathBuf,
    committed: bool,
}

impl PendingFile {
    /// Writes `bytes` into a temporary file beside `path` (beside the file a link at `path`
    /// points at).
    pub fn new(path: &Path, bytes: &[u8]) -> Result<PendingFile> {
        let target = write_target(path)?;
        let dir = parent_of(&target);
        create_folder(dir)?;
        Self::streamed(path, |tmp| {
            use std::io::Write;
            let written = (|| {
                let mut f = File::create(tmp)?;
                f.write_all(bytes)?;
                f.sync_all()
            })();
            written.map_err(|e| Error::io(path, "cannot write", e))
        })
    }

    /// A file written by `write` at a temporary path beside `path` (for contents streamed to
    /// disk rather than held in memory); not yet in place. The folder must exist. A link at
    /// `path` is written through (the link stays); a path that is not a regular file, or a
    /// read-only file, is refused before anything is written; the file's mode is kept.
    pub fn streamed(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<PendingFile> {
        let target = write_target(path)?;
        let mode = writable(&target, path)?;
        clean_stale_temps(parent_of(&target), &target);
        let tmp = temp_beside(&target);
        let pending = PendingFile {
            path: target,
            tmp: tmp.clone(),
            committed: false,
        };
        // On an error the pending file is dropped, and its temporary file with it; the error
        // names the file asked for, not the temporary one.
        write(&tmp).map_err(|e| match e {
            Error::Io {
                path: p,
                action,
                source,
            } if p == tmp => Error::Io {
                path: path.to_owned(),
                action,
                source,
            },
            e => e,
        })?;
        if let Some(mode) = mode {
            std::fs::set_permissions(&tmp, mode).map_err(|e| Error::io(path, "cannot write", e))?;
        }
        Ok(pending)
    }

    /// Puts the new contents in place.
    pub fn commit(mut self) -> Result<()> {
        std::fs::rename(&self.tmp, &self.path)
            .map_err(|e| Error::io(&self.path, "cannot write", e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// A folder being built beside its target, swapped in whole by [`StagedDir::commit`]. Dropped
/// without a commit, it removes itself and leaves the target as it was.
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Starts staging a new version of `target`.
    pub fn new(target: &Path) -> Result<StagedDir> {
        let parent = parent_of(target);
        if parent.exists() && !parent.is_dir() {
            return Err(Error::Usage(format!(
                "{} is a file, not a folder; name a folder to write into (or move the file away)",
                parent.display()
            )));
        }
        create_folder(parent)?;
        if std::fs::symlink_metadata(target).is_ok_and(|m| m.file_type().is_symlink()) {
            let to = std::fs::read_link(target).unwrap_or_default();
            return Err(Error::Usage(format!(
                "{} is a symlink (to {}); it is written as a whole new folder, which would replace the link. Remove the link, or write to the folder it points at with --out",
                target.display(),
                to.display()
            )));
        }
        if target.exists() && !target.is_dir() {
            return Err(Error::Usage(format!(
                "{} is a file, not a folder; move it away so the folder can be written there",
                target.display()
            )));
        }
        let staging = parent.join(format!(
            ".{}.staging-{}",
            file_name(target),
            std::process::id()
        ));
        if staging.exists() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        std::fs::create_dir_all(&staging)
            .map_err(|e| Error::io(&staging, "cannot create folder", e))?;
        Ok(StagedDir {
            target: target.to_owned(),
            staging,
            committed: false,
        })
    }

    /// Writes one file of the new folder (`rel` is relative to it).
    pub fn write(&self, rel: &Path, bytes: &[u8]) -> Result<()> {
        let p = self.staging.join(rel);
        if let Some(d) = p.parent() {
            create_folder(d)?;
        }
        std::fs::write(&p, bytes).map_err(|e| Error::io(self.target.join(rel), "cannot write", e))
    }

    /// Copies the files of the current folder that `keep` accepts (relative paths) into the new
    /// one, unless the new one already has them: files a person put there survive the swap.
    pub fn carry_over(&self, keep: impl Fn(&Path) -> bool) -> Result<()> {
        if !self.target.is_dir() {
            return Ok(());
        }
        let mut stack = vec![PathBuf::new()];
        while let Some(rel) = stack.pop() {
            let dir = self.target.join(&rel);
            let rd = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, "cannot list", e))?;
            for entry in rd.flatten() {
                let r = rel.join(entry.file_name());
                let from = entry.path();
                // What the entry is itself: a link is carried as a link, never followed (a link
                // to a folder elsewhere must not become a copy of that folder in the pack).
                let meta = std::fs::symlink_metadata(&from)
                    .map_err(|e| Error::io(&from, "cannot read", e))?;
                let link = meta.file_type().is_symlink();
                if meta.is_dir() {
                    stack.push(r);
                    continue;
                }
                let to = self.staging.join(&r);
                if !keep(&r) || std::fs::symlink_metadata(&to).is_ok() {
                    continue;
                }
                if !link && let Some(kind) = not_a_file(&meta) {
                    return Err(Error::Usage(format!(
                        "{} is {kind}; a review folder keeps files, folders and links only: remove it and run the review again",
                        from.display()
                    )));
                }
                if let Some(d) = to.parent() {
                    create_folder(d)?;
                }
                if link {
                    let target = std::fs::read_link(&from)
                        .map_err(|e| Error::io(&from, "cannot read link", e))?;
                    #[cfg(unix)]
                    std::os::unix::fs::symlink(&target, &to)
                        .map_err(|e| Error::io(&to, "cannot create link", e))?;
                    #[cfg(not(unix))]
                    std::fs::copy(&from, &to).map_err(|e| Error::io(&from, "cannot copy", e))?;
                } else {
                    std::fs::copy(&from, &to).map_err(|e| Error::io(&from, "cannot copy", e))?;
                }
            }
        }
        Ok(())
    }

    /// Puts the new folder in place of the old one at once and removes the old one.
    pub fn commit(self) -> Result<()> {
        self.commit_then(|| Ok(()))
    }

    /// Swaps the folder in, then runs `then` (the register's rename): if `then` fails, the old
    /// folder (or none) is put back, so that the two are written together or not at all.
    pub fn commit_then(mut self, then: impl FnOnce() -> Result<()>) -> Result<()> {
        let undo = swap_in(&self.staging, &self.target)?;
        self.committed = true;
        if let Err(e) = then() {
            match &undo {
                // The staging path holds the old folder: exchange them back.
                Undo::Exchanged => {
                    let _ = swap_in(&self.staging, &self.target);
                }
                Undo::Moved { old } => {
                    let _ = std::fs::rename(&self.target, &self.staging);
                    if let Some(old) = old {
                        let _ = std::fs::rename(old, &self.target);
                    }
                }
            }
            let _ = std::fs::remove_dir_all(&self.staging);
            return Err(e);
        }
        match undo {
            Undo::Moved { old: Some(old) } => {
                let _ = std::fs::remove_dir_all(&old);
            }
            // After an exchange the staging path holds the old folder.
            _ => {
                if self.staging.exists() {
                    let _ = std::fs::remove_dir_all(&self.staging);
                }
            }
        }
        Ok(())
    }
}

/// How a swap is undone.
enum Undo {
    /// The two folders were exchanged in one step.
    Exchanged,
    /// The new folder was moved in; the old one (if any) waits aside.
    Moved { old: Option<PathBuf> },
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed && self.staging.exists() {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Moves `staging` to `target`. When `target` exists, the two are exchanged in one step where the
/// system can (Linux); elsewhere the old folder is first renamed aside (`.NAME.old-PID`, which
/// [`clean_stale`] puts back if a run is killed between the two renames).
fn swap_in(staging: &Path, target: &Path) -> Result<Undo> {
    if !target.exists() {
        std::fs::rename(staging, target).map_err(|e| Error::io(target, "cannot write", e))?;
        return Ok(Undo::Moved { old: None });
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(Undo::Exchanged),
            // Some file systems cannot exchange; fall through to two renames.
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => {
                return Err(Error::io(
                    target,
                    "cannot replace",
                    std::io::Error::from_raw_os_error(e.raw_os_error()),
                ));
            }
        }
    }
    let old = parent_of(target).join(format!(".{}.old-{}", file_name(target), std::process::id()));
    std::fs::rename(target, &old).map_err(|e| Error::io(target, "cannot replace", e))?;
    if let Err(e) = std::fs::rename(staging, target) {
        let _ = std::fs::rename(&old, target);
        return Err(Error::io(target, "cannot write", e));
    }
    Ok(Undo::Moved { old: Some(old) })
}

/// Removes what killed runs left in `dir`: staging folders and temporary files. An old folder put
/// aside for a swap is restored when its replacement never arrived, else removed. Call it only
/// while holding the [`RepoLock`] of `dir`.
pub fn clean_stale(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix('.') else {
            continue;
        };
        let p = entry.path();
        let stale = [".staging-", ".tmp-", ".old-"]
            .iter()
            .find_map(|m| rest.rsplit_once(m).map(|(base, pid)| (*m, base, pid)));
        let Some((marker, base, pid)) = stale else {
            continue;
        };
        // `PID` or `PID-N` (a process's N-th temporary file).
        let pid = pid.split('-').next().unwrap_or("");
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if marker == ".old-" && !dir.join(base).exists() {
            let _ = std::fs::rename(&p, dir.join(base));
        } else if p.is_dir() {
            let _ = std::fs::remove_dir_all(&p);
        } else {
            let _ = std::fs::remove_file(&p);
        }
    }
}

/// An exclusive lock on a review repository's output folder, held until dropped.
#[derive(Debug)]
pub struct RepoLock {
    _file: File,
    /// The folder, when this lock created it (removed again if the run left it empty).
    created: Option<PathBuf>,
}

impl Drop for RepoLock {
    fn drop(&mut self) {
        if let Some(d) = &self.created {
            // Fails, as it should, unless the folder is still empty.
            let _ = std::fs::remove_dir(d);
        }
    }
}

impl RepoLock {
    /// Takes the lock of `dir` (created if missing), waiting up to a minute for another run to
    /// finish; then cleans what killed runs left behind. The folder itself is locked where the
    /// system allows it (no file is added to the repository); elsewhere a `.govreview.lock` file
    /// in it is.
    pub fn acquire(dir: &Path) -> Result<RepoLock> {
        let created = (!dir.exists()).then(|| dir.to_owned());
        create_folder(dir)?;
        let path = dir.join(LOCK_FILE);
        let file = match File::open(dir) {
            Ok(f) if cfg!(unix) => f,
            _ => std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| Error::io(&path, "cannot open the lock file", e))?,
        };
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Input(format!(
                        "another govreview run has been writing to {} for over {} s; wait for it to finish and run the command again",
                        dir.display(),
                        LOCK_WAIT.as_secs()
                    )));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Error::io(&path, "cannot lock", e));
                }
            }
        }
        clean_stale(dir);
        Ok(RepoLock {
            _file: file,
            created,
        })
    }
}

#[cfg(test)]
#[path = "fsx_tests.rs"]
mod tests;
