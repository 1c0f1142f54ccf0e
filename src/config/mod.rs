//! The configuration file (`govreview.toml`): parse, then validate, then report every problem at
//! once with `file:line:column`.
//!
//! Defaults (each written down here and in the README's configuration reference):
//! - `organization.review_day = 10`: reviews are held on the 10th of the month after the review
//!   month; proposed actions are due at the next review.
//! - `pricing.discount = 0`: no contract discount.
//! - `pricing.reconcile_tolerance = 0.02`: billed and computed cost may differ by 2% unremarked.
//! - `targets.drift_tolerance = 0.02` (2 percentage points for shares, 0.02 for pacing).
//! - no target is set unless configured; a KPI without a target is shown, never "missed".
//! - `data.paths = []`: data may come from `--data` alone.
//! - `output.dir = "reviews"`, `output.register = "<output.dir>/actions.toml"`: both relative to
//!   the configuration file, like data paths, so a run from another folder reads and writes the
//!   same repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::diag::{self, Locator, Problem};

pub mod backlog;
pub mod renewal;
pub mod targets;
pub mod warehouse;

mod validate;
use validate::validate;

pub use backlog::{Backlog, Defaults, Lever};
pub use renewal::{Band, Overage, Renewal};
pub use warehouse::{TimeType, Warehouse};

use crate::error::{Error, Result};
use crate::pricing::{FamilyRules, PriceTable};
pub use targets::Targets;

pub use crate::metrics::Commitment;

/// Default tolerance between billed and computed cost: 2%.
pub const DEFAULT_RECONCILE_TOLERANCE: f64 = 0.02;
/// Default folder of the month packs, relative to the configuration file.
pub const DEFAULT_OUT_DIR: &str = "reviews";
/// File name of the action register inside the output folder.
pub const REGISTER_FILE: &str = "actions.toml";
/// Default day of the month on which reviews are held.
pub const DEFAULT_REVIEW_DAY: u32 = 10;

/// The largest amount of money a configuration value may give (budgets, commitments, bands): a
/// trillion US dollars. Larger values are a unit mistake, and bounding them keeps every sum and
/// every printed figure exact.
pub const MAX_USD: f64 = 1e12;

/// What is wrong with an amount of money from the configuration, if anything.
pub fn money_problem(v: f64, what: &str) -> Option<String> {
    let shown = crate::fmt::num_or_raw(v);
    if !v.is_finite() || v < 0.0 {
        Some(format!(
            "{shown} is not {what}; give an amount in USD, 0 or more"
        ))
    } else if v > MAX_USD {
        Some(format!(
            "{shown} is more than govreview accepts as {what} (USD {}); check the unit (USD, not cents)",
            crate::fmt::usd_whole(MAX_USD)
        ))
    } else {
        None
    }
}

/// The premium tier by default: the families priced above Sonnet.
pub const DEFAULT_PREMIUM: [&str; 3] = ["opus", "fable", "mythos"];

/// The longest organisation name, in characters: it heads every page and the chat summary.
pub const MAX_ORG_NAME: usize = 200;

/// Words that never name a person.
pub const NOT_A_PERSON: [&str; 9] = [
    "",
    "tbd",
    "todo",
    "?",
    "unassigned",
    "none",
    "n/a",
    "team",
    "nobody",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    organization: RawOrganization,
    #[serde(default)]
    data: RawData,
    #[serde(default)]
    output: RawOutput,
    #[serde(default)]
    pricing: RawPricing,
    #[serde(default)]
    families: BTreeMap<String, String>,
    targets: Option<toml::Table>,
    commitment: Option<RawCommitment>,
    #[serde(default)]
    allocation: Vec<AllocationRule>,
    #[serde(default)]
    teams: BTreeMap<String, RawTeam>,
    email: Option<EmailConfig>,
    #[serde(default)]
    backlog: backlog::RawBacklog,
    #[serde(default)]
    defaults: backlog::RawDefaults,
    warehouse: Option<warehouse::RawWarehouse>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrganization {
    name: String,
    review_owner: String,
    review_day: Option<i64>,
    #[serde(default)]
    people: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    #[serde(default)]
    paths: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    dir: Option<String>,
    register: Option<String>,
    url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPricing {
    discount: Option<f64>,
    reconcile_tolerance: Option<f64>,
    premium_families: Option<Vec<String>>,
    #[serde(default)]
    models: BTreeMap<String, crate::pricing::RawModel>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommitment {
    amount: f64,
    start: toml::value::Datetime,
    end: toml::value::Datetime,
    name: Option<String>,
    #[serde(default)]
    bands: Vec<renewal::RawBand>,
    next_term_days: Option<i64>,
    next_start: Option<toml::value::Datetime>,
    overage: Option<String>,
    overage_factor: Option<f64>,
    max_monthly_growth: Option<f64>,
    monthly_growth: Option<f64>,
    ramp_periods: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTeam {
    owner: String,
    email: Option<String>,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS (required), usually port 587.
    Starttls,
    /// TLS from the first byte, usually port 465.
    Tls,
    /// No encryption: only for a server on loopback.
    None,
}

/// The `[email]` section: who gets the review and through which server.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// Sender, e.g. `FinOps <finops@example.com>`.
    pub from: Option<String>,
    /// Recipients.
    #[serde(default)]
    pub to: Vec<String>,
    /// Copy recipients.
    #[serde(default)]
    pub cc: Vec<String>,
    /// Subject template (minijinja: month, organization, team, findings, overdue).
    pub subject: Option<String>,
    /// SMTP server.
    pub smtp_host: Option<String>,
    /// SMTP port (default: 587 for starttls, 465 for tls, 25 for none).
    pub smtp_port: Option<u16>,
    /// Connection security (default starttls).
    pub tls: Option<TlsMode>,
    /// SMTP user name; the password comes from GOVREVIEW_SMTP_PASSWORD only.
    pub username: Option<String>,
    /// Extra CA certificate (PEM) to trust, for a private mail relay.
    pub ca_cert: Option<String>,
    /// Attach review.md and metrics.json (default true).
    pub attach_pack: Option<bool>,
}

/// Assigns a team and/or app to usage rows that lack them. Every matcher given must match.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationRule {
    /// Exact workspace ID.
    pub workspace_id: Option<String>,
    /// Exact workspace name (Console exports).
    pub workspace: Option<String>,
    /// Exact API key ID.
    pub api_key_id: Option<String>,
    /// Exact API key name (Console exports).
    pub api_key: Option<String>,
    /// Model-ID prefix.
    pub model: Option<String>,
    /// Exact actor ID (Analytics API pages: `user_...`, `svac_...`, `apikey_...`).
    pub actor: Option<String>,
    /// Exact actor type (Analytics API pages: `user`, `service_account`, `api_key`, ...).
    pub actor_type: Option<String>,
    /// Team to assign.
    pub team: Option<String>,
    /// App to assign.
    pub app: Option<String>,
}

/// What an allocation rule can match on, of one row (or cube row).
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleKeys<'a> {
    /// Workspace ID (or a Console export's workspace name).
    pub workspace_id: Option<&'a str>,
    /// API key ID (or a Console export's key name).
    pub api_key_id: Option<&'a str>,
    /// Model ID.
    pub model: &'a str,
    /// Actor ID (Analytics API pages).
    pub actor: Option<&'a str>,
    /// Actor type (Analytics API pages).
    pub actor_type: Option<&'a str>,
}

impl AllocationRule {
    /// Whether every matcher the rule gives matches the row.
    pub fn matches(&self, row: &RuleKeys<'_>) -> bool {
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_ref().is_none_or(|w| have == Some(w.as_str()))
        };
        eq(&self.workspace_id, row.workspace_id)
            && eq(&self.api_key_id, row.api_key_id)
            // Console exports carry names where the API carries IDs; the loader puts either in
            // the ID columns.
            && eq(&self.workspace, row.workspace_id)
            && eq(&self.api_key, row.api_key_id)
            && eq(&self.actor, row.actor)
            && eq(&self.actor_type, row.actor_type)
            && self
                .model
                .as_ref()
                .is_none_or(|m| row.model.starts_with(m.as_str()))
    }

    /// Whether the rule matches on the actor (and so applies to Analytics API pages only).
    pub fn by_actor(&self) -> bool {
        self.actor.is_some() || self.actor_type.is_some()
    }
}

/// Team and app from the first matching rules, for what `team` and `app` leave missing.
pub fn allocate_keys(
    mut team: Option<String>,
    mut app: Option<String>,
    row: &RuleKeys<'_>,
    rules: &[AllocationRule],
) -> (Option<String>, Option<String>) {
    for rule in rules {
        if team.is_some() && app.is_some() {
            break;
        }
        if rule.matches(row) {
            if team.is_none() {
                team = rule.team.clone();
            }
            if app.is_none() {
                app = rule.app.clone();
            }
        }
    }
    (team, app)
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the configuration was read from.
    pub path: PathBuf,
    /// Folder that relative data paths are resolved against (the config's folder; empty for the
    /// current one).
    pub base_dir: PathBuf,
    /// Organisation name, shown in the pack.
    pub org_name: String,
    /// The person who runs the review; owns organisation-wide actions.
    pub review_owner: String,
    /// Day of the month on which reviews are held.
    pub review_day: u32,
    /// Known people (optional); when given, owners must be among them.
    pub people: Vec<String>,
    /// Data paths or globs, relative to `base_dir`.
    pub data_paths: Vec<String>,
    /// The folder the month packs are written under (`output.dir`, relative to the config's
    /// folder; default `reviews`).
    pub out_dir: PathBuf,
    /// The action register (`output.register`, relative to the config's folder; default
    /// `<out_dir>/actions.toml`).
    pub register: PathBuf,
    /// Where the packs can be read (`output.url`): the summary links to the month's pack there.
    pub pack_url: Option<String>,
    /// Price table (built-in merged with configured).
    pub prices: PriceTable,
    /// Prefixes of models whose price comes from the configuration.
    pub configured_prices: Vec<String>,
    /// The premium tier: the families governed like Opus (a share target and routing away).
    pub premium_families: Vec<String>,
    /// Contract discount, 0..1.
    pub discount: f64,
    /// Billed and computed cost may differ by this fraction before the pack warns.
    pub reconcile_tolerance: f64,
    /// Family rules.
    pub families: FamilyRules,
    /// Targets, by KPI and scope.
    pub targets: Targets,
    /// Commitment, when one is configured.
    pub commitment: Option<Commitment>,
    /// Allocation rules, first match wins.
    pub allocation: Vec<AllocationRule>,
    /// Team owners.
    pub team_owners: BTreeMap<String, String>,
    /// Team email addresses (for per-team emails).
    pub team_emails: BTreeMap<String, String>,
    /// Email settings.
    pub email: EmailConfig,
    /// How the optimization backlog is modelled and ranked.
    pub backlog: Backlog,
    /// What new work is held to.
    pub defaults: Defaults,
    /// How the next commitment is sized (`[commitment]` bands, next term, overage).
    pub renewal: Renewal,
    /// How a warehouse table maps onto the canonical columns (`govreview sql`).
    pub warehouse: Warehouse,
}

/// Whether `name` names a person: not blank, not a placeholder, not a team name, and among
/// `people` when that list is not empty.
pub fn is_person(name: &str, teams: &BTreeMap<String, String>, people: &[String]) -> bool {
    let n = name.trim();
    let lower = n.to_ascii_lowercase();
    // A control or bidirectional character is no part of a name (a right-to-left override
    // makes a name read as another).
    if n.chars().any(|c| c.is_control() || crate::fmt::is_bidi(c)) {
        return false;
    }
    if NOT_A_PERSON.contains(&lower.as_str()) || teams.contains_key(n) {
        return false;
    }
    people.is_empty() || people.iter().any(|p| p == n)
}

impl Config {
    /// The model-mix family of a model ID.
    pub fn family(&self, model: &str) -> String {
        self.families.family(model, &self.prices)
    }

    /// Whether a family is in the premium tier.
    pub fn premium(&self, family: &str) -> bool {
        self.premium_families.iter().any(|f| f == family)
    }

    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = crate::fsx::read_text(path, "config")?;
        Config::parse(&text, path)
    }

    /// Parses and validates configuration text; `path` names it in errors and anchors data paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let locator = Locator::new(text);
        let (raw, mut problems) = diag::deserialize_all::<RawConfig>(text, &locator)
            .map_err(|p| Error::config(path, p))?;
        let reported: Vec<Option<String>> = problems.iter().map(|p| p.key.clone()).collect();
        let cfg = raw.map(|raw| {
            // A key already reported for its type holds a stand-in: no second problem for it,
            // and no comparison of prices that would read a stand-in price (0).
            let stand_in_price = reported
                .iter()
                .flatten()
                .any(|k| k.starts_with("pricing.models."));
            let mut found = Vec::new();
            let cfg = validate(raw, path, &locator, &mut found, stand_in_price);
            // The two dates of a term are checked together: a stand-in for one is no term.
            let linked = |k: &Option<String>| match k.as_deref() {
                Some("commitment.start" | "commitment.end") => {
                    reported.contains(&Some("commitment.start".into()))
                        || reported.contains(&Some("commitment.end".into()))
                }
                _ => false,
            };
            problems.extend(
                found
                    .into_iter()
                    .filter(|p| !reported.contains(&p.key) && !linked(&p.key)),
            );
            cfg
        });
        match cfg {
            Some(cfg) if problems.is_empty() => Ok(cfg),
            _ => {
                diag::sort(&mut problems);
                Err(Error::Config {
                    path: path.to_owned(),
                    problems,
                })
            }
        }
    }
}

pub(crate) use crate::diag::plain_date;

#[cfg(test)]
mod tests;
