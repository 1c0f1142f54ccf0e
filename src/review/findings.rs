//! Findings (a missed target or a worsening drift) and the actions proposed for them.

use chrono::NaiveDate;

use crate::config::Config;
use crate::config::Lever;
use crate::kpi::{Instance, Wording};
use crate::metrics::CommitmentMetrics;
use crate::report::{BacklogSection, Item};
use crate::report::{Finding, KpiRow, ProposedAction, Status};

use super::rows::Who;

/// The finding a KPI row gives, if it gives one. `totals` are the scope's in the review month.
pub fn finding(row: &KpiRow, who: Who, id: usize) -> Option<Finding> {
    if !row.is_finding() {
        return None;
    }
    let kind = match (row.status == Status::Missed, row.drift.worsening) {
        (true, true) => "missed_target_and_worsening_drift",
        (true, false) => "missed_target",
        _ => "worsening_drift",
    };
    let title = who.title();
    let summary = if kind == "worsening_drift" {
        // The target is still met: say how far it moved, not that it missed.
        format!(
            "{title}: {} {} {} since last month, to {} (target {}, still met): a move the wrong way beyond the tolerance.",
            row.label,
            moved(row.drift.delta),
            magnitude(&row.delta_text),
            row.value_text,
            row.target_text
        )
    } else {
        let mut s = format!("{title}: {} is {}", row.label, row.value_text);
        if row.goal.is_some() {
            s.push_str(&format!(" (target {})", row.target_text));
        }
        if row.drift.delta.is_some() {
            s.push_str(&format!(", {} since last month", row.delta_text));
        }
        if row.drift.worsening {
            s.push_str(", worsening beyond the tolerance");
        }
        s.push('.');
        s
    };
    let value = row.value.unwrap_or(0.0);
    Some(Finding {
        id: format!("F{id}"),
        metric: row.key.clone(),
        label: row.label.clone(),
        scope: match (who.team, who.app) {
            (Some(_), Some(_)) => "app",
            (Some(_), None) => "team",
            _ => "org",
        }
        .to_owned(),
        team: who.team.map(str::to_owned),
        app: who.app.map(str::to_owned),
        kind: kind.to_owned(),
        value,
        value_text: row.value_text.clone(),
        target: row.goal,
        target_text: row.target_text.clone(),
        delta: row.drift.delta,
        delta_text: row.delta_text.clone(),
        summary,
        // The backlog's items of the KPI's lever give the dollars (see `review::build`).
        est_monthly_saving: None,
        teams_saving: None,
        owner: None,
        regressed_after: None,
        action: None,
        links: Vec::new(),
        held: None,
        follows: None,
    })
}

/// A finding of a KPI row whatever its status (for a follow-up the loop raises).
pub fn finding_any(row: &KpiRow, who: Who, id: usize) -> Option<Finding> {
    let mut r = row.clone();
    if !r.is_finding() {
        r.status = Status::Missed;
    }
    finding(&r, who, id)
}

/// `rose` or `fell`: the direction of a move.
pub fn moved(delta: Option<f64>) -> &'static str {
    if delta.unwrap_or(0.0) >= 0.0 {
        "rose"
    } else {
        "fell"
    }
}

/// The size of a move, without its sign (`16.2 pp`, `$1,234.00`).
pub fn magnitude(delta_text: &str) -> &str {
    delta_text.trim_start_matches(['+', '-', '±'])
}

/// The scope of a finding as the register writes it (`org`, a team, `team/app`).
pub fn register_scope(f: &Finding) -> String {
    Who {
        scope: crate::kpi::Scope::Org,
        team: f.team.as_deref(),
        app: f.app.as_deref(),
    }
    .register_scope()
}

/// The KPI a finding's metric is about: a default new work breaks is about the KPI it holds
/// (`defaults.max_opus_share` → `model_mix.opus`); any other metric is its own.
pub fn kpi_of(metric: &str) -> &str {
    match metric {
        "defaults.max_opus_share" => "model_mix.opus",
        "defaults.min_cache_hit_rate" => "cache_hit_rate",
        "defaults.batch_apps" => "batch_share",
        m => m,
    }
}

/// Whether an open action on `action_metric` answers a finding on `finding_metric`: the same
/// metric, or the KPI a broken default is about (a backlog item's action answers it).
pub fn answers(action_metric: &str, finding_metric: &str) -> bool {
    action_metric == finding_metric || action_metric == kpi_of(finding_metric)
}

/// Whether an action of `action_scope` answers a finding of `finding_scope` on the same KPI: the
/// same scope, or, for a team's finding, one of the team's apps (a backlog item's action).
pub fn covers(action_scope: &str, finding_scope: &str) -> bool {
    action_scope == finding_scope
        || (finding_scope != "org"
            && !finding_scope.contains('/')
            && action_scope
                .strip_prefix(finding_scope)
                .is_some_and(|rest| rest.starts_with('/')))
}

/// What the proposals need besides the findings and the backlog.
pub struct Proposing<'a> {
    /// The configuration.
    pub cfg: &'a Config,
    /// The commitment's figures (for the pacing action's words).
    pub commitment: Option<&'a CommitmentMetrics>,
    /// When new actions of findings are due: the next review.
    pub next_review: NaiveDate,
    /// A register scope's spend in the review month.
    pub spend_of: &'a dyn Fn(&str) -> Option<f64>,
    /// The dropped action that holds a finding, if one does: its ID and its reason.
    pub held_by: &'a dyn Fn(&Finding) -> Option<(String, String)>,
}

/// The actions a review proposes (domain contract, part 3, "One root cause, one action"):
/// - one for every wave-1 item of the backlog (owner the team's, due on its ship date);
/// - one for every finding that nothing else answers: not a finding a dropped action still
///   holds, not an organisation or team finding whose drift narrower findings carry, not a
///   workload's budget or surge finding when its backlog items have actions, not a finding an
///   item's action answers;
/// - never two on one scope, KPI and lever.
pub fn proposals(
    findings: &mut [Finding],
    instances: &[Option<(Instance, Who)>],
    p: &Proposing,
    backlog: &BacklogSection,
) -> Vec<ProposedAction> {
    let items: Vec<ProposedAction> = backlog
        .items
        .iter()
        .filter(|i| i.wave == Some(1))
        .map(|i| item_action(i, findings, p))
        .collect();
    let narrower = |f: &Finding| -> bool {
        let scope = register_scope(f);
        f.scope != "app"
            && findings.iter().any(|o| {
                o.id != f.id
                    && kpi_of(&o.metric) == kpi_of(&f.metric)
                    && register_scope(o) != scope
                    && within(&register_scope(o), &scope)
            })
    };
    let mut out: Vec<ProposedAction> = Vec::new();
    let mut holds: Vec<(usize, String, String)> = Vec::new();
    for (n, (f, whose)) in findings.iter().zip(instances).enumerate() {
        // Already carried by an open action (a follow-up whose workload has one).
        if f.action.is_some() {
            continue;
        }
        if let Some((id, reason)) = (p.held_by)(f) {
            holds.push((n, id, reason));
            continue;
        }
        let scope = register_scope(f);
        if narrower(f) {
            continue;
        }
        let own_items = items.iter().any(|i| within(&i.scope, &scope));
        if matches!(f.metric.as_str(), "budget" | "surge") && f.scope != "org" && own_items {
            continue;
        }
        // A follow-up is carried by its workload's item on the same KPI (see `item_action`).
        if items.iter().any(|i| carries_follow_up(i, f)) {
            continue;
        }
        if items
            .iter()
            .any(|i| answers(&i.metric, &f.metric) && covers(&i.scope, &scope))
        {
            continue;
        }
        out.push(finding_action(f, whose.as_ref(), p));
    }
    for (n, id, reason) in holds {
        let f = &mut findings[n];
        f.links = vec![id.clone()];
        f.held = Some(reason);
        f.action = Some(id);
    }
    out.extend(items);
    // Never two proposals on one scope, KPI and lever.
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|a| seen.insert((a.scope.clone(), kpi_of(&a.metric).to_owned(), a.lever)));
    out
}

/// Whether `inner` is `outer` or inside it (`org` holds everything; a team its apps).
pub fn within(inner: &str, outer: &str) -> bool {
    outer == "org"
        || inner == outer
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Whether the action proposed for a backlog item carries follow-up `f`: the same workload, on
/// the KPI the action closed without effect was on (no two open actions on one scope and KPI).
fn carries_follow_up(item: &ProposedAction, f: &Finding) -> bool {
    f.follows
        .as_deref()
        .is_some_and(|k| item.scope == register_scope(f) && answers(&item.metric, k))
}

/// The action for a wave-1 backlog item: due on its ship date. It carries the follow-up of an
/// action on its workload and KPI closed as done without effect: for that action's owner, linked
/// to it.
fn item_action(i: &Item, findings: &[Finding], p: &Proposing) -> ProposedAction {
    let scope = i.scope();
    let on_kpi = |f: &&Finding| answers(&i.kpi, &f.metric);
    let found = findings
        .iter()
        .filter(on_kpi)
        .find(|f| register_scope(f) == scope)
        .or_else(|| {
            findings
                .iter()
                .filter(on_kpi)
                .find(|f| covers(&scope, &register_scope(f)))
        });
    // A workload that went back the wrong way after an action was closed: its owner picks it up.
    let regressed = found.filter(|f| f.regressed_after.is_some() && register_scope(f) == scope);
    let follow_up = findings.iter().find(|f| {
        f.follows
            .as_deref()
            .is_some_and(|k| register_scope(f) == scope && answers(&i.kpi, k))
    });
    let mut action = ProposedAction {
        finding: found.map_or_else(|| format!("B{}", i.rank.unwrap_or(0)), |f| f.id.clone()),
        metric: i.kpi.clone(),
        scope: scope.clone(),
        title: format!(
            "{}Backlog B{}: {} for app {} (team {}): {}, {}{}",
            regressed
                .and_then(|f| f.regressed_after.as_deref())
                .map_or(String::new(), |a| format!(
                    "Regressed after {a} was closed. "
                )),
            i.rank.unwrap_or(0),
            i.lever.words(),
            i.app,
            i.team,
            i.detail,
            i.goal_text,
            if i.quality_check {
                "; check answer quality before it ships, then record it with govreview actions validate"
            } else {
                ""
            }
        ),
        owner: regressed
            .and_then(|f| f.owner.clone())
            .unwrap_or_else(|| i.owner.clone()),
        due: i.ship.unwrap_or(p.next_review),
        est_monthly_saving: Some(i.monthly),
        lever: Some(i.lever),
        kpi_then: Some(i.value),
        spend_then: (p.spend_of)(&scope),
        goal_then: Some(i.target),
        links: Vec::new(),
    };
    if let Some(f) = follow_up {
        let first = f.links.first().cloned().unwrap_or_default();
        action.title = format!(
            "Follow-up of {first} (closed as done without effect). {}",
            action.title
        );
        if let Some(o) = &f.owner {
            action.owner = o.clone();
        }
        action.links = f.links.clone();
    }
    action
}

/// The action for one finding.
fn finding_action(f: &Finding, whose: Option<&(Instance, Who)>, p: &Proposing) -> ProposedAction {
    let cfg = p.cfg;
    let owner = f.owner.clone().unwrap_or_else(|| {
        f.team
            .as_ref()
            .and_then(|t| cfg.team_owners.get(t))
            .cloned()
            .unwrap_or_else(|| cfg.review_owner.clone())
    });
    let title = match whose {
        Some((inst, who)) => kpi_title(f, inst, who, p.commitment),
        None => other_title(f, cfg),
    };
    let scope = register_scope(f);
    ProposedAction {
        finding: f.id.clone(),
        metric: f.metric.clone(),
        scope: scope.clone(),
        title,
        owner,
        due: p.next_review,
        est_monthly_saving: f.est_monthly_saving,
        lever: Lever::of_kpi(kpi_of(&f.metric)).filter(|_| f.scope != "org"),
        kpi_then: whose.map(|_| f.value),
        spend_then: (p.spend_of)(&scope),
        goal_then: f.target.and_then(|g| g.max().or(g.min())),
        links: f.links.clone(),
    }
}

/// The title of a KPI finding's action.
fn kpi_title(
    f: &Finding,
    inst: &Instance,
    who: &Who,
    commitment: Option<&CommitmentMetrics>,
) -> String {
    if let Some(id) = &f.regressed_after {
        format!(
            "Find out why {}'s {} went back after {id} was closed and restore it ({}, target {})",
            who.in_sentence(),
            inst.label_in_sentence(),
            f.value_text,
            f.target_text
        )
    } else if f.kind == "worsening_drift" {
        format!(
            "Find out why {}'s {} {} {} since last month and stop the slide ({}, target {} still met)",
            who.in_sentence(),
            inst.label_in_sentence(),
            moved(f.delta),
            magnitude(&f.delta_text),
            f.value_text,
            f.target_text
        )
    } else {
        (inst.kpi.action)(&Wording {
            scope: &who.in_sentence(),
            label: &inst.label_in_sentence(),
            value: &f.value_text,
            target: &f.target_text,
            commitment,
        })
    }
}

/// The title of a new-work or surge finding's action.
fn other_title(f: &Finding, cfg: &Config) -> String {
    let app = f.app.as_deref().unwrap_or_default();
    let team = f.team.as_deref().unwrap_or_default();
    match f.metric.as_str() {
        "defaults.max_opus_share" => format!(
            "Hold new workload {app} (team {team}) to the defaults: route its Opus work to {} where quality allows (Opus {} of spend, default {})",
            cfg.backlog.route_to, f.value_text, f.target_text
        ),
        "defaults.min_cache_hit_rate" => format!(
            "Turn on prompt caching for new workload {app} (team {team}): stable context first (hit rate {}, default {})",
            f.value_text, f.target_text
        ),
        "defaults.batch_apps" => format!(
            "Run batch app {app} (team {team}) through the Batch API (batch share {}, default {})",
            f.value_text, f.target_text
        ),
        "surge" => format!(
            "Explain app {app} (team {team})'s spend jump ({}, {}) and confirm it is planned, or fund its backlog items",
            f.value_text, f.delta_text
        ),
        // Written when the loop found an action done without effect: its summary says it all.
        "follow_up" => f.summary.clone(),
        _ => format!("Address {}", f.summary),
    }
}
