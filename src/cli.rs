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

/// The help heading of the options every command takes.
const GLOBAL: &str = "Global options";

impl Cli {
    /// Whether the command was asked to print nothing but errors.
    pub fn quiet(&self) -> bool {
        match &self.command {
            Command::Review(a) => a.quiet,
            Command::Email(a) => a.quiet,
            Command::Fetch(a) => a.quiet,
            _ => false,
        }
    }
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
        value_name = "FILE",
        help_heading = GLOBAL
    )]
    pub config: PathBuf,
    /// The date the review is made on (YYYY-MM-DD); fixes overdue actions and countdowns. Default: today (UTC).
    #[arg(long, global = true, value_name = "DATE", value_parser = parse_date, help_heading = GLOBAL, env = "GOVREVIEW_AS_OF")]
    pub as_of: Option<NaiveDate>,
    /// When to colour terminal output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, help_heading = GLOBAL)]
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
    /// List, add, assign, close, validate or show actions of the register.
    #[command(subcommand)]
    Actions(ActionsCommand),
    /// Gate for a pull request: exit 1 when an action lacks an owner or due date, is overdue, or a
    /// finding has no action.
    Check(CheckArgs),
    /// Scaffold a new review repository (config, empty register, reviews/, .gitignore, README).
    Init(InitArgs),
    /// Fetch usage and cost pages from the Usage and Cost Analytics API into
    /// data/anthropic/YYYY-MM/ (key from ANTHROPIC_ADMIN_KEY or ANTHROPIC_ANALYTICS_KEY).
    Fetch(FetchArgs),
    /// Email the review: write it as an .eml file and/or send it over SMTP.
    Email(EmailArgs),
    /// Print the month's optimization backlog, ranked by dollars a year per week of effort,
    /// without writing a pack.
    Backlog(BacklogArgs),
    /// Print the commitment's forecast to the end of its term (with its backtest) and the sizing
    /// of the next commitment, without writing a pack.
    Commitment(CommitmentArgs),
    /// Export FOCUS 1.2 cost and usage rows, the FOCUS 1.3 commitment dataset, the chargeback and
    /// budgets files, for finance.
    Export(ExportArgs),
    /// Print the month's five-line summary (as summary.txt in the pack), for a chat channel.
    Summary(SummaryArgs),
    /// Print the SQL that computes the daily usage cube where the data lives (DuckDB, Spark,
    /// BigQuery, Snowflake, Postgres, Trino); its result is a --data input as it stands.
    Sql(SqlArgs),
}

/// The engine `govreview sql` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqlDialect {
    /// DuckDB.
    Duckdb,
    /// Apache Spark SQL, Databricks.
    Spark,
    /// Google BigQuery.
    Bigquery,
    /// Snowflake.
    Snowflake,
    /// PostgreSQL.
    Postgres,
    /// Trino, Presto, Amazon Athena.
    Trino,
}

/// Arguments of `govreview sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The engine's SQL dialect.
    #[arg(long, value_enum, value_name = "DIALECT")]
    pub dialect: SqlDialect,
    /// The table or view of per-request (or already aggregated) rows, dotted parts quoted one by
    /// one (schema.table, project.dataset.table). Default: [warehouse] table.
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// First UTC day to include (YYYY-MM-DD). Default: no lower bound.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<NaiveDate>,
    /// Last UTC day to include (YYYY-MM-DD). Default: no upper bound.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<NaiveDate>,
}

/// Arguments of `govreview summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Month to summarize (YYYY-MM). Default: the month before --as-of.
    #[arg(long, short = 'm', value_name = "YYYY-MM", value_parser = parse_month)]
    pub month: Option<Month>,
    /// Data beyond the config's data.paths.
    #[command(flatten)]
    pub input: DataArgs,
    /// The action register (read for overdue actions). Default: the config's output.register.
    #[arg(long, value_name = "FILE")]
    pub register: Option<PathBuf>,
}

/// Arguments of `govreview export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The (last) month to export (YYYY-MM). Default: the month before --as-of.
    #[arg(long, short = 'm', value_name = "YYYY-MM", value_parser = parse_month)]
    pub month: Option<Month>,
    /// How many months, ending with --month.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=36))]
    pub months: u32,
    /// Write FOCUS cost and usage rows to this file (.csv or .parquet), loaded by finance tools:
    /// values exactly as they are.
    #[arg(long, value_name = "FILE")]
    pub focus: Option<PathBuf>,
    /// The FOCUS version of --focus: 1.2, or 1.0 for loaders that need the old shape.
    #[arg(long, value_enum, value_name = "VERSION", default_value = "1.2")]
    pub focus_version: FocusVersion,
    /// Write the FOCUS 1.3 Contract Commitment dataset to this file (.csv or .parquet): the
    /// configured commitment, its term, what was consumed and where it is heading.
    #[arg(long, value_name = "FILE")]
    pub commitments: Option<PathBuf>,
    /// Write the chargeback file (month x team x app) to this file (.csv), for spreadsheets:
    /// formula-like names are escaped.
    #[arg(long, value_name = "FILE")]
    pub chargeback: Option<PathBuf>,
    /// Write the budgets (organisation, teams, apps) beside the spend they cover to this file
    /// (.csv).
    #[arg(long, value_name = "FILE")]
    pub budgets: Option<PathBuf>,
    /// Data beyond the config's data.paths.
    #[command(flatten)]
    pub input: DataArgs,
}

/// The FOCUS version of `govreview export --focus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FocusVersion {
    /// FOCUS 1.2.
    #[value(name = "1.2")]
    V1_2,
    /// FOCUS 1.0.
    #[value(name = "1.0")]
    V1_0,
}

/// Output format of `govreview commitment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CommitmentFormat {
    /// Readable tables.
    Table,
    /// JSON, for scripts (the `commitment` and `next_commitment` of metrics.json).
    Json,
    /// CSV: the candidate commitments, one row each.
    Csv,
}

/// Arguments of `govreview commitment`.
#[derive(Debug, Args)]
pub struct CommitmentArgs {
    /// Month whose end the figures are of (YYYY-MM). Default: the month before --as-of.
    #[arg(long, short = 'm', value_name = "YYYY-MM", value_parser = parse_month)]
    pub month: Option<Month>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CommitmentFormat::Table)]
    pub format: CommitmentFormat,
    /// Data beyond the config's data.paths.
    #[command(flatten)]
    pub input: DataArgs,
    /// The action register (read only: validated items count in the optimized floor). Default:
    /// the config's output.register.
    #[arg(long, value_name = "FILE")]
    pub register: Option<PathBuf>,
}

/// Output format of `govreview backlog`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BacklogFormat {
    /// A readable table.
    Table,
    /// JSON, for scripts (the `backlog` and `optimized_floor` of metrics.json).
    Json,
    /// CSV, for a spreadsheet (one row per item, money to the cent).
    Csv,
}

/// Arguments of `govreview backlog`.
#[derive(Debug, Args)]
pub struct BacklogArgs {
    /// Month whose backlog to print (YYYY-MM). Default: the month before --as-of.
    #[arg(long, short = 'm', value_name = "YYYY-MM", value_parser = parse_month)]
    pub month: Option<Month>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = BacklogFormat::Table)]
    pub format: BacklogFormat,
    /// Data beyond the config's data.paths.
    #[command(flatten)]
    pub input: DataArgs,
    /// The action register, read to show which action carries out each item. Default: the
    /// config's output.register.
    #[arg(long, value_name = "FILE")]
    pub register: Option<PathBuf>,
}

/// Arguments of `govreview email`.
#[derive(Debug, Args)]
pub struct EmailArgs {
    /// Month whose review to send (YYYY-MM). Default: the month before --as-of.
    #[arg(long, short = 'm', value_name = "YYYY-MM", value_parser = parse_month)]
    pub month: Option<Month>,
    /// Write the message to this file (a dry run to open in a mail client).
    #[arg(long, value_name = "FILE")]
    pub eml: Option<PathBuf>,
    /// Send the message over SMTP.
    #[arg(long)]
    pub send: bool,
    /// Recipient, instead of email.to (repeatable).
    #[arg(long, value_name = "ADDR")]
    pub to: Vec<String>,
    /// Sender, instead of email.from.
    #[arg(long, value_name = "ADDR")]
    pub from: Option<String>,
    /// Send a team's slice (its KPIs, findings and actions) to its lead (teams.<T>.email).
    #[arg(long, value_name = "TEAM")]
    pub team: Option<String>,
    /// SMTP server, instead of email.smtp_host.
    #[arg(long, value_name = "HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port, instead of email.smtp_port.
    #[arg(long, value_name = "PORT")]
    pub smtp_port: Option<u16>,
    /// Connection security, instead of email.tls.
    #[arg(long, value_enum)]
    pub tls: Option<crate::config::TlsMode>,
    /// Extra CA certificate (PEM) to trust, instead of email.ca_cert.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Do not attach review.md and metrics.json.
    #[arg(long)]
    pub no_attachments: bool,
    /// Data beyond the config's data.paths.
    #[command(flatten)]
    pub input: DataArgs,
    /// Folder the packs are under. Default: the config's output.dir (reviews/ beside the config).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The action register. Default: the config's output.register (OUT/actions.toml).
    #[arg(long, value_name = "FILE")]
    pub register: Option<PathBuf>,
    /// Folder of templates that override the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Arguments of `govreview fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Last month to fetch (YYYY-MM). Default: the month before --as-of.
    #[arg(long, short = 'm', value_name = "YYYY-MM", value_parser = parse_month)]
    pub month: Option<Month>,
    /// How many months, ending with --month (1 to 36; the Analytics API serves the last 365 days).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=36))]
    pub months: u32,
    /// Folder the pages go to, as OUT/YYYY-MM/usage-NNN.json and cost-NNN.json. Default:
    /// data/anthropic beside the configuration file (or in the current folder when there is none).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The API's address (https, or http to loopback only).
    #[arg(long, default_value = crate::fetch::DEFAULT_BASE_URL, value_name = "URL")]
    pub base_url: String,
    /// Which API: the Usage and Cost Analytics API, or the legacy Admin API reports.
    #[arg(long, value_enum, default_value_t = ApiChoice::Analytics, value_name = "API")]
    pub api: ApiChoice,
    /// Fetch usage only, not costs.
    #[arg(long)]
    pub no_costs: bool,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// The API `govreview fetch` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiChoice {
    /// The Usage and Cost Analytics API (/v1/organizations/analytics/usage and /cost): Admin API
    /// keys and Claude Enterprise Analytics API keys; the last 365 days, from 2026-01-01.
    Analytics,
    /// The legacy Admin API reports (usage_report/messages and cost_report): Admin API keys.
    Legacy,
}

/// Usage data given on the command line.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Usage or cost file, folder or glob, in addition to the config's data.paths. Repeatable.
    #[arg(long, short = 'd', value_name = "PATH")]
    pub data: Vec<String>,
    /// What the --data files hold; by default detected from their content.
    #[arg(long = "data-format", value_name = "KIND", value_enum, default_value_t = DataFormat::Auto)]
    pub data_format: DataFormat,
}

/// What `--data` files hold, when detection by content is not wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    /// Detect by content (JSON pages by their results, CSV by its header).
    Auto,
    /// The canonical usage schema (CSV, Parquet, NDJSON).
    Canonical,
    /// Console usage export (CSV).
    ConsoleUsage,
    /// Console cost export (CSV).
    ConsoleCost,
    /// Usage and Cost Analytics API usage pages (JSON).
    AnalyticsUsage,
    /// Usage and Cost Analytics API cost pages (JSON).
    AnalyticsCost,
    /// Legacy Admin API usage-report pages (JSON).
    UsageReport,
    /// Legacy Admin API cost-report pages (JSON).
    CostReport,
}

impl DataArgs {
    /// The inputs these arguments name.
    pub fn inputs(&self) -> crate::pipeline::Inputs {
        crate::pipeline::Inputs {
            paths: self.data.clone(),
            kind: self.data_format.kind(),
        }
    }
}

impl DataFormat {
    /// The kind it names (None: detect).
    pub fn kind(self) -> Option<crate::anthropic::Kind> {
        use crate::anthropic::Kind;
        match self {
            DataFormat::Auto => None,
            DataFormat::Canonical => Some(Kind::Canonical),
            DataFormat::ConsoleUsage => Some(Kind::ConsoleUsage),
            DataFormat::ConsoleCost => Some(Kind::ConsoleCost),
            DataFormat::UsageReport => Some(Kind::UsageReport),
            DataFormat::CostReport => Some(Kind::CostReport),
            DataFormat::AnalyticsUsage => Some(Kind::AnalyticsUsage),
            DataFormat::AnalyticsCost => Some(Kind::AnalyticsCost),
        }
    }
}

/// Output format of list-like commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable table.
    Table,
    /// JSON, for scripts.
    Json,
}

/// Which actions to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFilter {
    /// Open (including overdue).
    Open,
    /// Open and past due on --as-of.
    Overdue,
    /// Done.
    Done,
    /// Dropped.
    Dropped,
    /// Closed: done or dropped.
    Closed,
    /// Every action.
    All,
}

/// Where the register lives.
#[derive(Debug, Args)]
pub struct RegisterArg {
    /// The action register. Default: the config's output.register (reviews/actions.toml beside
    /// the config).
    #[arg(long, value_name = "FILE")]
    pub register: Option<PathBuf>,
}

/// `govreview actions ...`
#[derive(Debug, Subcommand)]
pub enum ActionsCommand {
    /// List actions.
    List {
        /// Which actions.
        #[arg(long, value_enum, default_value_t = StatusFilter::Open)]
        status: StatusFilter,
        /// Only this owner's.
        #[arg(long)]
        owner: Option<String>,
        /// Only this team's (team or scope).
        #[arg(long)]
        team: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// The register.
        #[command(flatten)]
        register: RegisterArg,
    },
    /// Add an action by hand.
    Add {
        /// What to do.
        #[arg(long)]
        title: String,
        /// Who owns it (a person).
        #[arg(long)]
        owner: String,
        /// Due date (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        due: NaiveDate,
        /// The metric of the finding it addresses (e.g. cache_hit_rate).
        #[arg(long)]
        finding: Option<String>,
        /// The team it concerns (also its scope); default: the organisation.
        #[arg(long)]
        team: Option<String>,
        /// Review month it belongs to. Default: the month before --as-of.
        #[arg(long, value_parser = parse_month)]
        month: Option<Month>,
        /// A first note.
        #[arg(long)]
        note: Option<String>,
        /// The register.
        #[command(flatten)]
        register: RegisterArg,
    },
    /// Set an action's owner (and due date).
    Assign {
        /// Action ID (A-0007).
        id: String,
        /// New owner (a person).
        #[arg(long)]
        owner: String,
        /// New due date (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        due: Option<NaiveDate>,
        /// The register.
        #[command(flatten)]
        register: RegisterArg,
    },
    /// Close an action as done (or dropped) on --as-of.
    Close {
        /// Action ID (A-0007).
        id: String,
        /// Close it as dropped rather than done.
        #[arg(long)]
        dropped: bool,
        /// A note on how it ended (appended, dated).
        #[arg(long)]
        note: Option<String>,
        /// The register.
        #[command(flatten)]
        register: RegisterArg,
    },
    /// Record that an action's change passed its quality check: from then its backlog item
    /// counts in the optimized floor.
    Validate {
        /// Action ID (A-0007).
        id: String,
        /// The day it passed (YYYY-MM-DD). Default: --as-of.
        #[arg(long, value_parser = parse_date)]
        on: Option<NaiveDate>,
        /// How it was checked: the evaluation and its result (appended to the notes, dated).
        #[arg(long)]
        note: String,
        /// The register.
        #[command(flatten)]
        register: RegisterArg,
    },
    /// Show one action.
    Show {
        /// Action ID (A-0007).
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// The register.
        #[command(flatten)]
        register: RegisterArg,
    },
}

/// Arguments of `govreview check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Month whose findings must all have actions (YYYY-MM). Default: the month before --as-of.
    #[arg(long, short = 'm', value_name = "YYYY-MM", value_parser = parse_month)]
    pub month: Option<Month>,
    /// Data beyond the config's data.paths.
    #[command(flatten)]
    pub input: DataArgs,
    /// The action register. Default: the config's output.register (reviews/actions.toml beside
    /// the config).
    #[arg(long, value_name = "FILE")]
    pub register: Option<PathBuf>,
}

/// Arguments of `govreview init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder of the new review repository (created if missing; existing files are never touched).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The organisation's name, written into the new govreview.toml.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The person who runs the review (owns organisation-wide actions), written into the new
    /// govreview.toml.
    #[arg(long, value_name = "PERSON")]
    pub owner: Option<String>,
    /// Make the folder a git repository and commit the scaffold (`git init`, `git add`,
    /// `git commit`).
    #[arg(long)]
    pub git: bool,
}

/// Arguments of `govreview review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Month to review (YYYY-MM). Default: the month before --as-of.
    #[arg(long, short = 'm', value_name = "YYYY-MM", value_parser = parse_month)]
    pub month: Option<Month>,
    /// Data beyond the config's data.paths.
    #[command(flatten)]
    pub input: DataArgs,
    /// Folder the pack is written under, as OUT/YYYY-MM/. Default: the config's output.dir
    /// (reviews/ beside the config).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Folder of templates that override the built-in ones, file by file.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// The action register. Default: the config's output.register (OUT/actions.toml).
    #[arg(long, value_name = "FILE")]
    pub register: Option<PathBuf>,
    /// Rewrite the pack of a past month (one with a later month's pack beside it) when the run
    /// would change it. Without it, such a pack is left as it was and the run says what would
    /// change.
    #[arg(long)]
    pub rewrite: bool,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn parse_month(s: &str) -> Result<Month, String> {
    s.parse()
}

/// A calendar date, with a message that says the format when it is not one.
/// Years outside 2000 to 2099 are refused, as in the data: a mistyped year.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date; write it as YYYY-MM-DD (e.g. 2026-11-10)"))?;
    if !(2000..=2099).contains(&chrono::Datelike::year(&d)) {
        return Err(format!(
            "`{s}` is outside the years govreview works with (2000 to 2099); check the year"
        ));
    }
    Ok(d)
}
