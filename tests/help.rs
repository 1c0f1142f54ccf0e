//! Snapshot of every `--help`, so a change to the command line is always a visible diff.

use crate::util::{govreview, root, run, stdout};

fn help(args: &[&str]) -> String {
    let o = run(govreview(&root()).args(args).env("COLUMNS", "100"));
    assert!(o.status.success());
    stdout(&o)
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!(help(&["--help"]));
}

#[test]
fn review_help() {
    insta::assert_snapshot!(help(&["review", "--help"]));
}

#[test]
fn actions_help() {
    insta::assert_snapshot!(help(&["actions", "--help"]));
}

#[test]
fn check_help() {
    insta::assert_snapshot!(help(&["check", "--help"]));
}

#[test]
fn init_help() {
    insta::assert_snapshot!(help(&["init", "--help"]));
}

#[test]
fn fetch_help() {
    insta::assert_snapshot!(help(&["fetch", "--help"]));
}

#[test]
fn email_help() {
    insta::assert_snapshot!(help(&["email", "--help"]));
}

#[test]
fn sql_help() {
    insta::assert_snapshot!(help(&["sql", "--help"]));
}
