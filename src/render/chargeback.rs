//! The chargeback file: one row per month × team × app (unallocated spend in a row of its own)
//! with its spend, list cost, share of the month, the budgets and the team's owner. CSV for
//! spreadsheets: RFC 4180 quoting, ISO months, plain decimal numbers, no currency symbols.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::error::Result;
use crate::kpi;
use crate::metrics::PricedRow;
use crate::month::Month;

use super::csv;

/// The columns, in order.
pub const HEADER: [&str; 9] = [
    "month",
    "team",
    "app",
    "owner",
    "spend_usd",
    "list_cost_usd",
    "share_of_month",
    "team_budget_usd",
    "app_budget_usd",
];

/// A row: (month, team, app) and its (spend, list cost).
type Line<'a> = (&'a (Month, &'a str, &'a str), &'a (f64, f64));

/// The rows' amounts in cents: the month's total split over teams, each team's over its apps,
/// by largest remainders, so that both the teams and the month add up to the cent.
fn split(lines: &[Line], amount: impl Fn(&(f64, f64)) -> f64) -> Vec<i64> {
    let mut teams: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, ((_, team, _), _)) in lines.iter().enumerate() {
        match teams.last_mut() {
            Some((t, idx)) if t == team => idx.push(i),
            _ => teams.push((team, vec![i])),
        }
    }
    let team_sums: Vec<f64> = teams
        .iter()
        .map(|(_, idx)| idx.iter().map(|&i| amount(lines[i].1)).sum())
        .collect();
    let team_cents = csv::cents_summing(&team_sums);
    let mut out = vec![0i64; lines.len()];
    for ((_, idx), total) in teams.iter().zip(team_cents) {
        let values: Vec<f64> = idx.iter().map(|&i| amount(lines[i].1)).collect();
        for (&i, c) in idx.iter().zip(csv::cents_summing_to(&values, total)) {
            out[i] = c;
        }
    }
    out
}

/// The chargeback rows of `months`, sorted by month, team, app, and a total row per month.
pub fn render(cfg: &Config, rows: &[PricedRow], months: &[Month]) -> Result<Vec<u8>> {
    let mut sums: BTreeMap<(Month, &str, &str), (f64, f64)> = BTreeMap::new();
    for r in rows.iter().filter(|r| months.contains(&r.month)) {
        let e = sums
            .entry((r.month, r.team.as_str(), r.app.as_str()))
            .or_default();
        e.0 += r.spend();
        e.1 += r.list_cost;
    }
    let mut month_total: BTreeMap<Month, (f64, f64)> = BTreeMap::new();
    for ((m, _, _), (s, l)) in &sums {
        let e = month_total.entry(*m).or_default();
        e.0 += s;
        e.1 += l;
    }
    let budget = kpi::by_key("budget").expect("the catalogue has budgets");
    let amount = |team: &str, app: Option<&str>| -> String {
        cfg.targets
            .get(&budget, Some(team), app)
            .filter(|_| app.is_none() || cfg.targets.app_has_own(&budget, team, app.unwrap_or("")))
            .and_then(|g| g.max())
            .map_or(String::new(), csv::usd)
    };
    let mut out: Vec<Vec<String>> = Vec::new();
    for &m in months {
        let lines: Vec<Line> = sums.iter().filter(|((mm, _, _), _)| *mm == m).collect();
        if lines.is_empty() {
            continue;
        }
        // Cents that add up to the month's total, and within it to each team's, to the cent.
        let spend = split(&lines, |v| v.0);
        let list = split(&lines, |v| v.1);
        let (org, org_list) = month_total[&m];
        for (i, ((_, team, app), (s, _))) in lines.iter().enumerate() {
            out.push(vec![
                m.to_string(),
                csv::text(team),
                csv::text(app),
                csv::text(cfg.team_owners.get(*team).map_or("", String::as_str)),
                csv::cents(spend[i]),
                csv::cents(list[i]),
                csv::num(if org > 0.0 { s / org } else { 0.0 }),
                amount(team, None),
                amount(team, Some(app)),
            ]);
        }
        out.push(vec![
            m.to_string(),
            "(total)".into(),
            String::new(),
            String::new(),
            csv::cents((org * 100.0).round() as i64),
            csv::cents((org_list * 100.0).round() as i64),
            csv::num(if org > 0.0 { 1.0 } else { 0.0 }),
            String::new(),
            String::new(),
        ]);
    }
    csv::write(&HEADER, &out)
}
