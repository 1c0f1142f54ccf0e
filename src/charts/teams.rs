//! Teams: spend by team against budgets, and a team page's apps.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::Result;
use crate::fmt;
use crate::month::Month;
use crate::report::{ReportModel, TeamRow};

use super::axes::{month_label, usd_axis};
use super::legend::{Mark, side_legend, split_legend};
use super::mix::stacked_spend;
use super::style::{ACCENT, GRID, MUTED, TEXT, TITLE, chart_err, font, px};

pub(super) fn spend_by_team<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &ReportModel,
    title: &str,
    k: f64,
) -> Result<()> {
    let err = chart_err("spend_by_team");
    let teams: Vec<&TeamRow> = m.teams.iter().take(12).collect();
    let n = teams.len().max(1);
    let top = teams
        .iter()
        .map(|t| t.spend.max(t.prev_spend.unwrap_or(0.0)))
        .fold(1.0f64, f64::max)
        * 1.15;
    let labels: Vec<String> = teams.iter().map(|t| t.team.clone()).collect();
    root.fill(&WHITE).map_err(&err)?;
    let (plot, side) = split_legend(root, k);
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, font(TITLE, k))
        .margin(px(12, k))
        .x_label_area_size(px(30, k))
        .y_label_area_size(px(110, k))
        .build_cartesian_2d(0f64..top, (n as f64 - 0.5)..-0.5f64)
        .map_err(&err)?;
    let fmt_y = |y: &f64| {
        let r = y.round();
        if (y - r).abs() < 1e-6 && r >= 0.0 && (r as usize) < labels.len() {
            labels[r as usize].clone()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID.stroke_width(px(1, k)))
        .y_labels(n * 2 + 1)
        .y_label_formatter(&fmt_y)
        .x_labels(5)
        .x_label_formatter(&usd_axis)
        .label_style(font(TEXT, k))
        .axis_style(MUTED.stroke_width(px(1, k)))
        .draw()
        .map_err(&err)?;
    chart
        .draw_series(teams.iter().enumerate().map(|(i, t)| {
            let y = i as f64;
            Rectangle::new(
                [(0.0, y - 0.38), (t.prev_spend.unwrap_or(0.0), y - 0.02)],
                MUTED.filled(),
            )
        }))
        .map_err(&err)?;
    chart
        .draw_series(teams.iter().enumerate().map(|(i, t)| {
            let y = i as f64;
            Rectangle::new([(0.0, y + 0.02), (t.spend, y + 0.38)], ACCENT.filled())
        }))
        .map_err(&err)?;
    side_legend(
        &side,
        &[
            (month_label(m.prev_month), MUTED.to_rgba(), Mark::Box),
            (month_label(m.month), ACCENT.to_rgba(), Mark::Box),
        ],
        k,
    )
}

/// The title of a team's app chart.
pub fn team_chart_title(t: &TeamRow) -> String {
    format!("Team {}: monthly spend by app", t.team)
}

/// The alt text of a team's app chart.
pub fn team_chart_alt(t: &TeamRow) -> String {
    format!(
        "Monthly spend of team {} by app; {} this month, largest app {}",
        t.team,
        fmt::usd(t.spend),
        t.apps.first().map_or("—", |a| a.app.as_str())
    )
}

pub(super) fn team_apps<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &TeamRow,
    k: f64,
) -> Result<()> {
    let months: Vec<Month> = t.by_month.iter().map(|(m, _)| *m).collect();
    let mut apps: Vec<String> = t.apps.iter().map(|a| a.app.clone()).collect();
    for (_, by) in &t.by_month {
        for a in by.keys() {
            if !apps.contains(a) {
                apps.push(a.clone());
            }
        }
    }
    apps.reverse();
    let series: Vec<(String, Vec<f64>)> = apps
        .iter()
        .map(|a| {
            (
                a.clone(),
                t.by_month
                    .iter()
                    .map(|(_, by)| by.get(a).copied().unwrap_or(0.0))
                    .collect(),
            )
        })
        .collect();
    stacked_spend(
        root,
        "team_apps",
        &team_chart_title(t),
        &months,
        &series,
        None,
        k,
    )
}
