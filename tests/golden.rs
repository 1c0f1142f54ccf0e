//! Golden scenarios: each runs the binary and compares the whole pack, byte for byte.
//!
//! `tests/fixtures/<case>/` holds `govreview.toml`, its data, `args` (extra arguments) and
//! `expected/` (the pack). The bundled sample's expected pack is the committed example under
//! `reviews/2026-10/`. Set `GOVREVIEW_BLESS=1` to rewrite the expected files after an intended change.

use std::path::Path;

use crate::util::{files_below, govreview, root, run, stderr};

fn check_pack(config: &str, args: &[&str], month: &str, expected: &Path) {
    let out = tempfile::tempdir().unwrap();
    let o = run(govreview(&root())
        .args(["review", "--config", config, "--out"])
        .arg(out.path())
        .args(args));
    assert!(o.status.success(), "review failed: {}", stderr(&o));
    let produced = out.path().join(month);
    let got = files_below(&produced);
    if std::env::var_os("GOVREVIEW_BLESS").is_some() {
        if expected.exists() {
            std::fs::remove_dir_all(expected).unwrap();
        }
        for f in &got {
            let to = expected.join(f);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(produced.join(f), to).unwrap();
        }
        return;
    }
    let want = files_below(expected);
    assert_eq!(
        got,
        want,
        "the pack's files differ from {}",
        expected.display()
    );
    for f in &got {
        let a = std::fs::read(produced.join(f)).unwrap();
        let b = std::fs::read(expected.join(f)).unwrap();
        if a != b {
            let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
            let line = a
                .lines()
                .zip(b.lines())
                .position(|(x, y)| x != y)
                .map_or(0, |i| i + 1);
            panic!(
                "{} differs from {} (first difference at line {line}); rerun with GOVREVIEW_BLESS=1 if the change is intended",
                f.display(),
                expected.join(f).display()
            );
        }
    }
}

fn fixture(case: &str) {
    let dir = root().join("tests/fixtures").join(case);
    let args = std::fs::read_to_string(dir.join("args")).unwrap();
    let args: Vec<&str> = args.split_whitespace().collect();
    let month = args[args.iter().position(|a| *a == "--month").unwrap() + 1];
    let config = format!("tests/fixtures/{case}/govreview.toml");
    check_pack(&config, &args, month, &dir.join("expected"));
}

#[test]
fn sample_pack_regenerates_byte_identical() {
    check_pack(
        "sample-data/govreview.toml",
        &["--month", "2026-10", "--as-of", "2026-11-10"],
        "2026-10",
        &root().join("reviews/2026-10"),
    );
}

#[test]
fn tiny_hand_checked_case() {
    fixture("tiny");
}

#[test]
fn edge_first_month_without_commitment() {
    fixture("edge");
}
