//! Integration tests: every scenario runs the real `govreview` binary.

mod actions;
mod errors;
mod golden;
mod help;
mod review;
mod util;
