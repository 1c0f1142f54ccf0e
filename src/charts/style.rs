//! What every chart shares: the embedded font's family, sizes, colours, and lengths scaled for
//! PNG output.

use plotters::prelude::*;

use crate::error::Error;

pub(super) const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

pub(super) const W: u32 = 720;

pub(super) const H: u32 = 340;

/// The legend's column beside the plot.
pub(super) const LEGEND_W: u32 = 215;

pub(super) const FAMILY: &str = "sans-serif";

/// Axis and legend text.
pub(super) const TEXT: f64 = 17.0;

/// Chart titles.
pub(super) const TITLE: f64 = 20.0;

pub(super) const INK: RGBColor = RGBColor(31, 41, 55);

pub(super) const GRID: RGBColor = RGBColor(229, 231, 235);

pub(super) const TARGET: RGBColor = RGBColor(220, 38, 38);

pub(super) const ACCENT: RGBColor = RGBColor(37, 99, 235);

pub(super) const MUTED: RGBColor = RGBColor(156, 163, 175);

pub(super) const GOOD: RGBColor = RGBColor(4, 120, 87);

/// Series colours for teams and apps, in order.
pub(super) const PALETTE: [RGBColor; 12] = [
    RGBColor(37, 99, 235),
    RGBColor(245, 158, 11),
    RGBColor(16, 185, 129),
    RGBColor(124, 58, 237),
    RGBColor(236, 72, 153),
    RGBColor(20, 184, 166),
    RGBColor(239, 68, 68),
    RGBColor(132, 204, 22),
    RGBColor(14, 165, 233),
    RGBColor(168, 85, 247),
    RGBColor(234, 88, 12),
    RGBColor(107, 114, 128),
];

pub(super) fn family_color(f: &str) -> RGBColor {
    match f {
        "opus" => RGBColor(124, 58, 237),
        "sonnet" => RGBColor(37, 99, 235),
        "haiku" => RGBColor(16, 185, 129),
        _ => {
            // A stable colour per extra family, from its name.
            let h = f
                .bytes()
                .fold(7u32, |a, b| a.wrapping_mul(31).wrapping_add(b as u32));
            let palette = [
                RGBColor(245, 158, 11),
                RGBColor(236, 72, 153),
                RGBColor(20, 184, 166),
                RGBColor(107, 114, 128),
            ];
            palette[(h % palette.len() as u32) as usize]
        }
    }
}

pub(super) fn chart_err<E: std::fmt::Debug>(name: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Internal(format!("chart {name}: {e:?}"))
}

/// Scales a length in pixels.
pub(super) fn px(v: u32, k: f64) -> u32 {
    (f64::from(v) * k).round() as u32
}

pub(super) fn pxi(v: i32, k: f64) -> i32 {
    (f64::from(v) * k).round() as i32
}

pub(super) fn font(size: f64, k: f64) -> TextStyle<'static> {
    (FAMILY, size * k).into_font().color(&INK)
}
