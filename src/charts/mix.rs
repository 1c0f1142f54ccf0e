//! Stacked charts by month: the model mix (share of spend by family) and spend by team or family.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::Result;
use crate::fmt;
use crate::month::Month;
use crate::report::ReportModel;

use super::axes::{month_chart, pct_axis, usd_axis};
use super::legend::{Mark, side_legend, split_legend};
use super::style::{MUTED, PALETTE, chart_err, family_color};

pub(super) fn model_mix<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &ReportModel,
    title: &str,
    k: f64,
) -> Result<()> {
    let err = chart_err("model_mix");
    let months: Vec<Month> = m.history.iter().map(|h| h.month).collect();
    let families = families(m);
    root.fill(&WHITE).map_err(&err)?;
    let (plot, side) = split_legend(root, k);
    let mut chart = month_chart(&plot, title, &months, 1.0, &pct_axis, k).map_err(&err)?;
    let mut entries = Vec::new();
    for fam in &families {
        let color = family_color(fam);
        let bars: Vec<Rectangle<(f64, f64)>> = m
            .history
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let below: f64 = families
                    .iter()
                    .take_while(|f| *f != fam)
                    .map(|f| h.kpis.model_mix.get(f).copied().unwrap_or(0.0))
                    .sum();
                let v = h.kpis.model_mix.get(fam).copied().unwrap_or(0.0);
                let x = i as f64;
                Rectangle::new([(x - 0.35, below), (x + 0.35, below + v)], color.filled())
            })
            .collect();
        chart.draw_series(bars).map_err(&err)?;
        let share = m
            .model_mix
            .iter()
            .find(|r| r.key == format!("model_mix.{fam}"))
            .map_or(String::new(), |r| format!(" {}", r.value_text));
        entries.push((
            format!("{}{share}", crate::kpi::family_label(fam)),
            color.to_rgba(),
            Mark::Box,
        ));
    }
    // Top of the stack first, as the bars read.
    entries.reverse();
    side_legend(&side, &entries, k)
}

/// Stacked monthly spend: `series` bottom up, each (name, value per month).
pub(super) fn stacked_spend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    name: &str,
    title: &str,
    months: &[Month],
    series: &[(String, Vec<f64>)],
    colors: Option<&[RGBColor]>,
    k: f64,
) -> Result<()> {
    let err = chart_err(name);
    let totals: Vec<f64> = (0..months.len())
        .map(|i| {
            series
                .iter()
                .map(|(_, v)| v.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let top = totals.iter().copied().fold(1.0f64, f64::max) * 1.12;
    root.fill(&WHITE).map_err(&err)?;
    let (plot, side) = split_legend(root, k);
    let mut chart = month_chart(&plot, title, months, top, &usd_axis, k).map_err(&err)?;
    let color_of = |i: usize| -> RGBColor {
        colors
            .and_then(|c| c.get(i).copied())
            .unwrap_or(PALETTE[(series.len() - 1 - i) % PALETTE.len()])
    };
    let mut below = vec![0.0; months.len()];
    for (s, (_, values)) in series.iter().enumerate() {
        let color = color_of(s);
        let bars: Vec<Rectangle<(f64, f64)>> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let x = i as f64;
                let r = Rectangle::new(
                    [(x - 0.38, below[i]), (x + 0.38, below[i] + v)],
                    color.filled(),
                );
                below[i] += v;
                r
            })
            .collect();
        chart.draw_series(bars).map_err(&err)?;
    }
    // The legend lists the largest series first (the top of the stack); beyond ten, the rest.
    let mut entries: Vec<(String, RGBAColor, Mark)> = series
        .iter()
        .enumerate()
        .rev()
        .map(|(s, (label, v))| {
            (
                format!(
                    "{label} {}",
                    fmt::usd_short(v.last().copied().unwrap_or(0.0))
                ),
                color_of(s).to_rgba(),
                Mark::Box,
            )
        })
        .collect();
    if entries.len() > 10 {
        let more = entries.len() - 9;
        entries.truncate(9);
        entries.push((format!("and {more} more"), MUTED.to_rgba(), Mark::Box));
    }
    side_legend(&side, &entries, k)
}

/// The model-mix families of the review, in its order.
fn families(m: &ReportModel) -> Vec<String> {
    m.model_mix
        .iter()
        .map(|r| r.key.trim_start_matches("model_mix.").to_owned())
        .collect()
}

/// What a spend trend is split by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum By {
    /// Teams, the largest at the bottom.
    Team,
    /// Model families, in their colours.
    Family,
}

/// Spend by month, stacked by team or by model family.
pub(super) fn spend_trend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &ReportModel,
    by: By,
    title: &str,
    k: f64,
) -> Result<()> {
    let months: Vec<Month> = m.history.iter().map(|h| h.month).collect();
    let keys: Vec<String> = match by {
        By::Team => m.teams.iter().rev().map(|t| t.team.clone()).collect(),
        By::Family => families(m),
    };
    let series = keys
        .iter()
        .map(|key| {
            let v = m
                .history
                .iter()
                .map(|h| {
                    match by {
                        By::Team => h.by_team.get(key),
                        By::Family => h.totals.by_family.get(key),
                    }
                    .copied()
                    .unwrap_or(0.0)
                })
                .collect();
            let label = match by {
                By::Team => key.clone(),
                By::Family => crate::kpi::family_label(key),
            };
            (label, v)
        })
        .collect::<Vec<_>>();
    let (name, colors) = match by {
        By::Team => ("spend_trend_team", None),
        By::Family => (
            "spend_trend_family",
            Some(
                keys.iter()
                    .map(|f| family_color(f))
                    .collect::<Vec<RGBColor>>(),
            ),
        ),
    };
    stacked_spend(root, name, title, &months, &series, colors.as_deref(), k)
}
