//! A KPI's share by month against its target band.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::Result;
use crate::fmt;
use crate::month::Month;
use crate::report::ReportModel;

use super::axes::{line_with_dots, month_chart, pct_axis};
use super::legend::{Mark, side_legend, split_legend};
use super::style::{ACCENT, TARGET, chart_err, px};

pub(super) fn share_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &ReportModel,
    title: &str,
    key: &str,
    k: f64,
    value: impl Fn(&crate::report::MonthSummary) -> Option<f64>,
) -> Result<()> {
    let err = chart_err("share_line");
    let months: Vec<Month> = m.history.iter().map(|h| h.month).collect();
    let n = months.len().max(1);
    let points: Vec<(f64, f64)> = m
        .history
        .iter()
        .enumerate()
        .filter_map(|(i, h)| value(h).map(|v| (i as f64, v)))
        .collect();
    let target = m
        .kpis
        .iter()
        .find(|k| k.key == key)
        .and_then(|k| k.goal)
        .map(|g| match g {
            crate::kpi::Goal::AtLeast(v) | crate::kpi::Goal::AtMost(v) => v,
            crate::kpi::Goal::Between(lo, _) => lo,
        });
    let top = points
        .iter()
        .map(|p| p.1)
        .chain(target)
        .fold(0.0f64, f64::max);
    let y_max = ((top * 1.2 * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
    root.fill(&WHITE).map_err(&err)?;
    let (plot, side) = split_legend(root, k);
    let mut chart = month_chart(&plot, title, &months, y_max, &pct_axis, k).map_err(&err)?;
    line_with_dots(&mut chart, &points, false, 4, k).map_err(&err)?;
    let mut entries = vec![(
        format!(
            "actual {}",
            points.last().map_or("—".into(), |p| fmt::pct(p.1))
        ),
        ACCENT.to_rgba(),
        Mark::Line,
    )];
    if let Some(t) = target {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(-0.5, t), (n as f64 - 0.5, t)],
                px(8, k),
                px(5, k),
                TARGET.stroke_width(px(2, k)),
            ))
            .map_err(&err)?;
        entries.push((
            format!("target {}", fmt::pct(t)),
            TARGET.to_rgba(),
            Mark::Dash,
        ));
    }
    side_legend(&side, &entries, k)
}
