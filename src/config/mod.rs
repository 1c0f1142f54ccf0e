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
    if !v.is_finite() || v < 0.0 {
        Some(format!(
            "{v} is not {what}; give an amount in USD, 0 or more"
        ))
    } else if v > MAX_USD {
        Some(format!(
            "{v} is more than govreview accepts as {what} (USD {}); check the unit (USD, not cents)",
            crate::fmt::usd_whole(MAX_USD)
        ))
    } else {
        None
    }
}

/// The premium tier by default: the families priced above Sonnet.
pub const DEFAULT_PREMIUM: [&str; 3] = ["opus", "fable", "mythos"];

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
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read config", e))?;
        Config::parse(&text, path)
    }

    /// Parses and validates configuration text; `path` names it in errors and anchors data paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let locator = Locator::new(text);
        let (raw, mut problems) = diag::deserialize_all::<RawConfig>(text, &locator)
            .map_err(|p| Error::config(path, p))?;
        let reported: Vec<Option<String>> = problems.iter().map(|p| p.key.clone()).collect();
        let cfg = raw.map(|raw| {
            let mut found = Vec::new();
            let cfg = validate(raw, path, &locator, &mut found);
            // A key already reported for its type holds a stand-in: no second problem for it.
            problems.extend(found.into_iter().filter(|p| !reported.contains(&p.key)));
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

fn validate(raw: RawConfig, path: &Path, loc: &Locator, problems: &mut Vec<Problem>) -> Config {
    // organization
    let org = raw.organization;
    if org.name.trim().is_empty() {
        problems.push(loc.problem(&["organization", "name"], "is blank; name the organisation"));
    }
    let review_day = match org.review_day {
        None => DEFAULT_REVIEW_DAY,
        Some(d) if (1..=28).contains(&d) => d as u32,
        Some(d) => {
            problems.push(loc.problem(
                &["organization", "review_day"],
                format!("{d} is not a day every month has; use 1..28"),
            ));
            DEFAULT_REVIEW_DAY
        }
    };

    let team_owners: BTreeMap<String, String> = raw
        .teams
        .iter()
        .map(|(k, v)| (k.clone(), v.owner.trim().to_owned()))
        .collect();
    if !is_person(&org.review_owner, &team_owners, &org.people) {
        problems.push(loc.problem(
            &["organization", "review_owner"],
            format!(
                "`{}` does not name a person; give the name of whoever runs the review{}",
                org.review_owner,
                people_hint(&org.people)
            ),
        ));
    }
    for team in raw.teams.keys() {
        if crate::metrics::reserved(team) {
            problems.push(loc.key_problem(
                &["teams", team],
                format!(
                    "`{team}` is a name govreview reserves (usage without a team, a table's total); give the team its own name"
                ),
            ));
        }
    }
    for (team, owner) in &team_owners {
        if !is_person(owner, &team_owners, &org.people) {
            problems.push(loc.problem(
                &["teams", team, "owner"],
                format!(
                    "`{owner}` does not name a person; every team needs an owner who can take actions{}",
                    people_hint(&org.people)
                ),
            ));
        }
    }

    // email
    let email = raw.email.unwrap_or_default();
    let mut address = |key: Vec<String>, v: &str| {
        if v.parse::<lettre::message::Mailbox>().is_err() {
            let k: Vec<&str> = key.iter().map(String::as_str).collect();
            problems.push(loc.problem(
                &k,
                format!("`{v}` is not an email address; write `name@example.com` or `Name <name@example.com>`"),
            ));
        }
    };
    if let Some(f) = &email.from {
        address(vec!["email".into(), "from".into()], f);
    }
    for (list, name) in [(&email.to, "to"), (&email.cc, "cc")] {
        for v in list {
            address(vec!["email".into(), name.into()], v);
        }
    }
    for (team, t) in &raw.teams {
        if let Some(e) = &t.email {
            address(vec!["teams".into(), team.clone(), "email".into()], e);
        }
    }
    let team_emails: BTreeMap<String, String> = raw
        .teams
        .iter()
        .filter_map(|(k, v)| v.email.clone().map(|e| (k.clone(), e)))
        .collect();

    // pricing
    let discount = raw.pricing.discount.unwrap_or(0.0);
    if !(0.0..1.0).contains(&discount) {
        problems.push(loc.problem(
            &["pricing", "discount"],
            format!("{discount} is outside 0..1; write a 12% discount as 0.12"),
        ));
    }
    let reconcile_tolerance = raw
        .pricing
        .reconcile_tolerance
        .unwrap_or(DEFAULT_RECONCILE_TOLERANCE);
    if !(0.0..=1.0).contains(&reconcile_tolerance) {
        problems.push(loc.problem(
            &["pricing", "reconcile_tolerance"],
            format!("{reconcile_tolerance} is outside 0..1; write 2% as 0.02"),
        ));
    }
    let (builtin_models, tokenizer_ratio) = match crate::pricing::builtin() {
        Ok(t) => t,
        Err(e) => {
            problems.push(Problem {
                line: None,
                column: None,
                key: None,
                message: e.to_string(),
            });
            (Vec::new(), 1.3)
        }
    };
    let mut models: BTreeMap<String, crate::pricing::Model> = builtin_models
        .into_iter()
        .map(|m| (m.key.clone(), m))
        .collect();
    let mut configured_prices = Vec::new();
    for (model, raw) in &raw.pricing.models {
        let at = ["pricing", "models", model.as_str()];
        let base = models.get(model).cloned();
        if let Some(m) =
            crate::pricing::table::build(model, raw, base.as_ref(), false, &at, loc, problems)
        {
            models.insert(model.clone(), m);
            configured_prices.push(model.clone());
        }
    }
    let models: Vec<crate::pricing::Model> = models.into_values().collect();
    crate::pricing::table::check_changes(
        &models,
        loc,
        &|key| vec!["pricing".into(), "models".into(), key.into()],
        problems,
    );
    let premium_families = raw
        .pricing
        .premium_families
        .clone()
        .unwrap_or_else(|| DEFAULT_PREMIUM.iter().map(|f| (*f).to_owned()).collect());
    for (i, f) in premium_families.iter().enumerate() {
        if f.trim().is_empty() || f.contains(char::is_whitespace) {
            problems.push(loc.problem(
                &["pricing", "premium_families", &i.to_string()],
                format!("`{f}` is not a family name; use one lowercase word such as `opus`"),
            ));
        }
    }

    // families
    for (prefix, fam) in &raw.families {
        if fam.trim().is_empty() || fam.chars().any(|c| c.is_whitespace()) {
            problems.push(loc.problem(
                &["families", prefix],
                format!("`{fam}` is not a family name; use one lowercase word such as `opus`"),
            ));
        }
    }

    // targets
    let targets = targets::parse(raw.targets.as_ref(), loc, problems);
    let prices_now = PriceTable::new(models.clone(), tokenizer_ratio);
    let backlog_cfg = backlog::backlog(raw.backlog, &prices_now, &premium_families, loc, problems);
    let defaults_cfg = backlog::defaults(raw.defaults, loc, problems);
    let warehouse_cfg = warehouse::warehouse(raw.warehouse, loc, problems);

    // commitment
    let mut renewal_cfg = Renewal::default();
    let commitment = raw.commitment.and_then(|c| {
        let start = toml_date(&c.start, &["commitment", "start"], loc, problems);
        let end = toml_date(&c.end, &["commitment", "end"], loc, problems);
        renewal_cfg = renewal::renewal(
            renewal::RawRenewal {
                bands: c.bands,
                next_term_days: c.next_term_days,
                next_start: c.next_start,
                overage: c.overage,
                overage_factor: c.overage_factor,
                max_monthly_growth: c.max_monthly_growth,
                monthly_growth: c.monthly_growth,
                ramp_periods: c.ramp_periods,
            },
            end,
            loc,
            problems,
        );
        if !(c.amount > 0.0 && c.amount.is_finite()) {
            problems.push(loc.problem(
                &["commitment", "amount"],
                format!(
                    "{} is not a commitment; give the committed spend in USD, above 0",
                    c.amount
                ),
            ));
        } else if let Some(why) = money_problem(c.amount, "a commitment") {
            problems.push(loc.problem(&["commitment", "amount"], why));
        }
        // A term lies in the years usage can have, and lasts ten years at most (a typo such as
        // 3026 for 2026 is named, not forecast).
        let year_ok = |d: chrono::NaiveDate| (2000..=2099).contains(&chrono::Datelike::year(&d));
        for (key, d) in [("start", start), ("end", end)] {
            if let Some(d) = d.filter(|d| !year_ok(*d)) {
                problems.push(loc.problem(
                    &["commitment", key],
                    format!("{d} is not a term date; give a day from 2000 to 2099 (YYYY-MM-DD)"),
                ));
            }
        }
        match (start, end) {
            (Some(s), Some(e)) if e < s => {
                problems.push(loc.problem(
                    &["commitment", "end"],
                    format!("the term ends ({e}) before it starts ({s}); check the two dates"),
                ));
                None
            }
            (Some(s), Some(e)) if !year_ok(s) || !year_ok(e) => None,
            (Some(s), Some(e)) if (e - s).num_days() >= 3660 => {
                problems.push(loc.problem(
                    &["commitment", "end"],
                    format!(
                        "a term from {s} to {e} is longer than ten years; check the year of the two dates"
                    ),
                ));
                None
            }
            (Some(start), Some(end)) => Some(Commitment {
                amount: c.amount,
                start,
                end,
                name: c.name,
            }),
            _ => None,
        }
    });

    // allocation
    for (i, rule) in raw.allocation.iter().enumerate() {
        let idx = i.to_string();
        let no_matcher = rule.workspace_id.is_none()
            && rule.workspace.is_none()
            && rule.api_key_id.is_none()
            && rule.api_key.is_none()
            && rule.model.is_none()
            && !rule.by_actor();
        if no_matcher {
            problems.push(loc.problem(
                &["allocation", &idx],
                "matches nothing; give workspace_id, workspace, api_key_id, api_key, model, actor or actor_type",
            ));
        }
        for (what, name) in [("team", &rule.team), ("app", &rule.app)] {
            if let Some(n) = name.as_deref().filter(|n| crate::metrics::reserved(n)) {
                problems.push(loc.problem(
                    &["allocation", &idx, what],
                    format!(
                        "`{n}` is a name govreview reserves; usage that matches no rule is unallocated already: remove the rule or name a real {what}"
                    ),
                ));
            }
        }
        if rule.team.is_none() && rule.app.is_none() {
            problems.push(loc.problem(
                &["allocation", &idx],
                "assigns nothing; give team and/or app",
            ));
        }
    }

    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut out_dir = base_dir.join(DEFAULT_OUT_DIR);
    for (key, v) in [("dir", &raw.output.dir), ("register", &raw.output.register)] {
        if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
            problems.push(loc.problem(
                &["output", key],
                "is blank; give a path relative to this file, or remove the key for the default",
            ));
        }
    }
    if let Some(d) = raw.output.dir.as_deref().filter(|d| !d.trim().is_empty()) {
        out_dir = crate::fsx::tidy(&base_dir.join(d));
    }
    let register = match raw
        .output
        .register
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        Some(r) => crate::fsx::tidy(&base_dir.join(r)),
        None => out_dir.join(REGISTER_FILE),
    };
    let pack_url = raw.output.url.clone().filter(|u| {
        let ok = (u.starts_with("https://") || u.starts_with("http://"))
            && !u.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            problems.push(loc.problem(
                &["output", "url"],
                format!("`{u}` is not a web address; give the http(s) URL the packs are read at (e.g. https://github.com/acme/reviews/blob/main/reviews)"),
            ));
        }
        ok
    });
    Config {
        path: path.to_owned(),
        base_dir,
        org_name: org.name,
        review_owner: org.review_owner.trim().to_owned(),
        review_day,
        people: org.people,
        data_paths: raw.data.paths,
        out_dir,
        register,
        pack_url,
        prices: PriceTable::new(models, tokenizer_ratio),
        premium_families,
        configured_prices,
        discount,
        reconcile_tolerance,
        families: FamilyRules::new(raw.families),
        targets,
        commitment,
        allocation: raw.allocation,
        team_owners,
        team_emails,
        email,
        backlog: backlog_cfg,
        defaults: defaults_cfg,
        renewal: renewal_cfg,
        warehouse: warehouse_cfg,
    }
}

fn people_hint(people: &[String]) -> String {
    if people.is_empty() {
        String::new()
    } else {
        format!(" listed in organization.people ({})", people.join(", "))
    }
}

pub(crate) use crate::diag::plain_date;

fn toml_date(
    d: &toml::value::Datetime,
    key: &[&str],
    loc: &Locator,
    problems: &mut Vec<Problem>,
) -> Option<NaiveDate> {
    let date = plain_date(d);
    if date.is_none() {
        problems.push(loc.problem(
            key,
            format!("`{d}` is not a plain date; write it as YYYY-MM-DD without quotes"),
        ));
    }
    date
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[organization]
name = "Acme"
review_owner = "Dana Whitfield"
"#;

    fn parse(s: &str) -> Result<Config> {
        Config::parse(s, Path::new("govreview.toml"))
    }

    fn problems(s: &str) -> Vec<Problem> {
        match parse(s) {
            Err(Error::Config { problems, .. }) => problems,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn minimal_config_takes_documented_defaults() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.review_day, 10);
        assert_eq!(c.discount, 0.0);
        assert_eq!(c.targets.drift_tolerance, 0.02);
        assert!(c.commitment.is_none());
        assert_eq!(c.base_dir, PathBuf::from(""));
    }

    #[test]
    fn unknown_key_is_located() {
        let p = problems(&format!("{MINIMAL}colour = \"red\"\n"));
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].line, p[0].column), (Some(5), Some(1)));
        assert_eq!(p[0].key.as_deref(), Some("organization.colour"));
        assert!(
            p[0].message
                .contains("unknown key (keys here: name, review_owner"),
            "{}",
            p[0].message
        );
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let p = problems("[organization\nname = 1\n");
        assert_eq!(p[0].line, Some(1));
        assert!(p[0].column.is_some());
    }

    #[test]
    fn every_validation_problem_is_reported_at_once() {
        let text = format!(
            "{MINIMAL}[targets]\nmin_cache_hit_rate = 55\nmin_batch_share = -0.1\n[commitment]\namount = 1000\nstart = 2026-12-31\nend = 2026-01-01\n"
        );
        let p = problems(&text);
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(p[0].key.as_deref(), Some("targets.min_cache_hit_rate"));
        assert_eq!(p[0].line, Some(6));
        assert_eq!(p[1].key.as_deref(), Some("targets.min_batch_share"));
        assert_eq!(p[2].key.as_deref(), Some("commitment.end"));
        assert_eq!(p[2].line, Some(11));
    }

    #[test]
    fn type_errors_and_typos_are_all_reported_with_their_keys() {
        let text = format!(
            "{MINIMAL}review_dya = 10\n[targets]\nmin_cache_hit_rate = \"high\"\nmin_batch_share = -0.1\nmax_opus_shar = 0.3\n[commitment]\namount = \"lots\"\nstart = 2026-01-01\nend = 2026-12-31\n"
        );
        let p = problems(&text);
        let keys: Vec<&str> = p.iter().filter_map(|p| p.key.as_deref()).collect();
        assert_eq!(
            keys,
            [
                "organization.review_dya",
                "targets.min_cache_hit_rate",
                "targets.min_batch_share",
                "targets.max_opus_shar",
                "commitment.amount"
            ],
            "{p:#?}"
        );
        assert_eq!(p[1].line, Some(7));
        assert!(
            p[1].message.contains("wrong type") && p[1].message.contains("expected a number"),
            "{}",
            p[1].message
        );
        assert!(
            p[0].message.contains("did you mean `review_day`?"),
            "{}",
            p[0].message
        );
        assert_eq!((p[0].line, p[0].column), (Some(5), Some(1)));
        assert!(
            p[3].message.contains("did you mean `max_opus_share`?"),
            "{}",
            p[3].message
        );
        assert!(p[4].message.contains("wrong type"), "{}", p[4].message);
    }

    #[test]
    fn placeholder_owner_is_rejected() {
        let text = format!("{MINIMAL}[teams.support]\nowner = \"TBD\"\n");
        let p = problems(&text);
        assert_eq!(p[0].key.as_deref(), Some("teams.support.owner"));
    }

    #[test]
    fn new_model_needs_all_prices_and_override_merges() {
        let text = format!(
            "{MINIMAL}[pricing.models.\"claude-mythos-1\"]\ninput = 4\n[pricing.models.\"claude-opus-4-5\"]\noutput = 20\n"
        );
        let p = problems(&text);
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("cache_write_5m"), "{}", p[0].message);

        let ok = format!("{MINIMAL}[pricing.models.\"claude-opus-4-5\"]\noutput = 20\n");
        let c = parse(&ok).unwrap();
        let m = c.prices.lookup("claude-opus-4-5-20251101").unwrap();
        assert_eq!((m.price.input, m.price.output), (5.0, 20.0));
    }

    #[test]
    fn team_targets_inherit_org_targets() {
        let text = format!(
            "{MINIMAL}[targets]\nmax_opus_share = 0.3\nmin_cache_hit_rate = 0.5\n[targets.teams.support]\nmin_cache_hit_rate = 0.7\n"
        );
        let c = parse(&text).unwrap();
        let fams = vec!["opus".to_owned()];
        let kpis = crate::kpi::instances(crate::kpi::Scope::Team, &fams);
        let get = |key: &str, team: &str| {
            let k = kpis.iter().find(|k| k.key() == key).unwrap();
            c.targets.get(k, Some(team), None)
        };
        use crate::kpi::Goal;
        assert_eq!(get("cache_hit_rate", "support"), Some(Goal::AtLeast(0.7)));
        assert_eq!(get("model_mix.opus", "support"), Some(Goal::AtMost(0.3)));
        assert_eq!(get("cache_hit_rate", "other"), Some(Goal::AtLeast(0.5)));
    }

    #[test]
    fn person_rules() {
        let teams: BTreeMap<String, String> = [("support".to_owned(), "Ann".to_owned())].into();
        assert!(is_person("Ann Lee", &teams, &[]));
        assert!(!is_person(" TBD ", &teams, &[]));
        assert!(!is_person("support", &teams, &[]));
        assert!(!is_person("Bob", &teams, &["Ann Lee".to_owned()]));
    }
    /// An override of a built-in price is the price on every day: the built-in dated row of Sonnet
    /// 5.5 (its cache-read cut of 2026-10-07) does not undo it.
    #[test]
    fn an_override_of_a_price_holds_on_every_day() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("govreview.toml");
        std::fs::write(
            &p,
            "[organization]\nname = \"A\"\nreview_owner = \"Ann Example\"\n\n[pricing.models.\"claude-sonnet-5-5\"]\ncache_read = 0.25\n",
        )
        .unwrap();
        let cfg = Config::load(&p).unwrap();
        let m = cfg.prices.lookup("claude-sonnet-5-5").unwrap();
        let read = crate::pricing::Tokens::new(0, 0, 0, 1_000_000, 0);
        for d in ["2026-10-01", "2026-10-07", "2026-11-30"] {
            assert!(
                (m.price_on(d.parse().unwrap()).cost(&read) - 0.25).abs() < 1e-12,
                "{d}"
            );
        }
        // Without an override the cut applies from its day.
        let (models, ratio) = crate::pricing::builtin().unwrap();
        let tb = crate::pricing::PriceTable::new(models, ratio);
        let b = tb.lookup("claude-sonnet-5-5").unwrap();
        let on = |d: &str| b.price_on(d.parse().unwrap()).cost(&read);
        assert!(on("2026-10-01") > on("2026-10-07"));
    }
}
