//! One file per subcommand.

pub mod actions;
pub mod backlog;
pub mod check;
pub mod commitment;
pub mod email;
pub mod export;
pub mod fetch;
pub mod init;
pub mod review;
pub mod sql;
pub mod summary;
