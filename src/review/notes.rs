//! Data notes: what the data covered, what it lacked, and billed against computed cost.

use crate::error::Result;
use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::anthropic::analytics::Amount;
use crate::config::Config;
use crate::cube::Dataset;
use crate::fmt;
use crate::metrics::{PricedRow, UNALLOCATED};
use crate::month::Month;
use crate::report::{DataNotes, FileNote, ListCell, Provisional, ReconCell, Reconciliation};

use super::scopes::ByMonth;

/// The data notes of the review of `month`.
/// A data file's path as the pack shows it: relative to the configuration's folder when it lies
/// there, so that the pack is the same from whichever folder govreview runs.
fn shown(cfg: &Config, path: &std::path::Path) -> String {
    use std::path::Component;
    let base = &cfg.base_dir;
    let rel = if base.as_os_str().is_empty() {
        path
    } else {
        path.strip_prefix(base).unwrap_or(path)
    };
    // An absolute path under the current folder as the relative one it is.
    let here = std::env::current_dir().ok();
    let rel = match &here {
        Some(h) if rel.is_absolute() => rel.strip_prefix(h).unwrap_or(rel),
        _ => rel,
    };
    // `./data/x.csv` is `data/x.csv`; a bidirectional mark in a file name is written out.
    let tidy: std::path::PathBuf = rel
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    crate::fmt::bidi_visible(&tidy.display().to_string()).into_owned()
}

pub fn data_notes(
    cfg: &Config,
    ds: &Dataset,
    priced: &[PricedRow],
    month: Month,
    teams: &BTreeMap<String, ByMonth>,
) -> Result<DataNotes> {
    let in_month: BTreeSet<NaiveDate> = ds
        .days
        .iter()
        .copied()
        .filter(|d| Month::of(*d) == month)
        .collect();
    let missing: Vec<NaiveDate> = month
        .first_day()
        .iter_days()
        .take(month.days() as usize)
        .filter(|d| !in_month.contains(d))
        .collect();
    let mut warnings = Vec::new();
    let mut team_warnings = Vec::new();
    let mut notes = Vec::new();
    warnings.extend(unmatched_keys(cfg, priced));
    if !missing.is_empty() {
        team_warnings.push(format!(
            "Partial coverage: {} of {} days of {month} have no data ({}). Spend and the run rate are understated.",
            missing.len(),
            month.days(),
            day_ranges(&missing).join(", ")
        ));
    }
    let later: BTreeSet<Month> = priced
        .iter()
        .map(|r| r.month)
        .filter(|m| *m > month)
        .collect();
    if !later.is_empty() {
        notes.push(format!(
            "Data after the review month ({}) was read but is not part of this review.",
            later
                .iter()
                .map(Month::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let this_month: Vec<&PricedRow> = priced.iter().filter(|r| r.month == month).collect();
    let spend: f64 = this_month.iter().map(|r| r.spend()).sum();
    if spend < 0.0 {
        warnings.push(format!(
            "This month's spend is negative ({}): its credits exceed its charges. Check that the cost data holds the whole month's charges beside its credits (a credit applied to another month's bill belongs to that month).",
            fmt::usd(spend)
        ));
    }
    let unallocated_spend = teams
        .get(UNALLOCATED)
        .and_then(|m| m.get(&month))
        .map_or(0.0, |t| t.spend);
    if unallocated_spend > 0.0 {
        // Name where it came from, largest first, so the rule to add is obvious.
        let mut sources: BTreeMap<(String, String), f64> = BTreeMap::new();
        for r in this_month.iter().filter(|r| r.team == UNALLOCATED) {
            *sources
                .entry((
                    r.workspace.clone().unwrap_or_else(|| "(none)".to_owned()),
                    r.api_key.clone().unwrap_or_else(|| "(none)".to_owned()),
                ))
                .or_default() += r.spend();
        }
        let mut sources: Vec<((String, String), f64)> = sources.into_iter().collect();
        sources.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let shown: Vec<String> = sources
            .iter()
            .take(5)
            .map(|((ws, key), usd)| format!("workspace {ws}, API key {key} ({})", fmt::usd(*usd)))
            .collect();
        let more = sources.len().saturating_sub(5);
        warnings.push(format!(
            "{} of this month's spend is unallocated: {}{}. Add [[allocation]] rules that match them.",
            fmt::usd(unallocated_spend),
            shown.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    let ownerless: Vec<&str> = teams
        .iter()
        .filter(|(t, by_month)| {
            t.as_str() != UNALLOCATED
                && by_month.contains_key(&month)
                && !cfg.team_owners.contains_key(t.as_str())
        })
        .map(|(t, _)| t.as_str())
        .collect();
    if !ownerless.is_empty() {
        warnings.push(format!(
            "Teams without an owner in the config: {}. Their actions go to the review owner until you add [teams.<name>] owner = \"...\".",
            ownerless.join(", ")
        ));
    }
    let tierless: Vec<String> = ds
        .files
        .iter()
        .filter(|f| f.tier_missing)
        .map(|f| shown(cfg, &f.path))
        .collect();
    if !tierless.is_empty() {
        team_warnings.push(format!(
            "No service tier in {}: that usage is counted as standard, so batch share may be understated and batch usage priced at full rate. Export or fetch usage grouped by service tier.",
            tierless.join(", ")
        ));
    }
    let web: u64 = this_month.iter().map(|r| r.web_search_requests).sum();
    if web > 0 {
        notes.push(format!(
            "{} web search requests this month (about {} at $10 per 1,000) are not included in token spend.",
            fmt::int(web as f64),
            fmt::usd(web as f64 / 1000.0 * 10.0)
        ));
    }
    let odd_tiers: BTreeSet<&str> = this_month
        .iter()
        .map(|r| r.tier.as_str())
        .filter(|t| *t != "standard" && *t != "batch")
        .collect();
    let (known, unknown): (Vec<&str>, Vec<&str>) = odd_tiers
        .into_iter()
        .partition(|t| crate::anthropic::KNOWN_TIERS.contains(t));
    if !known.is_empty() {
        notes.push(format!(
            "Service tiers priced at standard list prices: {}.",
            known.join(", ")
        ));
    }
    // A known tier written differently (`BATCH`, ` batch`) is priced as an unknown one, at
    // standard prices: say which it looks like.
    let (misspelt, unknown): (Vec<&str>, Vec<&str>) = unknown.into_iter().partition(|t| {
        crate::anthropic::KNOWN_TIERS.contains(&t.trim().to_ascii_lowercase().as_str())
    });
    for t in misspelt {
        let meant = t.trim().to_ascii_lowercase();
        let cost = if meant == "batch" {
            " (twice the Batch API's price)"
        } else {
            ""
        };
        warnings.push(format!(
            "Service tier `{t}` looks like `{meant}` written differently: priced at standard list prices{cost}. Write the tier as `{meant}` in the data."
        ));
    }
    if !unknown.is_empty() {
        warnings.push(format!(
            "Unknown service tier{} {}: priced at standard list prices; check how Anthropic bills it.",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.join(", ")
        ));
    }
    for f in ds.files.iter().filter(|f| f.unterminated) {
        warnings.push(format!(
            "{} does not end with a line break: if it was cut short, its last row is incomplete. Check the last row against the source (a complete export ends with a line break).",
            shown(cfg, &f.path)
        ));
    }
    for f in ds.files.iter().filter(|f| !f.unknown_fields.is_empty()) {
        warnings.push(format!(
            "{} has fields govreview does not know ({}): accepted and not used.",
            shown(cfg, &f.path),
            f.unknown_fields.join(", ")
        ));
    }
    if !cfg.configured_prices.is_empty() {
        notes.push(format!(
            "Prices from the configuration: {}.",
            cfg.configured_prices.join(", ")
        ));
    }
    let mut recon: BTreeMap<Month, (f64, f64)> = BTreeMap::new();
    for r in priced.iter().filter(|r| r.month <= month) {
        if let Some(b) = r.billed {
            let e = recon.entry(r.month).or_default();
            e.0 += b;
            e.1 += r.computed_net;
        }
    }
    let mut cells: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    for r in this_month.iter().filter(|r| r.billed.is_some()) {
        let e = cells
            .entry((
                r.workspace.clone().unwrap_or_else(|| "default".to_owned()),
                crate::costing::model_key(cfg, &r.model),
            ))
            .or_default();
        e.0 += r.billed.unwrap_or(0.0);
        e.1 += r.computed_net;
    }
    // Credits the cost data marks, per cell: billed amounts are compared with computed cost
    // without them (a credit is not a discount, nor a pricing error).
    // A credit of no model is spread over the workspace's billed usage by computed cost, as the
    // bill is (`costing::apply_billed`).
    let mut credits: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut workspace_credits: BTreeMap<String, f64> = BTreeMap::new();
    for (_, r) in ds
        .costs
        .iter()
        .filter(|(_, r)| r.credit && Month::of(r.day) == month)
    {
        let ws = r.workspace.clone().unwrap_or_else(|| "default".to_owned());
        match &r.model {
            Some(m) => {
                *credits
                    .entry((ws, crate::costing::model_key(cfg, m)))
                    .or_default() += r.usd
            }
            None => *workspace_credits.entry(ws).or_default() += r.usd,
        }
    }
    let mut computed_in: BTreeMap<String, f64> = BTreeMap::new();
    for ((ws, _), (_, computed)) in &cells {
        *computed_in.entry(ws.clone()).or_default() += computed;
    }
    let reconciliation_cells: Vec<ReconCell> = cells
        .into_iter()
        .map(|((workspace, model), (billed, computed))| {
            let spread = match (
                workspace_credits.get(&workspace),
                computed_in.get(&workspace),
            ) {
                (Some(c), Some(total)) if *total > 0.0 => c * computed / total,
                _ => 0.0,
            };
            let credit = credits
                .get(&(workspace.clone(), model.clone()))
                .unwrap_or(&0.0)
                + spread;
            let charged = billed - credit;
            ReconCell {
                workspace,
                model,
                billed,
                computed,
                credits: (credit != 0.0).then_some(credit),
                difference: charged - computed,
                difference_pct: (computed > 0.0).then(|| (charged - computed) / computed),
            }
        })
        .collect();
    let list_cells = list_cells(cfg, ds, &this_month, month)?;
    // A cell whose list amount matches the price table: what is left of the difference is the
    // discount actually received, not a pricing error.
    let list_ok = |ws: &str, model: &str| {
        list_cells.iter().find(|l| {
            l.workspace == ws
                && l.model == model
                && l.list_gap_pct
                    .is_some_and(|p| p.abs() <= cfg.reconcile_tolerance)
        })
    };
    for c in &reconciliation_cells {
        match c.difference_pct {
            // A credit alone, with no usage of the workspace to set it against.
            None if c.billed < 0.0
                && c.credits
                    .or_else(|| workspace_credits.get(&c.workspace).copied())
                    .is_some_and(|k| (k - c.billed).abs() < 0.005) =>
            {
                notes.push(format!(
                    "A credit of {} for {} in workspace {} has no usage of that workspace this month to set it against: it lowers the month's spend as unallocated.",
                    fmt::usd(c.billed),
                    c.model,
                    c.workspace
                ))
            }
            None if c.billed.abs() >= 0.005 => warnings.push(format!(
                "{} billed for {} in workspace {} has no usage in the data: add that usage (it is shown as unallocated).",
                fmt::usd(c.billed),
                c.model,
                c.workspace
            )),
            Some(p) if p.abs() > cfg.reconcile_tolerance => match list_ok(&c.workspace, &c.model) {
                Some(l) => notes.push(format!(
                    "Billed cost for {} in workspace {} differs from the computed cost by {} ({} billed, {} computed), and Anthropic's list amount matches the price table: the difference is the discount received ({} of list) against pricing.discount ({}). Set pricing.discount to what you get so that forecasts and the backlog use net prices.",
                    c.model,
                    c.workspace,
                    fmt::pct_signed(p),
                    fmt::usd(c.billed),
                    fmt::usd(c.computed),
                    l.effective_discount.map_or("—".to_owned(), fmt::pct),
                    fmt::pct(cfg.discount)
                )),
                None => warnings.push(format!(
                    "Billed cost for {} in workspace {} differs from the computed cost by {} ({} billed, {} computed): check prices, discount and tiers.",
                    c.model,
                    c.workspace,
                    fmt::pct_signed(p),
                    fmt::usd(c.billed),
                    fmt::usd(c.computed)
                )),
            },
            _ => {}
        }
    }
    for c in &list_cells {
        if let Some(p) = c.list_gap_pct.filter(|p| p.abs() > cfg.reconcile_tolerance) {
            warnings.push(format!(
                "Anthropic's list amount for {} in workspace {} differs from the price table's by {} ({} at list, {} computed): check [pricing] against Anthropic's current prices.",
                c.model,
                c.workspace,
                fmt::pct_signed(p),
                fmt::usd(c.list),
                fmt::usd(c.computed_list)
            ));
        }
    }
    let provisional = provisional(ds, month);
    if let Some(p) = &provisional {
        notes.push(format!(
            "Provisional: {month}'s Analytics API pages were read on {}, less than {} days after the month ended, and Anthropic may still revise its days. Fetch it again on or after {} (govreview fetch --month {}); the repository's diff shows the revisions.",
            p.fetched_on,
            crate::anthropic::analytics::REVISION_DAYS,
            p.final_from,
            month
        ));
    }
    if !ds.costs.is_empty() && this_month.iter().any(|r| r.tier.starts_with("priority")) {
        notes.push(
            "Priority Tier usage never appears in Anthropic's cost report; it is priced at list here.".to_owned(),
        );
    }
    let reconciliation = recon
        .into_iter()
        .map(|(m, (b, c))| Reconciliation {
            month: m,
            billed: b,
            computed: c,
            difference: b - c,
            difference_pct: (c > 0.0).then(|| (b - c) / c),
        })
        .collect();
    Ok(DataNotes {
        files: ds
            .files
            .iter()
            .map(|f| FileNote {
                path: shown(cfg, &f.path),
                format: f.format.clone(),
                rows: f.rows,
                first_day: f.first_day,
                last_day: f.last_day,
            })
            .collect(),
        rows: ds.files.iter().map(|f| f.rows).sum(),
        first_day: ds.days.first().copied(),
        last_day: ds.days.last().copied(),
        month_days: month.days(),
        month_days_with_data: in_month.len(),
        missing_days: day_ranges(&missing),
        reconciliation,
        reconciliation_cells,
        list_cells,
        provisional,
        unallocated_spend,
        discount: cfg.discount,
        warnings: ds
            .warnings
            .iter()
            .cloned()
            .chain(team_warnings.iter().cloned())
            .chain(warnings)
            .collect(),
        team_warnings,
        notes,
    })
}

/// Compresses sorted days into `a..b` ranges.
fn day_ranges(days: &[NaiveDate]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let start = days[i];
        let mut end = start;
        while i + 1 < days.len() && days[i + 1] == end.succ_opt().unwrap_or(end) {
            i += 1;
            end = days[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}..{end}")
        });
        i += 1;
    }
    out
}

/// The review month's list amounts (cost pages that give them) against the price table's list
/// cost of the same workspace and model, with the discount the organisation actually got.
fn list_cells(
    cfg: &Config,
    ds: &Dataset,
    this_month: &[&PricedRow],
    month: Month,
) -> Result<Vec<ListCell>> {
    let key = |ws: &Option<String>, model: Option<&str>| {
        (
            ws.clone().unwrap_or_else(|| "default".to_owned()),
            model.map_or_else(
                || "(no model)".to_owned(),
                |m| crate::costing::model_key(cfg, m),
            ),
        )
    };
    let mut cells: BTreeMap<(String, String), (Amount, Amount, f64)> = BTreeMap::new();
    // Charges only: a credit is not part of a list price.
    for (_, r) in ds
        .costs
        .iter()
        .filter(|(_, r)| Month::of(r.day) == month && !r.credit)
    {
        if let Some(list) = r.list_usd {
            let e = cells
                .entry(key(&r.workspace, r.model.as_deref()))
                .or_default();
            e.0.add(r.cents.map(|c| c.0), r.usd)?;
            e.1.add(r.cents.and_then(|c| c.1), list)?;
        }
    }
    // The usage the cost data bills: rows given a billed cost from it (not rows of files that
    // carry their own, nor usage on days it does not bill).
    for r in this_month
        .iter()
        .filter(|r| r.billed.is_some() && !ds.files.get(r.file).is_some_and(|f| f.billed))
    {
        if let Some(e) = cells.get_mut(&key(&r.workspace, Some(&r.model))) {
            e.2 += r.list_cost;
        }
    }
    Ok(cells
        .into_iter()
        .map(|((workspace, model), (net, list, computed_list))| {
            (workspace, model, net.usd(), list.usd(), computed_list)
        })
        .map(|(workspace, model, net, list, computed_list)| ListCell {
            workspace,
            model,
            net,
            list,
            computed_list,
            list_gap_pct: (computed_list > 0.0).then(|| (list - computed_list) / computed_list),
            effective_discount: (list > 0.0).then(|| 1.0 - net / list),
        })
        .collect())
}

/// Whether the review month's figures may still change: some file that covers it was read (by
/// govreview fetch, or per the API's `data_refreshed_at`) less than 30 days after it ended.
fn provisional(ds: &Dataset, month: Month) -> Option<Provisional> {
    let final_from = crate::anthropic::analytics::final_from(month);
    ds.files
        .iter()
        .filter(|f| {
            f.first_day.is_some_and(|d| d <= month.last_day())
                && f.last_day.is_some_and(|d| d >= month.first_day())
        })
        .filter_map(|f| f.snapshot)
        .filter(|s| *s < final_from)
        .min()
        .map(|fetched_on| Provisional {
            fetched_on,
            final_from,
        })
}

/// Targets and efforts the configuration gives teams or apps that no usage has (a typo, or a
/// name written in another case): they change nothing, so the review says so.
fn unmatched_keys(cfg: &Config, priced: &[PricedRow]) -> Vec<String> {
    let teams: BTreeSet<&str> = priced.iter().map(|r| r.team.as_str()).collect();
    let apps: BTreeSet<(&str, &str)> = priced
        .iter()
        .map(|r| (r.team.as_str(), r.app.as_str()))
        .collect();
    let hint = |name: &str, known: Vec<String>| {
        known
            .into_iter()
            .find(|k| k.eq_ignore_ascii_case(name) || strsim::levenshtein(k, name) <= 2)
            .map_or(String::new(), |k| format!(" (did you mean `{k}`?)"))
    };
    let mut out = Vec::new();
    let mut team_keys: Vec<(&str, &str)> = cfg
        .targets
        .teams
        .keys()
        .map(|t| (t.as_str(), "targets.teams"))
        .collect();
    team_keys.sort();
    for (t, key) in team_keys {
        if !teams.contains(t) {
            out.push(format!(
                "{key}.{t} matches no team in the data{}: its targets change nothing.",
                hint(t, teams.iter().map(|x| (*x).to_owned()).collect())
            ));
        }
    }
    let app_keys = cfg
        .targets
        .apps
        .keys()
        .map(|(t, a)| (t, a, "targets.teams.<team>.apps"))
        .chain(
            cfg.backlog
                .app_effort
                .keys()
                .map(|(t, a)| (t, a, "backlog.effort.apps")),
        );
    for (t, a, key) in app_keys {
        if !apps.contains(&(t.as_str(), a.as_str())) {
            out.push(format!(
                "{} matches no app in the data{}: it changes nothing.",
                key.replace("<team>", t)
                    + &if key.ends_with("apps") && key.starts_with("targets") {
                        format!(".{a}")
                    } else {
                        format!(".\"{t}/{a}\"")
                    },
                hint(
                    &format!("{t}/{a}"),
                    apps.iter().map(|(x, y)| format!("{x}/{y}")).collect()
                )
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_ranges_compress() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let days = [
            d("2026-10-01"),
            d("2026-10-02"),
            d("2026-10-03"),
            d("2026-10-07"),
        ];
        assert_eq!(day_ranges(&days), ["2026-10-01..2026-10-03", "2026-10-07"]);
    }
}
