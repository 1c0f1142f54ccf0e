//! Drawing a chart to SVG text or to an indexed-colour PNG (for email), with the embedded font.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::Result;

use super::style::{FAMILY, FONT, chart_err};

pub(super) fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in; failing to parse it is a build defect caught by every chart test.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
        let _ = plotters::style::register_font(FAMILY, FontStyle::Bold, FONT);
    });
}

/// Draws a chart as SVG text.
pub(super) fn svg_of(
    size: (u32, u32),
    name: &str,
    paint: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
) -> Result<String> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        paint(&root)?;
        root.present().map_err(chart_err(name))?;
    }
    // A label's bidirectional formatting characters are shown, not obeyed (they stand only in
    // text content, where their visible form is plain text).
    Ok(crate::fmt::bidi_visible(&svg).into_owned())
}

/// Draws a chart as PNG at `scale` times `size`.
pub(super) fn png_of(
    size: (u32, u32),
    scale: u32,
    name: &str,
    paint: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<()>,
) -> Result<Png> {
    register_font();
    let (w, h) = size;
    let (pw, ph) = (w * scale, h * scale);
    let mut rgb = vec![0u8; (pw * ph * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (pw, ph)).into_drawing_area();
        paint(&root)?;
        root.present().map_err(chart_err(name))?;
    }
    let (palette, indices) = indexed(&rgb);
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, pw, ph);
        enc.set_color(png::ColorType::Indexed);
        enc.set_palette(palette);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Best);
        let mut writer = enc.write_header().map_err(chart_err(name))?;
        writer.write_image_data(&indices).map_err(chart_err(name))?;
    }
    Ok(Png {
        name: name.to_owned(),
        width: w,
        height: h,
        bytes,
    })
}

/// An RGB image as a palette of at most 256 colours and an index per pixel. A chart has a few
/// hundred colours at most (flat fills and the anti-aliased edges of text and lines); the 256
/// most used are kept exactly (ties: the colour's value) and any rarer one, an edge pixel, takes
/// the nearest kept colour. A third of the bytes of RGB for the email.
pub(super) fn indexed(rgb: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut counts: std::collections::HashMap<[u8; 3], u32> = std::collections::HashMap::new();
    for p in rgb.chunks_exact(3) {
        *counts.entry([p[0], p[1], p[2]]).or_default() += 1;
    }
    let mut colours: Vec<([u8; 3], u32)> = counts.into_iter().collect();
    colours.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let kept: Vec<[u8; 3]> = colours.iter().take(256).map(|c| c.0).collect();
    let mut index: std::collections::HashMap<[u8; 3], u8> = kept
        .iter()
        .enumerate()
        .map(|(i, c)| (*c, i as u8))
        .collect();
    for (c, _) in colours.iter().skip(256) {
        let d = |k: &[u8; 3]| -> u32 {
            (0..3)
                .map(|i| (i32::from(c[i]) - i32::from(k[i])).pow(2) as u32)
                .sum()
        };
        let nearest = (0..kept.len()).min_by_key(|i| d(&kept[*i])).unwrap_or(0);
        index.insert(*c, nearest as u8);
    }
    let indices = rgb
        .chunks_exact(3)
        .map(|p| index[&[p[0], p[1], p[2]]])
        .collect();
    (kept.concat(), indices)
}

/// A PNG chart for email: drawn at `scale` times the display size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Png {
    /// Chart name.
    pub name: String,
    /// Display width in CSS pixels.
    pub width: u32,
    /// Display height in CSS pixels.
    pub height: u32,
    /// The PNG file.
    pub bytes: Vec<u8>,
}
