//! The chargeback file: data for spreadsheets and loaders, one row per month × team × app
//! (unallocated spend in a row of its own) with its spend, list cost and share of the month;
//! no total rows (totals belong in the pack). Amounts are in cents that add up: each team's rows to
//! its spend in the review rounded to the cent (the apps' cents by largest remainders), and a
//! month to the sum of its teams. Shares have six decimals and add up to 1 in each month. The budgets file holds the organisation's, teams' and apps' budgets beside the
//! spend they cover, one row each, so that no sum counts a budget twice.
//!
//! CSV as RFC 4180 writes it (quoting, embedded newlines), UTF-8, ISO months, plain decimal
//! numbers, no currency symbols, a header and nothing else; every text cell guarded against
//! formula injection ([`super::csv::text`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::config::Config;
use crate::error::Result;
use crate::kpi;
use crate::metrics::PricedRow;
use crate::month::Month;

use super::csv;

/// The chargeback file's columns, in order.
pub const HEADER: [&str; 7] = [
    "month",
    "team",
    "app",
    "owner",
    "spend_usd",
    "list_cost_usd",
    "share_of_month",
];

/// The budgets file's columns, in order.
pub const BUDGET_HEADER: [&str; 8] = [
    "month",
    "level",
    "team",
    "app",
    "owner",
    "budget_usd",
    "spend_usd",
    "share_of_budget",
];

/// A (team, app) line of a month and its (spend, list cost) in cents.
type CentLine<'a> = ((&'a str, &'a str), (i64, i64));

/// A month's rows in cents, apps adding up to their team and teams to the month.
struct MonthCents<'a> {
    lines: Vec<CentLine<'a>>,
}

impl MonthCents<'_> {
    fn total(&self) -> i64 {
        self.lines.iter().map(|(_, (s, _))| s).sum()
    }

    fn team(&self, team: &str) -> i64 {
        self.lines
            .iter()
            .filter(|((t, _), _)| *t == team)
            .map(|(_, (s, _))| s)
            .sum()
    }

    fn app(&self, team: &str, app: &str) -> i64 {
        self.lines
            .iter()
            .filter(|((t, a), _)| *t == team && *a == app)
            .map(|(_, (s, _))| s)
            .sum()
    }
}

/// Amounts in cents: each team's total rounded to the cent (its spend as the review shows it),
/// split over its apps by largest remainders, so that the apps add up to their team.
fn split(lines: &[((&str, &str), f64)]) -> Vec<i64> {
    let mut teams: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, ((team, _), _)) in lines.iter().enumerate() {
        match teams.last_mut() {
            Some((t, idx)) if t == team => idx.push(i),
            _ => teams.push((team, vec![i])),
        }
    }
    let team_sums: Vec<f64> = teams
        .iter()
        .map(|(_, idx)| idx.iter().map(|&i| lines[i].1).sum())
        .collect();
    let team_cents = team_sums.iter().map(|v| (v * 100.0).round() as i64);
    let mut out = vec![0i64; lines.len()];
    for ((_, idx), total) in teams.iter().zip(team_cents) {
        let values: Vec<f64> = idx.iter().map(|&i| lines[i].1).collect();
        for (&i, c) in idx.iter().zip(csv::cents_summing_to(&values, total)) {
            out[i] = c;
        }
    }
    out
}

/// Each month's rows, in cents, sorted by team and app.
fn by_month<'a>(rows: &'a [PricedRow], months: &[Month]) -> BTreeMap<Month, MonthCents<'a>> {
    let mut sums: BTreeMap<(Month, &str, &str), (f64, f64)> = BTreeMap::new();
    for r in rows.iter().filter(|r| months.contains(&r.month)) {
        let e = sums
            .entry((r.month, r.team.as_str(), r.app.as_str()))
            .or_default();
        e.0 += r.spend();
        e.1 += r.list_cost;
    }
    let mut out = BTreeMap::new();
    for &m in months {
        let keys: Vec<(&str, &str)> = sums
            .keys()
            .filter(|(mm, _, _)| *mm == m)
            .map(|(_, t, a)| (*t, *a))
            .collect();
        if keys.is_empty() {
            continue;
        }
        let amounts = |pick: fn(&(f64, f64)) -> f64| -> Vec<i64> {
            let lines: Vec<((&str, &str), f64)> = keys
                .iter()
                .map(|&(t, a)| ((t, a), pick(&sums[&(m, t, a)])))
                .collect();
            split(&lines)
        };
        let spend = amounts(|v| v.0);
        let list = amounts(|v| v.1);
        let lines = keys.into_iter().zip(spend.into_iter().zip(list)).collect();
        out.insert(m, MonthCents { lines });
    }
    out
}

/// Shares of a whole in millionths that add up to exactly one million (largest remainders).
fn shares(cents: &[i64]) -> Vec<String> {
    let total: i64 = cents.iter().sum();
    if total <= 0 || cents.iter().any(|&c| c < 0) {
        // Credits make shares meaningless: each as it is, rounded.
        return cents
            .iter()
            .map(|&c| {
                if total == 0 {
                    "0.000000".into()
                } else {
                    format!("{:.6}", c as f64 / total as f64 + 0.0)
                }
            })
            .collect();
    }
    let values: Vec<f64> = cents
        .iter()
        .map(|&c| c as f64 / total as f64 * 10_000.0)
        .collect();
    // cents_summing_to splits hundredths: 10,000 "dollars" of hundredths are a million parts.
    csv::cents_summing_to(&values, 1_000_000)
        .into_iter()
        .map(|p| format!("{}.{:06}", p / 1_000_000, p % 1_000_000))
        .collect()
}

/// The chargeback rows of `months`, sorted by month, team, app.
pub fn render(cfg: &Config, rows: &[PricedRow], months: &[Month]) -> Result<Vec<u8>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for (m, cents) in by_month(rows, months) {
        let spend: Vec<i64> = cents.lines.iter().map(|(_, (s, _))| *s).collect();
        for (((team, app), (s, l)), share) in cents.lines.iter().zip(shares(&spend)) {
            out.push(vec![
                m.to_string(),
                csv::text(team),
                csv::text(app),
                csv::text(cfg.team_owners.get(*team).map_or("", String::as_str)),
                csv::cents(*s),
                csv::cents(*l),
                share,
            ]);
        }
    }
    csv::write(&HEADER, &out)
}

/// The budgets of `months`: the organisation's, each team's and each app's own, with the spend
/// they cover (the chargeback file's cents) and the share of the budget spent; and how many rows.
pub fn budgets(cfg: &Config, rows: &[PricedRow], months: &[Month]) -> Result<(Vec<u8>, usize)> {
    let budget = kpi::by_key("budget").expect("the catalogue has budgets");
    let months_cents = by_month(rows, months);
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut line = |m: Month, level: &str, team: &str, app: &str, amount: f64, spent: i64| {
        let owner = cfg.team_owners.get(team).map_or("", String::as_str);
        out.push(vec![
            m.to_string(),
            level.to_owned(),
            csv::text(team),
            csv::text(app),
            csv::text(owner),
            csv::usd(amount),
            csv::cents(spent),
            format!("{:.6}", spent as f64 / 100.0 / amount + 0.0),
        ]);
    };
    for &m in months {
        let Some(cents) = months_cents.get(&m) else {
            continue;
        };
        if let Some(b) = cfg.targets.get(&budget, None, None).and_then(|g| g.max()) {
            line(m, "organization", "", "", b, cents.total());
        }
        let teams: BTreeSet<&str> = cents
            .lines
            .iter()
            .map(|((t, _), _)| *t)
            .chain(cfg.targets.teams.keys().map(String::as_str))
            .collect();
        for team in teams {
            let own = cfg
                .targets
                .teams
                .get(team)
                .is_some_and(|s| s.contains_key(&budget.key()));
            if let Some(b) = cfg
                .targets
                .get(&budget, Some(team), None)
                .filter(|_| own)
                .and_then(|g| g.max())
            {
                line(m, "team", team, "", b, cents.team(team));
            }
            for (t, app) in cfg.targets.apps.keys().filter(|(t, _)| t == team) {
                if let Some(b) = cfg
                    .targets
                    .get(&budget, Some(t), Some(app))
                    .filter(|_| cfg.targets.app_has_own(&budget, t, app))
                    .and_then(|g| g.max())
                {
                    line(m, "app", t, app, b, cents.app(t, app));
                }
            }
        }
    }
    let n = out.len();
    Ok((csv::write(&BUDGET_HEADER, &out)?, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_have_six_decimals_and_add_up_to_one() {
        // Thirds: 0.333333 x 3 = 0.999999, so the first takes the millionth left.
        assert_eq!(
            shares(&[100, 100, 100]),
            ["0.333334", "0.333333", "0.333333"]
        );
        assert_eq!(shares(&[1, 0]), ["1.000000", "0.000000"]);
        assert_eq!(shares(&[0, 0]), ["0.000000", "0.000000"]);
        let s = shares(&[1_778_083, 1_234, 99_999_999]);
        let sum: f64 = s.iter().map(|v| v.parse::<f64>().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-12, "{s:?}");
    }
}
