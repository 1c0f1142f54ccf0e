//! The teams and apps whose spend moved most against last month.

use crate::month::Month;
use crate::report::{Mover, TeamRow};

use super::scopes::{Rollup, spend};

/// Up to five teams and five apps, largest move first.
pub fn movers(teams: &[TeamRow], rollup: &Rollup, month: Month) -> Vec<Mover> {
    let prev = month.prev();
    let mut all: Vec<Mover> = Vec::new();
    for t in teams {
        let p = t.prev_spend.unwrap_or(0.0);
        all.push(mover("team", t.team.clone(), p, t.spend));
    }
    for ((team, app), by_month) in &rollup.apps {
        let (s, p) = (spend(by_month, month), spend(by_month, prev));
        if s == 0.0 && p == 0.0 {
            continue;
        }
        all.push(mover("app", format!("{app} ({team})"), p, s));
    }
    all.sort_by(|a, b| {
        b.delta
            .abs()
            .total_cmp(&a.delta.abs())
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut kept = Vec::new();
    for kind in ["team", "app"] {
        kept.extend(all.iter().filter(|m| m.kind == kind).take(5).cloned());
    }
    kept
}

fn mover(kind: &str, name: String, prev: f64, spend: f64) -> Mover {
    Mover {
        kind: kind.to_owned(),
        name,
        prev_spend: prev,
        spend,
        delta: spend - prev,
        delta_pct: (prev > 0.0).then(|| spend / prev - 1.0),
    }
}
