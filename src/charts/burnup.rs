//! The commitment's burn-up: consumed to date against the commitment and the linear pace, with
//! the forecast's P10-P90 band and P50 to the term's end.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};
use crate::fmt;
use crate::month::Month;
use crate::report::ReportModel;

use super::axes::{
    XAxis, labelled_months, line_with_dots, month_label, usd_axis, value_chart, x_ticks,
};
use super::legend::{Mark, side_legend, split_legend};
use super::style::{ACCENT, INK, MUTED, TARGET, TEXT, chart_err, font, px};

pub(super) fn burn_up<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &ReportModel,
    title: &str,
    k: f64,
) -> Result<()> {
    let err = chart_err("commitment_burnup");
    let Some(section) = &m.commitment else {
        return Err(Error::Internal("burn-up without a commitment".into()));
    };
    let c = &section.metrics;
    let f = &section.forecast;
    let day = |d: chrono::NaiveDate| (d - c.start).num_days() as f64;
    let total_days = c.term_days as f64;
    let band = &f.band;
    let band_top = band.last().map_or(0.0, |b| b.3);
    let top = c.amount.max(c.projected_end_of_term).max(band_top) * 1.1;
    let mut actual: Vec<(f64, f64)> = vec![(0.0, 0.0)];
    actual.extend(c.burn_up.iter().map(|(d, v)| (day(*d) + 1.0, *v)));
    let last = *actual.last().unwrap_or(&(0.0, 0.0));
    // Month starts of the term, labelled every month up to eight, else every quarter.
    let mut term_months = Vec::new();
    let mut mm = Month::of(c.start);
    while mm.first_day() <= c.end {
        term_months.push(mm);
        mm = mm.next();
    }
    let ticks: Vec<(f64, String)> = labelled_months(&term_months)
        .into_iter()
        .map(|i| {
            (
                day(term_months[i].first_day().max(c.start)),
                month_label(term_months[i]),
            )
        })
        .collect();
    root.fill(&WHITE).map_err(&err)?;
    let (plot, side) = split_legend(root, k);
    let mut chart = value_chart(
        &plot,
        title,
        (0f64..total_days, 0f64..top),
        &XAxis::TICKS,
        &usd_axis,
        k,
    )
    .map_err(&err)?;
    x_ticks(&chart, &plot, &ticks, 0.0, k).map_err(&err)?;
    let mut entries: Vec<(String, RGBAColor, Mark)> = Vec::new();
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, c.amount), (total_days, c.amount)],
            INK.stroke_width(px(1, k)),
        ))
        .map_err(&err)?;
    entries.push((
        format!("commitment {}", fmt::usd_short(c.amount)),
        INK.to_rgba(),
        Mark::Line,
    ));
    chart
        .draw_series(DashedLineSeries::new(
            vec![(0.0, 0.0), (total_days, c.amount)],
            px(4, k),
            px(4, k),
            MUTED.stroke_width(px(2, k)),
        ))
        .map_err(&err)?;
    entries.push(("linear pace".into(), MUTED.to_rgba(), Mark::Dash));
    if !band.is_empty() {
        // The forecast: its P10-P90 band from the end of the review month, and its P50.
        let mut poly: Vec<(f64, f64)> = vec![last];
        poly.extend(band.iter().map(|b| (day(b.0) + 1.0, b.3)));
        poly.extend(band.iter().rev().map(|b| (day(b.0) + 1.0, b.1)));
        let shade = ACCENT.mix(0.18);
        chart
            .draw_series(std::iter::once(Polygon::new(poly, shade.filled())))
            .map_err(&err)?;
        let mut p50 = vec![last];
        p50.extend(band.iter().map(|b| (day(b.0) + 1.0, b.2)));
        chart
            .draw_series(DashedLineSeries::new(
                p50,
                px(6, k),
                px(4, k),
                ACCENT.stroke_width(px(2, k)),
            ))
            .map_err(&err)?;
        // Where P50 and P90 reach the commitment, when they do within the term: P90's label
        // above the line, P50's below it, so that close dates never print on top of each other.
        for (when, name, v) in [
            (f.crosses_p50, "P50", VPos::Top),
            (f.crosses_p90, "P90", VPos::Bottom),
        ] {
            if let Some(d) = when {
                let at = (day(d) + 1.0, c.amount);
                chart
                    .draw_series([Circle::new(at, px(4, k), TARGET.filled())])
                    .map_err(&err)?;
                chart
                    .draw_series([Text::new(
                        format!("{name} reaches it {}", d.format("%b %-d")),
                        at,
                        font(TEXT, k).pos(Pos::new(HPos::Right, v)),
                    )])
                    .map_err(&err)?;
            }
        }
    }
    line_with_dots(&mut chart, &actual, true, 3, k).map_err(&err)?;
    entries.push((
        format!("consumed {}", fmt::usd_short(c.consumed_to_date)),
        ACCENT.to_rgba(),
        Mark::Line,
    ));
    if let (false, Some(&(_, lo, mid, hi))) = (band.is_empty(), band.last()) {
        entries.push((
            format!("forecast P50 {}", fmt::usd_short(mid)),
            ACCENT.to_rgba(),
            Mark::Dash,
        ));
        entries.push((
            format!("P10–P90 {}–{}", fmt::usd_short(lo), fmt::usd_short(hi)),
            ACCENT.mix(0.18),
            Mark::Box,
        ));
    }
    chart
        .draw_series(DashedLineSeries::new(
            vec![last, (total_days, c.projected_end_of_term)],
            px(8, k),
            px(5, k),
            TARGET.stroke_width(px(2, k)),
        ))
        .map_err(&err)?;
    entries.push((
        format!(
            "3-month average {}",
            fmt::usd_short(c.projected_end_of_term)
        ),
        TARGET.to_rgba(),
        Mark::Dash,
    ));
    side_legend(&side, &entries, k)
}
