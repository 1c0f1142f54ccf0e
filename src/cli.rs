//! Command-line definitions (clap). No logic here.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::month::Month;

/// Monthly cost governance review for Claude (Anthropic API) spend.
///
/// Loads a month of usage plus the months before it, computes model mix, cache hit rate, batch
/// share and commitment utilization against their targets, and writes a review pack (Markdown,
/// HTML, JSON, charts) that ends in owned, dated actions.
#[derive(Debug, Parser)]
#[command(name = "govreview", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file.
    #[arg(
        long,
        short = 'c',
        global = true,
        default_value = "govreview.toml",
        value_name = "FILE"
    )]
    pub config: PathBuf,
    /// The date the review is made on (YYYY-MM-DD); fixes overdue actions and countdowns. Default: today (UTC).
    #[arg(long, global = true, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
    /// When to colour terminal output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// When to colour terminal output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute the month's governed numbers and write its review pack.
    Review(ReviewArgs),
}

/// Arguments of `govreview review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Month to review (YYYY-MM). Default: the month before --as-of.
    #[arg(long, short = 'm', value_name = "YYYY-MM", value_parser = parse_month)]
    pub month: Option<Month>,
    /// Usage file or glob (CSV, Parquet, NDJSON), in addition to the config's data.paths. Repeatable.
    #[arg(long, short = 'd', value_name = "PATH")]
    pub data: Vec<String>,
    /// Folder the pack is written under, as OUT/YYYY-MM/.
    #[arg(long, short = 'o', default_value = "reviews", value_name = "DIR")]
    pub out: PathBuf,
    /// Folder of templates that override the built-in ones, file by file.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn parse_month(s: &str) -> Result<Month, String> {
    s.parse()
}
