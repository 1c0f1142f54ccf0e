//! One file per subcommand.

pub mod review;
