//! Roll-ups: the priced rows summed per month for the organisation, each team and each app.

use std::collections::BTreeMap;

use crate::metrics::{PricedRow, Totals};
use crate::month::Month;

/// A scope's totals by month.
pub type ByMonth = BTreeMap<Month, Totals>;

/// Every scope's totals by month, up to the review month.
#[derive(Debug, Default)]
pub struct Rollup {
    /// The organisation.
    pub org: ByMonth,
    /// Each team.
    pub teams: BTreeMap<String, ByMonth>,
    /// Each app, by (team, app).
    pub apps: BTreeMap<(String, String), ByMonth>,
    /// Each month's spend on days inside the commitment term.
    pub in_term: BTreeMap<Month, f64>,
}

/// Sums the rows into every scope.
pub fn rollup<'a>(rows: impl IntoIterator<Item = &'a PricedRow>) -> Rollup {
    let mut r = Rollup::default();
    for row in rows {
        r.org.entry(row.month).or_default().add(row);
        r.teams
            .entry(row.team.clone())
            .or_default()
            .entry(row.month)
            .or_default()
            .add(row);
        r.apps
            .entry((row.team.clone(), row.app.clone()))
            .or_default()
            .entry(row.month)
            .or_default()
            .add(row);
        if row.in_term {
            *r.in_term.entry(row.month).or_default() += row.spend();
        }
    }
    r
}

/// Spend of a scope in a month (0 without data).
pub fn spend(by_month: &ByMonth, m: Month) -> f64 {
    by_month.get(&m).map_or(0.0, |t| t.spend)
}
