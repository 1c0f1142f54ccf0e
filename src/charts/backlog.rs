//! The optimization backlog: its curve (saving against effort, waves shaded) and its wave plan
//! (one bar per item to its ship date).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::Result;
use crate::fmt;
use crate::report::ReportModel;

use super::axes::{XAxis, line_with_dots, usd_axis, value_chart};
use super::legend::{Mark, side_legend, split_legend};
use super::style::{ACCENT, GRID, INK, MUTED, PALETTE, TEXT, TITLE, chart_err, font, px, pxi};

/// The backlog as a curve: cumulative annual saving against cumulative effort, items in rank
/// order, each wave shaded; the steepest part (the best dollars per week) comes first.
pub(super) fn backlog_curve<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &ReportModel,
    title: &str,
    k: f64,
) -> Result<()> {
    let err = chart_err("backlog");
    let items: Vec<&crate::report::Item> = m.backlog.items.iter().filter(|i| !i.waits).collect();
    let mut points = vec![(0.0f64, 0.0f64)];
    let mut waves: Vec<(usize, f64, f64)> = Vec::new();
    let (mut x, mut y) = (0.0, 0.0);
    for i in &items {
        let w = i.wave.unwrap_or(1);
        match waves.last_mut() {
            Some(last) if last.0 == w => last.2 = x + i.effort_weeks,
            _ => waves.push((w, x, x + i.effort_weeks)),
        }
        x += i.effort_weeks;
        y += i.annual;
        points.push((x, y));
    }
    let (x_max, y_max) = (x.max(1.0) * 1.05, y.max(1.0) * 1.18);
    root.fill(&WHITE).map_err(&err)?;
    let (plot, side) = split_legend(root, k);
    let x_axis = XAxis {
        desc: Some("engineering weeks"),
        labels: 8,
        format: &|x| fmt::num(*x),
    };
    let mut chart = value_chart(
        &plot,
        title,
        (0f64..x_max, 0f64..y_max),
        &x_axis,
        &usd_axis,
        k,
    )
    .map_err(&err)?;
    // Waves: every other one shaded, each labelled at its top.
    chart
        .draw_series(
            waves.iter().filter(|w| w.0 % 2 == 1).map(|(_, a, b)| {
                Rectangle::new([(*a, 0.0), (*b, y_max)], ACCENT.mix(0.07).filled())
            }),
        )
        .map_err(&err)?;
    chart
        .draw_series(waves.iter().map(|(w, a, b)| {
            Text::new(
                format!("wave {w}"),
                ((a + b) / 2.0, y_max * 0.98),
                font(TEXT, k).pos(Pos::new(HPos::Center, VPos::Top)),
            )
        }))
        .map_err(&err)?;
    line_with_dots(&mut chart, &points, true, 4, k).map_err(&err)?;
    // The first items by rank: numbered on the curve, named in the legend.
    chart
        .draw_series(
            items
                .iter()
                .zip(points.iter().skip(1))
                .take(5)
                .map(|(i, p)| {
                    Text::new(
                        format!("B{}", i.rank.unwrap_or(0)),
                        (p.0, p.1),
                        font(TEXT, k).pos(Pos::new(HPos::Right, VPos::Bottom)),
                    )
                }),
        )
        .map_err(&err)?;
    let entries: Vec<(String, RGBAColor, Mark)> = items
        .iter()
        .take(5)
        .map(|i| {
            (
                format!(
                    "B{} {} {}",
                    i.rank.unwrap_or(0),
                    i.app,
                    fmt::usd_short(i.annual)
                ),
                INK.to_rgba(),
                Mark::Text,
            )
        })
        .collect();
    side_legend(&side, &entries, k)
}

/// The items of the wave plan, by rank.
pub(super) fn wave_items(m: &ReportModel) -> Vec<&crate::report::Item> {
    m.backlog
        .items
        .iter()
        .filter(|i| !i.waits && i.ship.is_some() && i.wave_start.is_some())
        .collect()
}

/// The waves as a timeline: one bar per item from its wave's start to its ship date, coloured by
/// wave, rank 1 at the top; dates on the axis from the review date.
pub(super) fn wave_plan<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &ReportModel,
    title: &str,
    k: f64,
) -> Result<()> {
    let err = chart_err("wave_plan");
    let items = wave_items(m);
    let start = m.as_of;
    let end = items.iter().filter_map(|i| i.ship).max().unwrap_or(start);
    let span = ((end - start).num_days() as f64).max(7.0) * 1.04;
    let n = items.len().max(1) as f64;
    root.fill(&WHITE).map_err(&err)?;
    let (plot, side) = split_legend(root, k);
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, font(TITLE, k))
        .margin(px(12, k))
        .x_label_area_size(px(44, k))
        .y_label_area_size(px(235, k))
        .build_cartesian_2d(0f64..span, -0.5f64..n - 0.5)
        .map_err(&err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID.stroke_width(px(1, k)))
        .x_labels(4)
        .x_label_formatter(&|x| {
            (start + chrono::Duration::days(x.round() as i64))
                .format("%b %-d")
                .to_string()
        })
        .y_labels(0)
        .label_style(font(TEXT, k))
        .axis_style(MUTED.stroke_width(px(1, k)))
        .draw()
        .map_err(&err)?;
    let row = |idx: usize| n - 1.0 - idx as f64;
    let day = |d: chrono::NaiveDate| (d - start).num_days() as f64;
    let color = |w: usize| PALETTE[(w.max(1) - 1) % PALETTE.len()];
    chart
        .draw_series(items.iter().enumerate().map(|(idx, i)| {
            let y = row(idx);
            let a = i.wave_start.map_or(0.0, day);
            let b = i.ship.map_or(a, day).max(a + 0.5);
            Rectangle::new(
                [(a, y - 0.32), (b, y + 0.32)],
                color(i.wave.unwrap_or(1)).filled(),
            )
        }))
        .map_err(&err)?;
    // Each bar named at its left, beside the axis.
    for (idx, i) in items.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(0.0, row(idx)));
        let app: String = if i.app.chars().count() > 16 {
            format!("{}…", i.app.chars().take(15).collect::<String>())
        } else {
            i.app.clone()
        };
        plot.draw(&Text::new(
            format!("B{} {app} {}", i.rank.unwrap_or(0), i.lever.words()),
            (x - pxi(8, k), y),
            font(TEXT, k).pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(&err)?;
    }
    let entries: Vec<(String, RGBAColor, Mark)> = m
        .backlog
        .waves
        .iter()
        .map(|w| {
            (
                format!(
                    "wave {}: ships {}",
                    w.name,
                    w.ship
                        .map_or("—".to_owned(), |d| d.format("%b %-d").to_string())
                ),
                color(w.name.parse().unwrap_or(1)).to_rgba(),
                Mark::Box,
            )
        })
        .collect();
    side_legend(&side, &entries, k)
}
