//! The first screen: a card per governed number (spend and budget, Opus share, cache hit rate,
//! batch share, commitment pacing), and the commitment's risk in one sentence.

use std::collections::BTreeMap;

use crate::fmt;
use crate::kpi::{self, Input};
use crate::metrics::CommitmentMetrics;
use crate::month::Month;
use crate::report::{Card, CommitmentSection, KpiRow, NextCommitment, Status};

use super::scopes::ByMonth;

/// The KPIs that get a card, in order.
const CARDS: [&str; 5] = [
    "spend",
    "model_mix.opus",
    "cache_hit_rate",
    "batch_share",
    "commitment_pacing",
];

fn status(r: &KpiRow) -> &'static str {
    match (r.status, r.drift.worsening) {
        (Status::Missed, _) => "missed",
        (_, true) => "worsening",
        (Status::Met, false) => "met",
        _ => "none",
    }
}

/// The cards of the organisation in `month`.
pub fn cards(
    kpis: &[KpiRow],
    org: &ByMonth,
    month: Month,
    commitments: Option<&BTreeMap<Month, CommitmentMetrics>>,
    commitment: Option<&CommitmentSection>,
) -> Vec<Card> {
    let months: Vec<Month> = (0..6).rev().map(|k| month.plus(-k)).collect();
    let mut out = Vec::new();
    for key in CARDS {
        let Some(row) = kpis.iter().find(|r| r.key == key) else {
            continue;
        };
        let spark: Vec<Option<f64>> = months
            .iter()
            .map(|m| match key {
                "commitment_pacing" => commitments.and_then(|c| c.get(m)).and_then(|c| c.pacing),
                _ => {
                    let inst = kpi::by_key(key)?;
                    let totals = org.get(m)?;
                    (inst.kpi.value)(&Input {
                        totals,
                        target: None,
                        commitment: None,
                        family: inst.family.as_deref(),
                    })
                }
            })
            .collect();
        let mut card = Card {
            key: key.to_owned(),
            label: row.label.clone(),
            value_text: row.value_text.clone(),
            status: status(row).to_owned(),
            target_text: row.target_text.clone(),
            delta_text: row.delta_text.clone(),
            note: None,
            spark,
        };
        if key == "spend" {
            // Spend has no target of its own: its budget speaks for it.
            if let Some(b) = kpis.iter().find(|r| r.key == "budget") {
                card.status = status(b).to_owned();
                card.target_text = format!("budget {}", b.target_text.trim_start_matches("≤ "));
                card.note = Some(format!("{} of the budget used", b.value_text));
            }
        }
        if key == "commitment_pacing"
            && let Some(c) = commitment
        {
            let f = &c.forecast;
            card.note = Some(if f.declined.is_some() {
                c.outlook.clone()
            } else if f.overage[1] > 0.0 {
                format!(
                    "{} overage at P50 by {}",
                    fmt::usd0(f.overage[1]),
                    c.metrics.end
                )
            } else {
                format!(
                    "{} unused at P50 by {}",
                    fmt::usd0(f.unused[1]),
                    c.metrics.end
                )
            });
        }
        out.push(card);
    }
    out
}

/// The commitment's risk, for the decisions of the month: what the forecast leaves unused or
/// over, and the renewal when it is near.
pub fn commitment_risk(
    c: Option<&CommitmentSection>,
    next: Option<&NextCommitment>,
) -> Option<String> {
    let c = c?;
    let f = &c.forecast;
    let mut s = if f.declined.is_some() {
        c.outlook.clone()
    } else if f.overage[1] > 0.0 {
        format!(
            "The commitment runs {} over at P50 by {} (P90 {}).",
            fmt::usd0(f.overage[1]),
            c.metrics.end,
            fmt::usd0(f.overage[2])
        )
    } else if f.unused[1] > 0.0 {
        format!(
            "{} of the commitment goes unused at P50 by {} ({} to {} from P90 to P10).",
            fmt::usd0(f.unused[1]),
            c.metrics.end,
            fmt::usd0(f.unused[2]),
            fmt::usd0(f.unused[0])
        )
    } else {
        return None;
    };
    if let Some(n) = next
        && let Some(sz) = &n.sizing
    {
        let r = sz.pick();
        s.push_str(&if r.amount > 0.0 {
            format!(
                " Renewal in {}: commit {} ({} band) for the next term, {} less in expected cost than the run-rate commit once the backlog ships.",
                fmt::count(n.days_to_term_end, "day"),
                fmt::usd0(r.amount),
                fmt::pct(r.discount),
                fmt::usd0(sz.saving.max(0.0))
            )
        } else {
            format!(
                " Renewal in {}: no commitment is cheaper in expectation for the next term.",
                fmt::count(n.days_to_term_end, "day")
            )
        });
    }
    Some(s)
}
