//! Axes: month ticks labelled every month or every quarter, and money and share labels.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::fmt;
use crate::month::Month;

use super::style::{ACCENT, GRID, MUTED, TEXT, TITLE, font, px, pxi};

/// `Oct 2026`.
pub(super) fn month_label(m: Month) -> String {
    m.first_day().format("%b %Y").to_string()
}

/// The months to label: all of them up to eight, else the first month of each quarter.
pub(super) fn labelled_months(months: &[Month]) -> Vec<usize> {
    if months.len() <= 8 {
        (0..months.len()).collect()
    } else {
        months
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                m.first_day()
                    .format("%m")
                    .to_string()
                    .parse::<u32>()
                    .unwrap_or(1)
                    % 3
                    == 1
            })
            .map(|(i, _)| i)
            .collect()
    }
}

/// A chart over two ranges of values (a month chart's x is the month's index).
pub(super) type Plot<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Labels the x axis at exactly `ticks` (x value, text), below the axis at y = `y0`: plotters
/// would pick its own, irregular positions for a number axis.
pub(super) fn x_ticks<DB: DrawingBackend>(
    chart: &Plot<'_, DB>,
    area: &DrawingArea<DB, Shift>,
    ticks: &[(f64, String)],
    y0: f64,
    k: f64,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    for (x, label) in ticks {
        let (px_x, px_y) = chart.backend_coord(&(*x, y0));
        area.draw(&PathElement::new(
            vec![(px_x, px_y), (px_x, px_y + pxi(5, k))],
            MUTED.stroke_width(px(1, k)),
        ))?;
        area.draw(&Text::new(
            label.clone(),
            (px_x, px_y + pxi(8, k)),
            font(TEXT, k).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    Ok(())
}

/// An x axis of values: its label (None: ticks drawn by the chart itself), how many labels, how
/// they read.
pub(super) struct XAxis<'f> {
    /// The axis' description.
    pub desc: Option<&'f str>,
    /// How many labels (0: the chart draws its own ticks).
    pub labels: usize,
    /// How a label reads.
    pub format: &'f dyn Fn(&f64) -> String,
}

impl XAxis<'_> {
    /// An axis whose ticks the chart draws itself ([`x_ticks`]).
    pub(super) const TICKS: XAxis<'static> = XAxis {
        desc: None,
        labels: 0,
        format: &usd_axis,
    };
}

/// A chart over `x` × `y` with the mesh every chart has (horizontal grid lines, six y labels
/// formatted by `y_label`, the title above).
pub(super) fn value_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    (x, y): (std::ops::Range<f64>, std::ops::Range<f64>),
    x_axis: &XAxis,
    y_label: &dyn Fn(&f64) -> String,
    k: f64,
) -> std::result::Result<Plot<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(TITLE, k))
        .margin(px(12, k))
        .x_label_area_size(px(if x_axis.desc.is_some() { 44 } else { 32 }, k))
        .y_label_area_size(px(58, k))
        .build_cartesian_2d(x, y)?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID.stroke_width(px(1, k)))
        .x_labels(x_axis.labels)
        .x_label_formatter(x_axis.format)
        .y_labels(6)
        .y_label_formatter(y_label)
        .label_style(font(TEXT, k))
        .axis_style(MUTED.stroke_width(px(1, k)));
    if let Some(desc) = x_axis.desc {
        mesh.x_desc(desc).axis_desc_style(font(TEXT, k));
    }
    mesh.draw()?;
    Ok(chart)
}

/// A chart of one value per month (x: month index) with its mesh: months labelled `Oct 2026`,
/// every month or every quarter, and `y_label` formatting the values.
pub(super) fn month_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    months: &[Month],
    y_max: f64,
    y_label: &dyn Fn(&f64) -> String,
    k: f64,
) -> std::result::Result<Plot<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let n = months.len().max(1);
    let chart = value_chart(
        area,
        title,
        (-0.5f64..(n as f64 - 0.5), 0f64..y_max),
        &XAxis::TICKS,
        y_label,
        k,
    )?;
    let ticks: Vec<(f64, String)> = labelled_months(months)
        .into_iter()
        .map(|i| (i as f64, month_label(months[i])))
        .collect();
    x_ticks(&chart, area, &ticks, 0.0, k)?;
    Ok(chart)
}

/// A line through `points` with a dot of `dot` pixels on each (but the first, when
/// `skip_first`: the origin of a cumulative curve).
pub(super) fn line_with_dots<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    points: &[(f64, f64)],
    skip_first: bool,
    dot: u32,
    k: f64,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart.draw_series(LineSeries::new(
        points.to_vec(),
        ACCENT.stroke_width(px(3, k)),
    ))?;
    chart.draw_series(
        points
            .iter()
            .skip(usize::from(skip_first))
            .map(|p| Circle::new(*p, px(dot, k), ACCENT.filled())),
    )?;
    Ok(())
}

pub(super) fn pct_axis(y: &f64) -> String {
    format!("{:.0}%", y * 100.0)
}

pub(super) fn usd_axis(y: &f64) -> String {
    fmt::usd_short(*y)
}

// The charts.
