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

/// Writes a command's whole output to standard output.
fn print(out: &mut dyn std::io::Write, bytes: &[u8]) -> crate::error::Result<()> {
    out.write_all(bytes)
        .map_err(|e| crate::error::Error::io("stdout", "cannot write", e))
}

/// The arguments of a command that shows a month without writing a pack.
trait MonthArgs {
    fn month(&self) -> Option<crate::month::Month>;
    fn register(&self) -> Option<&std::path::Path>;
    fn input(&self) -> &crate::cli::DataArgs;
    /// What a terminal shows meanwhile.
    fn doing(&self) -> &'static str;
}

macro_rules! month_args {
    ($($t:ty => $doing:literal),*) => {$(
        impl MonthArgs for $t {
            fn month(&self) -> Option<crate::month::Month> {
                self.month
            }
            fn register(&self) -> Option<&std::path::Path> {
                self.register.as_deref()
            }
            fn input(&self) -> &crate::cli::DataArgs {
                &self.input
            }
            fn doing(&self) -> &'static str {
                $doing
            }
        }
    )*};
}

month_args!(
    crate::cli::SummaryArgs => "reading usage and computing the review…",
    crate::cli::CheckArgs => "reading usage and computing the review…",
    crate::cli::BacklogArgs => "reading usage and computing the backlog…",
    crate::cli::CommitmentArgs => "reading usage and forecasting…"
);

/// The shared set-up of `summary`, `check`, `backlog` and `commitment`: the configuration's review
/// of the asked month with the register linked, read only (see [`crate::pipeline::month_review`]).
fn month_review(
    cfg: &crate::config::Config,
    args: &impl MonthArgs,
    as_of: chrono::NaiveDate,
    env: &crate::Env,
) -> crate::error::Result<crate::report::ReportModel> {
    crate::pipeline::month_review(
        cfg,
        args.month(),
        args.register(),
        &args.input().inputs(),
        as_of,
        env,
        args.doing(),
    )
}
