//! Tests of the file helpers (fsx.rs).

use super::*;

#[cfg(unix)]
#[test]
fn a_folder_that_is_a_symlink_or_under_a_file_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let elsewhere = d.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let link = d.path().join("2026-10");
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
    let e = StagedDir::new(&link).err().unwrap().to_string();
    assert!(e.contains("is a symlink"), "{e}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let file = d.path().join("out");
    std::fs::write(&file, "x").unwrap();
    let e = StagedDir::new(&file.join("2026-10"))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("is a file, not a folder"), "{e}");
}

#[test]
fn staged_dir_swaps_whole_and_keeps_hand_files() {
    let d = tempfile::tempdir().unwrap();
    let target = d.path().join("2026-10");
    std::fs::create_dir_all(target.join("charts")).unwrap();
    std::fs::write(target.join("review.md"), "old").unwrap();
    std::fs::write(target.join("charts/old.svg"), "old").unwrap();
    std::fs::write(target.join("notes.md"), "mine").unwrap();
    let s = StagedDir::new(&target).unwrap();
    s.write(Path::new("review.md"), b"new").unwrap();
    s.write(Path::new("charts/a.svg"), b"<svg/>").unwrap();
    s.carry_over(|p| !p.starts_with("charts")).unwrap();
    // Nothing changes before the commit.
    assert_eq!(std::fs::read(target.join("review.md")).unwrap(), b"old");
    s.commit().unwrap();
    assert_eq!(std::fs::read(target.join("review.md")).unwrap(), b"new");
    assert_eq!(std::fs::read(target.join("notes.md")).unwrap(), b"mine");
    assert!(!target.join("charts/old.svg").exists());
    let names: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["2026-10"], "no staging or old folder left");
}

#[test]
fn a_failure_after_the_swap_puts_the_old_folder_back() {
    // A pack that existed: the old one is back, nothing else is left.
    let d = tempfile::tempdir().unwrap();
    let target = d.path().join("2026-10");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("review.md"), "old").unwrap();
    let s = StagedDir::new(&target).unwrap();
    s.write(Path::new("review.md"), b"new").unwrap();
    let e = s
        .commit_then(|| Err(Error::Usage("the register cannot be written".into())))
        .unwrap_err();
    assert!(e.to_string().contains("the register cannot be written"));
    assert_eq!(std::fs::read(target.join("review.md")).unwrap(), b"old");
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    // A first pack: none is left.
    let first = d.path().join("2026-11");
    let s = StagedDir::new(&first).unwrap();
    s.write(Path::new("review.md"), b"new").unwrap();
    assert!(s.commit_then(|| Err(Error::Usage("no".into()))).is_err());
    assert!(!first.exists());
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
}

#[test]
fn a_dropped_stage_leaves_the_target_alone() {
    let d = tempfile::tempdir().unwrap();
    let target = d.path().join("m");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("a"), "old").unwrap();
    {
        let s = StagedDir::new(&target).unwrap();
        s.write(Path::new("a"), b"new").unwrap();
    }
    assert_eq!(std::fs::read(target.join("a")).unwrap(), b"old");
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
}

#[test]
fn stale_leftovers_are_cleaned_and_a_lost_folder_restored() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir_all(p.join(".2026-10.staging-123/charts")).unwrap();
    std::fs::write(p.join(".actions.toml.tmp-99"), "x").unwrap();
    std::fs::create_dir_all(p.join(".2026-09.old-77")).unwrap();
    std::fs::write(p.join(".2026-09.old-77/review.md"), "kept").unwrap();
    std::fs::create_dir_all(p.join(".2026-08.old-78")).unwrap();
    std::fs::create_dir_all(p.join("2026-08")).unwrap();
    std::fs::write(p.join(".hidden-by-a-person"), "x").unwrap();
    let _lock = RepoLock::acquire(p).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(p)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".hidden-by-a-person", "2026-08", "2026-09"]);
    assert_eq!(
        std::fs::read_to_string(p.join("2026-09/review.md")).unwrap(),
        "kept"
    );
}

#[test]
fn tidy_paths() {
    assert_eq!(
        tidy(Path::new("sample-data/../reviews")),
        PathBuf::from("reviews")
    );
    assert_eq!(tidy(Path::new("./a/./b")), PathBuf::from("a/b"));
    assert_eq!(tidy(Path::new("../x/y/..")), PathBuf::from("../x"));
}

#[test]
fn a_second_lock_waits_for_the_first() {
    let d = tempfile::tempdir().unwrap();
    let first = RepoLock::acquire(d.path()).unwrap();
    let dir = d.path().to_owned();
    let (tx, rx) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        let _second = RepoLock::acquire(&dir).unwrap();
        tx.send(()).unwrap();
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(rx.try_recv().is_err(), "the second run must wait");
    drop(first);
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    t.join().unwrap();
}

#[test]
fn write_atomic_replaces_whole() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("sub/actions.toml");
    write_atomic(&p, b"one").unwrap();
    write_atomic(&p, b"two").unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), b"two");
    assert_eq!(std::fs::read_dir(d.path().join("sub")).unwrap().count(), 1);
}
