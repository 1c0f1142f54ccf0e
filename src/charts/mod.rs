//! Charts of the review pack, drawn with plotters as SVG (the pack) and PNG (email).
//!
//! The font is embedded (DejaVu Sans), so drawing needs no system fonts and gives the same bytes
//! on every machine. Sizes are fixed; axis and legend text is drawn at 13.7 px, so that a chart
//! shown at 600 px in an email still reads at 11 px (plotters draws a requested size at about
//! 0.8 of it). Legends sit beside the plot, never over the
//! data; months are labelled `Oct 2026`, every month or every quarter; money `$600k`.

mod axes;
mod backlog;
mod burnup;
mod legend;
mod lines;
mod mix;
mod render;
mod spark;
mod style;
mod teams;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::fmt;
use serde::Serialize;

use crate::report::{ReportModel, TeamRow};

use axes::month_label;
use backlog::{backlog_curve, wave_items, wave_plan};
use burnup::burn_up;
use lines::share_line;
use mix::{By, model_mix, spend_trend};
use render::{png_of, svg_of};
use spark::sparkline;
use style::{H, W};
use teams::{spend_by_team, team_apps};

pub use render::Png;
pub use spark::SPARK;
pub use teams::team_chart_alt;

/// A chart of the pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChartRef {
    /// File name under `charts/`, without extension.
    pub name: String,
    /// Title.
    pub title: String,
    /// Alternative text that states the key number.
    pub alt: String,
}

/// The charts the pack has, with titles and alt text that state the key number.
pub fn chart_refs(m: &ReportModel) -> Vec<ChartRef> {
    let mut out = vec![ChartRef {
        name: "model_mix".into(),
        title: "Model mix by month (share of spend)".into(),
        alt: format!(
            "Model mix by month; in {} Opus is {} of spend",
            m.month_label,
            m.model_mix
                .iter()
                .find(|r| r.key == "model_mix.opus")
                .map_or("—".into(), |r| r.value_text.clone())
        ),
    }];
    // A trend chart for every catalogue KPI that asks for one and is in the headline.
    for row in m.kpis.iter() {
        if crate::kpi::by_key(&row.key).is_some_and(|i| i.kpi.trend) {
            out.push(ChartRef {
                name: row.key.clone(),
                title: format!("{} by month", row.label),
                alt: format!(
                    "{} by month; {} in {} (target {})",
                    row.label, row.value_text, m.month_label, row.target_text
                ),
            });
        }
    }
    if let Some(c) = &m.commitment {
        out.push(ChartRef {
            name: "commitment_burnup".into(),
            title: "Commitment burn-up".into(),
            alt: match &c.forecast {
                f if f.declined.is_none() && !f.band.is_empty() => format!(
                    "Commitment burn-up; {} consumed of {}; forecast at term end {} at P50 ({} to {}), at the 3-month average run rate {}",
                    fmt::usd(c.metrics.consumed_to_date),
                    fmt::usd(c.metrics.amount),
                    fmt::pct(f.utilization[1]),
                    fmt::pct(f.utilization[0]),
                    fmt::pct(f.utilization[2]),
                    fmt::pct(c.metrics.projected_utilization)
                ),
                _ => format!(
                    "Commitment burn-up; {} consumed of {}, projected {} at term end",
                    fmt::usd(c.metrics.consumed_to_date),
                    fmt::usd(c.metrics.amount),
                    fmt::pct(c.metrics.projected_utilization)
                ),
            },
        });
    }
    let b = &m.backlog;
    if b.items.iter().any(|i| !i.waits) {
        out.push(ChartRef {
            name: "backlog".into(),
            title: "Backlog: savings a year against engineering weeks".into(),
            alt: format!(
                "Backlog curve; {} free {} a year for {} weeks of engineering, wave 1 {} a year",
                fmt::count(b.items.iter().filter(|i| !i.waits).count() as i64, "item"),
                fmt::usd0(12.0 * b.funded_monthly),
                fmt::num(b.funded_weeks),
                fmt::usd0(b.waves.first().map_or(0.0, |w| w.annual))
            ),
        });
    }
    if b.items.iter().any(|i| !i.waits && i.ship.is_some()) {
        let last = b.waves.last();
        out.push(ChartRef {
            name: "wave_plan".into(),
            title: "Wave plan: when each item ships".into(),
            alt: format!(
                "Wave plan; {} in {} from {}, the last shipping on {}",
                fmt::count(b.items.iter().filter(|i| !i.waits).count() as i64, "item"),
                fmt::count(b.waves.len() as i64, "wave"),
                m.as_of,
                last.and_then(|w| w.ship)
                    .map_or("—".to_owned(), |d| d.to_string())
            ),
        });
    }
    out.push(ChartRef {
        name: "spend_by_team".into(),
        title: format!(
            "Spend by team, {} vs {}",
            month_label(m.month),
            month_label(m.prev_month)
        ),
        alt: format!(
            "Spend by team; largest is {} at {}",
            m.teams.first().map_or("—", |t| t.team.as_str()),
            m.teams.first().map_or("—".into(), |t| fmt::usd(t.spend))
        ),
    });
    let first = m.history.first().map_or(m.month, |h| h.month);
    out.push(ChartRef {
        name: "spend_trend_team".into(),
        title: "Monthly spend by team".into(),
        alt: format!(
            "Monthly spend by team, {} to {}; {} in {}",
            month_label(first),
            month_label(m.month),
            fmt::usd(m.totals.spend),
            month_label(m.month)
        ),
    });
    out.push(ChartRef {
        name: "spend_trend_family".into(),
        title: "Monthly spend by model family".into(),
        alt: format!(
            "Monthly spend by model family, {} to {}; Opus {} in {}",
            month_label(first),
            month_label(m.month),
            fmt::usd(m.totals.by_family.get("opus").copied().unwrap_or(0.0)),
            month_label(m.month)
        ),
    });
    out
}

/// The pixel size of a chart at scale 1.
fn chart_size(m: &ReportModel, name: &str) -> (u32, u32) {
    if name == "spend_by_team" {
        let n = m.teams.len().clamp(1, 12) as u32;
        (W, (80 + 34 * n).max(H))
    } else if name == "wave_plan" {
        let n = wave_items(m).len().clamp(1, 40) as u32;
        (W, (110 + 30 * n).max(220))
    } else {
        (W, H)
    }
}

/// Draws one chart on any backend, every length scaled by `k`.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &ReportModel,
    name: &str,
    title: &str,
    k: f64,
) -> Result<()> {
    match name {
        "model_mix" => model_mix(root, m, title, k),
        "commitment_burnup" => burn_up(root, m, title, k),
        "spend_by_team" => spend_by_team(root, m, title, k),
        "backlog" => backlog_curve(root, m, title, k),
        "wave_plan" => wave_plan(root, m, title, k),
        "spend_trend_team" => spend_trend(root, m, By::Team, title, k),
        "spend_trend_family" => spend_trend(root, m, By::Family, title, k),
        key => match crate::kpi::by_key(key).filter(|i| i.kpi.trend) {
            Some(inst) => share_line(root, m, title, key, k, |s| {
                (inst.kpi.value)(&crate::kpi::Input {
                    totals: &s.totals,
                    target: None,
                    commitment: None,
                    family: inst.family.as_deref(),
                })
            }),
            None => Err(Error::Internal(format!("unknown chart {key}"))),
        },
    }
}

/// Draws every chart of the pack as SVG: (name, svg text).
pub fn render_svgs(m: &ReportModel) -> Result<Vec<(String, String)>> {
    chart_refs(m)
        .iter()
        .map(|c| {
            let svg = svg_of(chart_size(m, &c.name), &c.name, |root| {
                draw(root, m, &c.name, &c.title, 1.0)
            })?;
            Ok((c.name.clone(), svg))
        })
        .collect()
}

#[cfg(test)]
/// Draws every chart of the pack as PNG at `scale` x its display size (email clients show no SVG).
pub fn render_pngs(m: &ReportModel, scale: u32) -> Result<Vec<Png>> {
    let all: Vec<String> = chart_refs(m).into_iter().map(|c| c.name).collect();
    let names: Vec<&str> = all.iter().map(String::as_str).collect();
    render_pngs_of(m, scale, &names)
}

/// Draws the named charts of the pack (those it has) as PNG, in the pack's order.
pub fn render_pngs_of(m: &ReportModel, scale: u32, names: &[&str]) -> Result<Vec<Png>> {
    chart_refs(m)
        .iter()
        .filter(|c| names.contains(&c.name.as_str()))
        .map(|c| {
            png_of(chart_size(m, &c.name), scale, &c.name, |root| {
                draw(root, m, &c.name, &c.title, f64::from(scale))
            })
        })
        .collect()
}

/// A KPI card's sparkline as SVG; `good` colours its last point.
pub fn sparkline_svg(values: &[Option<f64>], good: bool) -> Result<String> {
    svg_of(SPARK, "sparkline", |root| {
        sparkline(root, values, good, 1.0)
    })
}

/// A KPI card's sparkline as PNG, for email.
pub fn sparkline_png(name: &str, values: &[Option<f64>], good: bool, scale: u32) -> Result<Png> {
    png_of(SPARK, scale, name, |root| {
        sparkline(root, values, good, f64::from(scale))
    })
}

// A team's page: its spend by app, month by month.

/// A team's app chart as SVG.
pub fn team_svg(t: &TeamRow) -> Result<String> {
    svg_of((W, H), "team_apps", |root| team_apps(root, t, 1.0))
}

/// A team's app chart as PNG, for its email.
pub fn team_png(t: &TeamRow, scale: u32) -> Result<Png> {
    png_of((W, H), scale, "team_apps", |root| {
        team_apps(root, t, f64::from(scale))
    })
}

// Shared pieces.

#[cfg(test)]
mod tests;
