//! Legends beside the plot, never over the data: the plot and legend areas, and the entries.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::Result;

use super::style::{LEGEND_W, TEXT, chart_err, font, px, pxi};

/// How a legend entry is marked.
#[derive(Clone, Copy)]
pub(super) enum Mark {
    Box,
    Line,
    Dash,
    /// Text only: the entry names what the plot labels itself (`B1`, `B2`, ...).
    Text,
}

/// The plot and, to its right, the legend's column.
pub(super) fn split_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    k: f64,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let (w, _) = root.dim_in_pixel();
    root.split_horizontally(w.saturating_sub(px(LEGEND_W, k)))
}

/// Draws legend entries top down in their column.
pub(super) fn side_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBAColor, Mark)],
    k: f64,
) -> Result<()> {
    let err = chart_err("legend");
    let step = pxi(24, k);
    let x = pxi(10, k);
    let top = pxi(46, k);
    for (i, (label, color, mark)) in entries.iter().enumerate() {
        let y = top + i as i32 * step;
        match mark {
            Mark::Box => area
                .draw(&Rectangle::new(
                    [(x, y - pxi(7, k)), (x + pxi(16, k), y + pxi(7, k))],
                    color.filled(),
                ))
                .map_err(&err)?,
            Mark::Line => area
                .draw(&PathElement::new(
                    vec![(x, y), (x + pxi(18, k), y)],
                    color.stroke_width(px(3, k)),
                ))
                .map_err(&err)?,
            Mark::Text => {}
            Mark::Dash => {
                for s in [0, 7, 14] {
                    area.draw(&PathElement::new(
                        vec![(x + pxi(s, k), y), (x + pxi(s + 4, k), y)],
                        color.stroke_width(px(2, k)),
                    ))
                    .map_err(&err)?;
                }
            }
        }
        area.draw(&Text::new(
            label.clone(),
            (
                if matches!(mark, Mark::Text) {
                    x
                } else {
                    x + pxi(24, k)
                },
                y,
            ),
            font(TEXT, k).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(&err)?;
    }
    Ok(())
}
