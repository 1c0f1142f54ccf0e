//! Integration tests: every scenario runs the real `govreview` binary.

mod actions;
mod architecture;
mod caniemail;
mod email;
mod errors;
mod export;
mod fetch;
mod golden;
mod help;
mod hostile;
mod hostile_fifth;
mod hostile_sixth;
mod review;
mod sql;
mod trust;
mod util;
