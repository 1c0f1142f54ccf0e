//! One file per subcommand.

pub mod actions;
pub mod check;
pub mod init;
pub mod review;
