//! Sparklines: the KPI cards' last six months.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::Result;

use super::style::{ACCENT, GOOD, TARGET, chart_err, px};

/// Size of a sparkline.
pub const SPARK: (u32, u32) = (132, 36);

pub(super) fn sparkline<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    values: &[Option<f64>],
    good: bool,
    k: f64,
) -> Result<()> {
    let err = chart_err("sparkline");
    root.fill(&WHITE).map_err(&err)?;
    let pts: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
        .collect();
    if pts.len() < 2 {
        return Ok(());
    }
    let (lo, hi) = pts
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let pad = ((hi - lo) * 0.15).max(hi.abs() * 0.02).max(1e-9);
    let mut chart = ChartBuilder::on(root)
        .margin(px(4, k))
        .build_cartesian_2d(-0.2f64..(values.len() as f64 - 0.8), (lo - pad)..(hi + pad))
        .map_err(&err)?;
    let color = if good { GOOD } else { TARGET };
    chart
        .draw_series(LineSeries::new(pts.clone(), ACCENT.stroke_width(px(2, k))))
        .map_err(&err)?;
    let last = *pts.last().expect("two points");
    chart
        .draw_series([Circle::new(last, px(3, k), color.filled())])
        .map_err(&err)?;
    Ok(())
}
