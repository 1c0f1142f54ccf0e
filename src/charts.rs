//! Charts of the review pack, drawn with plotters as SVG (the pack) and PNG (email).
//!
//! The font is embedded (DejaVu Sans), so drawing needs no system fonts and gives the same bytes
//! on every machine. Sizes are fixed; axis and legend text is drawn at 13.7 px, so that a chart
//! shown at 600 px in an email still reads at 11 px (plotters draws a requested size at about
//! 0.8 of it). Legends sit beside the plot, never over the
//! data; months are labelled `Oct 2026`, every month or every quarter; money `$600k`.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};
use crate::fmt;
use crate::month::Month;
use serde::Serialize;

use crate::report::{ReportModel, TeamRow};

const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const W: u32 = 720;
const H: u32 = 340;
/// The legend's column beside the plot.
const LEGEND_W: u32 = 215;
const FAMILY: &str = "sans-serif";
/// Axis and legend text.
const TEXT: f64 = 17.0;
/// Chart titles.
const TITLE: f64 = 20.0;

const INK: RGBColor = RGBColor(31, 41, 55);
const GRID: RGBColor = RGBColor(229, 231, 235);
const TARGET: RGBColor = RGBColor(220, 38, 38);
const ACCENT: RGBColor = RGBColor(37, 99, 235);
const MUTED: RGBColor = RGBColor(156, 163, 175);
const GOOD: RGBColor = RGBColor(4, 120, 87);

/// Series colours for teams and apps, in order.
const PALETTE: [RGBColor; 12] = [
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

fn family_color(f: &str) -> RGBColor {
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

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in; failing to parse it is a build defect caught by every chart test.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
        let _ = plotters::style::register_font(FAMILY, FontStyle::Bold, FONT);
    });
}

fn chart_err<E: std::fmt::Debug>(name: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Internal(format!("chart {name}: {e:?}"))
}

/// A chart of the pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChartRef {
    /// File name under `charts/`, without extension.
    pub name: String,
    /// Title.
    pub title: String,
    /// Alternative text that states the key number.
    pub alt: String,
}

/// The charts the pack has, with titles and alt text that state the key number.
pub fn chart_refs(m: &ReportModel) -> Vec<ChartRef> {
    let mut out = vec![ChartRef {
        name: "model_mix".into(),
        title: "Model mix by month (share of spend)".into(),
        alt: format!(
            "Model mix by month; in {} Opus is {} of spend",
            m.month_label,
            m.model_mix
                .iter()
                .find(|r| r.key == "model_mix.opus")
                .map_or("—".into(), |r| r.value_text.clone())
        ),
    }];
    // A trend chart for every catalogue KPI that asks for one and is in the headline.
    for row in m.kpis.iter() {
        if crate::kpi::by_key(&row.key).is_some_and(|i| i.kpi.trend) {
            out.push(ChartRef {
                name: row.key.clone(),
                title: format!("{} by month", row.label),
                alt: format!(
                    "{} by month; {} in {} (target {})",
                    row.label, row.value_text, m.month_label, row.target_text
                ),
            });
        }
    }
    if let Some(c) = &m.commitment {
        out.push(ChartRef {
            name: "commitment_burnup".into(),
            title: "Commitment burn-up".into(),
            alt: match &c.forecast {
                f if f.declined.is_none() && !f.band.is_empty() => format!(
                    "Commitment burn-up; {} consumed of {}; forecast at term end {} at P50 ({} to {}), at the 3-month average run rate {}",
                    fmt::usd(c.metrics.consumed_to_date),
                    fmt::usd(c.metrics.amount),
                    fmt::pct(f.utilization[1]),
                    fmt::pct(f.utilization[0]),
                    fmt::pct(f.utilization[2]),
                    fmt::pct(c.metrics.projected_utilization)
                ),
                _ => format!(
                    "Commitment burn-up; {} consumed of {}, projected {} at term end",
                    fmt::usd(c.metrics.consumed_to_date),
                    fmt::usd(c.metrics.amount),
                    fmt::pct(c.metrics.projected_utilization)
                ),
            },
        });
    }
    let b = &m.backlog;
    if b.items.iter().any(|i| !i.waits) {
        out.push(ChartRef {
            name: "backlog".into(),
            title: "Backlog: savings a year against engineering weeks".into(),
            alt: format!(
                "Backlog curve; {} free {} a year for {} weeks of engineering, wave 1 {} a year",
                fmt::count(b.items.iter().filter(|i| !i.waits).count() as i64, "item"),
                fmt::usd0(12.0 * b.funded_monthly),
                fmt::num(b.funded_weeks),
                fmt::usd0(b.waves.first().map_or(0.0, |w| w.annual))
            ),
        });
    }
    if b.items.iter().any(|i| !i.waits && i.ship.is_some()) {
        let last = b.waves.last();
        out.push(ChartRef {
            name: "wave_plan".into(),
            title: "Wave plan: when each item ships".into(),
            alt: format!(
                "Wave plan; {} in {} from {}, the last shipping on {}",
                fmt::count(b.items.iter().filter(|i| !i.waits).count() as i64, "item"),
                fmt::count(b.waves.len() as i64, "wave"),
                m.as_of,
                last.and_then(|w| w.ship)
                    .map_or("—".to_owned(), |d| d.to_string())
            ),
        });
    }
    out.push(ChartRef {
        name: "spend_by_team".into(),
        title: format!(
            "Spend by team, {} vs {}",
            month_label(m.month),
            month_label(m.prev_month)
        ),
        alt: format!(
            "Spend by team; largest is {} at {}",
            m.teams.first().map_or("—", |t| t.team.as_str()),
            m.teams.first().map_or("—".into(), |t| fmt::usd(t.spend))
        ),
    });
    let first = m.history.first().map_or(m.month, |h| h.month);
    out.push(ChartRef {
        name: "spend_trend_team".into(),
        title: "Monthly spend by team".into(),
        alt: format!(
            "Monthly spend by team, {} to {}; {} in {}",
            month_label(first),
            month_label(m.month),
            fmt::usd(m.totals.spend),
            month_label(m.month)
        ),
    });
    out.push(ChartRef {
        name: "spend_trend_family".into(),
        title: "Monthly spend by model family".into(),
        alt: format!(
            "Monthly spend by model family, {} to {}; Opus {} in {}",
            month_label(first),
            month_label(m.month),
            fmt::usd(m.totals.by_family.get("opus").copied().unwrap_or(0.0)),
            month_label(m.month)
        ),
    });
    out
}

/// `Oct 2026`.
fn month_label(m: Month) -> String {
    m.first_day().format("%b %Y").to_string()
}

/// The pixel size of a chart at scale 1.
fn chart_size(m: &ReportModel, name: &str) -> (u32, u32) {
    if name == "spend_by_team" {
        let n = m.teams.len().clamp(1, 12) as u32;
        (W, (80 + 34 * n).max(H))
    } else if name == "wave_plan" {
        let n = wave_items(m).len().clamp(1, 40) as u32;
        (W, (110 + 30 * n).max(220))
    } else {
        (W, H)
    }
}

/// Scales a length in pixels.
fn px(v: u32, k: f64) -> u32 {
    (f64::from(v) * k).round() as u32
}

fn pxi(v: i32, k: f64) -> i32 {
    (f64::from(v) * k).round() as i32
}

fn font(size: f64, k: f64) -> TextStyle<'static> {
    (FAMILY, size * k).into_font().color(&INK)
}

/// Draws one chart on any backend, every length scaled by `k`.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &ReportModel,
    name: &str,
    title: &str,
    k: f64,
) -> Result<()> {
    match name {
        "model_mix" => model_mix(root, m, title, k),
        "commitment_burnup" => burn_up(root, m, title, k),
        "spend_by_team" => spend_by_team(root, m, title, k),
        "backlog" => backlog_curve(root, m, title, k),
        "wave_plan" => wave_plan(root, m, title, k),
        "spend_trend_team" => {
            let months: Vec<Month> = m.history.iter().map(|h| h.month).collect();
            let mut order: Vec<String> = m.teams.iter().map(|t| t.team.clone()).collect();
            order.reverse();
            let series = order
                .iter()
                .map(|t| {
                    let v = m
                        .history
                        .iter()
                        .map(|h| h.by_team.get(t).copied().unwrap_or(0.0))
                        .collect();
                    (t.clone(), v)
                })
                .collect::<Vec<_>>();
            stacked_spend(root, name, title, &months, &series, None, k)
        }
        "spend_trend_family" => {
            let months: Vec<Month> = m.history.iter().map(|h| h.month).collect();
            let families: Vec<String> = m
                .model_mix
                .iter()
                .map(|r| r.key.trim_start_matches("model_mix.").to_owned())
                .collect();
            let series = families
                .iter()
                .map(|f| {
                    let v = m
                        .history
                        .iter()
                        .map(|h| h.totals.by_family.get(f).copied().unwrap_or(0.0))
                        .collect();
                    (crate::kpi::family_label(f), v)
                })
                .collect::<Vec<_>>();
            let colors: Vec<RGBColor> = families.iter().map(|f| family_color(f)).collect();
            stacked_spend(root, name, title, &months, &series, Some(&colors), k)
        }
        key => match crate::kpi::by_key(key).filter(|i| i.kpi.trend) {
            Some(inst) => share_line(root, m, title, key, k, |s| {
                (inst.kpi.value)(&crate::kpi::Input {
                    totals: &s.totals,
                    target: None,
                    commitment: None,
                    family: inst.family.as_deref(),
                })
            }),
            None => Err(Error::Internal(format!("unknown chart {key}"))),
        },
    }
}

/// Draws a chart as SVG text.
fn svg_of(
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
    Ok(svg)
}

/// Draws a chart as PNG at `scale` times `size`.
fn png_of(
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
fn indexed(rgb: &[u8]) -> (Vec<u8>, Vec<u8>) {
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

/// Draws every chart of the pack as SVG: (name, svg text).
pub fn render_svgs(m: &ReportModel) -> Result<Vec<(String, String)>> {
    chart_refs(m)
        .iter()
        .map(|c| {
            let svg = svg_of(chart_size(m, &c.name), &c.name, |root| {
                draw(root, m, &c.name, &c.title, 1.0)
            })?;
            Ok((c.name.clone(), svg))
        })
        .collect()
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

#[cfg(test)]
/// Draws every chart of the pack as PNG at `scale` x its display size (email clients show no SVG).
pub fn render_pngs(m: &ReportModel, scale: u32) -> Result<Vec<Png>> {
    let all: Vec<String> = chart_refs(m).into_iter().map(|c| c.name).collect();
    let names: Vec<&str> = all.iter().map(String::as_str).collect();
    render_pngs_of(m, scale, &names)
}

/// Draws the named charts of the pack (those it has) as PNG, in the pack's order.
pub fn render_pngs_of(m: &ReportModel, scale: u32, names: &[&str]) -> Result<Vec<Png>> {
    chart_refs(m)
        .iter()
        .filter(|c| names.contains(&c.name.as_str()))
        .map(|c| {
            png_of(chart_size(m, &c.name), scale, &c.name, |root| {
                draw(root, m, &c.name, &c.title, f64::from(scale))
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Sparklines: the KPI cards' last six months.

/// Size of a sparkline.
pub const SPARK: (u32, u32) = (132, 36);

fn sparkline<DB: DrawingBackend>(
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

/// A KPI card's sparkline as SVG; `good` colours its last point.
pub fn sparkline_svg(values: &[Option<f64>], good: bool) -> Result<String> {
    svg_of(SPARK, "sparkline", |root| {
        sparkline(root, values, good, 1.0)
    })
}

/// A KPI card's sparkline as PNG, for email.
pub fn sparkline_png(name: &str, values: &[Option<f64>], good: bool, scale: u32) -> Result<Png> {
    png_of(SPARK, scale, name, |root| {
        sparkline(root, values, good, f64::from(scale))
    })
}

// ---------------------------------------------------------------------------------------------
// A team's page: its spend by app, month by month.

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

fn team_apps<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, t: &TeamRow, k: f64) -> Result<()> {
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

/// A team's app chart as SVG.
pub fn team_svg(t: &TeamRow) -> Result<String> {
    svg_of((W, H), "team_apps", |root| team_apps(root, t, 1.0))
}

/// A team's app chart as PNG, for its email.
pub fn team_png(t: &TeamRow, scale: u32) -> Result<Png> {
    png_of((W, H), scale, "team_apps", |root| {
        team_apps(root, t, f64::from(scale))
    })
}

// ---------------------------------------------------------------------------------------------
// Shared pieces.

/// How a legend entry is marked.
#[derive(Clone, Copy)]
enum Mark {
    Box,
    Line,
    Dash,
    /// Text only: the entry names what the plot labels itself (`B1`, `B2`, ...).
    Text,
}

/// The plot and, to its right, the legend's column.
fn split_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    k: f64,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let (w, _) = root.dim_in_pixel();
    root.split_horizontally(w.saturating_sub(px(LEGEND_W, k)))
}

/// Draws legend entries top down in their column.
fn side_legend<DB: DrawingBackend>(
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

/// The months to label: all of them up to eight, else the first month of each quarter.
fn labelled_months(months: &[Month]) -> Vec<usize> {
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

type MonthChart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Labels the x axis at exactly `ticks` (x value, text), below the axis at y = `y0`: plotters
/// would pick its own, irregular positions for a number axis.
fn x_ticks<DB: DrawingBackend>(
    chart: &MonthChart<'_, DB>,
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

/// A chart of one value per month (x: month index) with its mesh: months labelled `Oct 2026`,
/// every month or every quarter, and `y_label` formatting the values.
fn month_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    months: &[Month],
    y_max: f64,
    y_label: &dyn Fn(&f64) -> String,
    k: f64,
) -> std::result::Result<MonthChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let n = months.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(TITLE, k))
        .margin(px(12, k))
        .x_label_area_size(px(32, k))
        .y_label_area_size(px(58, k))
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..y_max)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID.stroke_width(px(1, k)))
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(y_label)
        .label_style(font(TEXT, k))
        .axis_style(MUTED.stroke_width(px(1, k)))
        .draw()?;
    let ticks: Vec<(f64, String)> = labelled_months(months)
        .into_iter()
        .map(|i| (i as f64, month_label(months[i])))
        .collect();
    x_ticks(&chart, area, &ticks, 0.0, k)?;
    Ok(chart)
}

fn pct_axis(y: &f64) -> String {
    format!("{:.0}%", y * 100.0)
}

fn usd_axis(y: &f64) -> String {
    fmt::usd_short(*y)
}

// ---------------------------------------------------------------------------------------------
// The charts.

fn model_mix<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &ReportModel,
    title: &str,
    k: f64,
) -> Result<()> {
    let err = chart_err("model_mix");
    let months: Vec<Month> = m.history.iter().map(|h| h.month).collect();
    let families: Vec<String> = m
        .model_mix
        .iter()
        .map(|r| r.key.trim_start_matches("model_mix.").to_owned())
        .collect();
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

fn share_line<DB: DrawingBackend>(
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
    chart
        .draw_series(LineSeries::new(
            points.clone(),
            ACCENT.stroke_width(px(3, k)),
        ))
        .map_err(&err)?;
    chart
        .draw_series(
            points
                .iter()
                .map(|p| Circle::new(*p, px(4, k), ACCENT.filled())),
        )
        .map_err(&err)?;
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

/// Stacked monthly spend: `series` bottom up, each (name, value per month).
fn stacked_spend<DB: DrawingBackend>(
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

fn burn_up<DB: DrawingBackend>(
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
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, font(TITLE, k))
        .margin(px(12, k))
        .x_label_area_size(px(32, k))
        .y_label_area_size(px(58, k))
        .build_cartesian_2d(0f64..total_days, 0f64..top)
        .map_err(&err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID.stroke_width(px(1, k)))
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&usd_axis)
        .label_style(font(TEXT, k))
        .axis_style(MUTED.stroke_width(px(1, k)))
        .draw()
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
    chart
        .draw_series(LineSeries::new(
            actual.clone(),
            ACCENT.stroke_width(px(3, k)),
        ))
        .map_err(&err)?;
    chart
        .draw_series(
            actual
                .iter()
                .skip(1)
                .map(|p| Circle::new(*p, px(3, k), ACCENT.filled())),
        )
        .map_err(&err)?;
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

/// The backlog as a curve: cumulative annual saving against cumulative effort, items in rank
/// order, each wave shaded; the steepest part (the best dollars per week) comes first.
fn backlog_curve<DB: DrawingBackend>(
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
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, font(TITLE, k))
        .margin(px(12, k))
        .x_label_area_size(px(44, k))
        .y_label_area_size(px(58, k))
        .build_cartesian_2d(0f64..x_max, 0f64..y_max)
        .map_err(&err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID.stroke_width(px(1, k)))
        .x_desc("engineering weeks")
        .x_labels(8)
        .x_label_formatter(&|x| fmt::num(*x))
        .y_labels(6)
        .y_label_formatter(&usd_axis)
        .label_style(font(TEXT, k))
        .axis_desc_style(font(TEXT, k))
        .axis_style(MUTED.stroke_width(px(1, k)))
        .draw()
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
    chart
        .draw_series(LineSeries::new(
            points.clone(),
            ACCENT.stroke_width(px(3, k)),
        ))
        .map_err(&err)?;
    chart
        .draw_series(
            points
                .iter()
                .skip(1)
                .map(|p| Circle::new(*p, px(4, k), ACCENT.filled())),
        )
        .map_err(&err)?;
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
fn wave_items(m: &ReportModel) -> Vec<&crate::report::Item> {
    m.backlog
        .items
        .iter()
        .filter(|i| !i.waits && i.ship.is_some() && i.wave_start.is_some())
        .collect()
}

/// The waves as a timeline: one bar per item from its wave's start to its ship date, coloured by
/// wave, rank 1 at the top; dates on the axis from the review date.
fn wave_plan<DB: DrawingBackend>(
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

fn spend_by_team<DB: DrawingBackend>(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> ReportModel {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let cfg =
            crate::config::Config::load(&root.join("tests/fixtures/tiny/govreview.toml")).unwrap();
        let files = crate::data::expand_paths(&cfg.data_paths, &cfg.base_dir).unwrap();
        let ds =
            crate::data::load(&files, cfg.commitment.as_ref().map(|c| (c.start, c.end))).unwrap();
        let priced = crate::costing::price(&ds, &cfg).unwrap();
        let month = "2026-10".parse().unwrap();
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        crate::review::build(&cfg, &ds, &priced, month, date, &[]).unwrap()
    }

    #[test]
    fn a_palette_keeps_every_colour_up_to_256_and_maps_rarer_ones_to_the_nearest() {
        // Three colours: kept exactly, the most used first.
        let rgb = [255, 255, 255, 255, 255, 255, 0, 0, 0, 10, 20, 30];
        let (palette, idx) = indexed(&rgb);
        assert_eq!(palette, [255, 255, 255, 0, 0, 0, 10, 20, 30]);
        assert_eq!(idx, [0, 0, 1, 2]);
        // 257 colours: (0, 0, 0) used twice, then 256 greys used once; the rarest by value order
        // (255, 0, 1) is not kept and takes its nearest, (255, 0, 0).
        let mut rgb = vec![0, 0, 0, 0, 0, 0];
        for i in 0..=255u8 {
            rgb.extend([255, 0, 0]);
            rgb.extend([i, i, i]);
        }
        rgb.extend([255, 0, 1]);
        let (palette, idx) = indexed(&rgb);
        assert_eq!(palette.len(), 256 * 3);
        let red = palette.chunks(3).position(|c| c == [255, 0, 0]).unwrap() as u8;
        assert_eq!(*idx.last().unwrap(), red);
    }

    #[test]
    fn pngs_are_drawn_at_twice_the_display_size() {
        let m = model();
        let pngs = render_pngs(&m, 2).unwrap();
        assert_eq!(pngs.len(), chart_refs(&m).len());
        for p in &pngs {
            assert_eq!(&p.bytes[..8], b"\x89PNG\r\n\x1a\n");
            let dec = png::Decoder::new(std::io::Cursor::new(&p.bytes));
            let info = dec.read_info().unwrap().info().clone();
            assert_eq!((info.width, info.height), (p.width * 2, p.height * 2));
            if std::env::var_os("GOVREVIEW_KEEP_PNG").is_some() {
                std::fs::write(
                    std::env::temp_dir().join(format!("{}.png", p.name)),
                    &p.bytes,
                )
                .unwrap();
            }
        }
        // Deterministic: drawn twice, the same bytes.
        assert_eq!(render_pngs(&m, 2).unwrap(), pngs);
    }

    #[test]
    fn months_are_labelled_every_month_or_every_quarter() {
        let months: Vec<Month> = (1..=10)
            .map(|i| format!("2026-{i:02}").parse().unwrap())
            .collect();
        // Ten months: Jan, Apr, Jul, Oct.
        assert_eq!(labelled_months(&months), [0, 3, 6, 9]);
        assert_eq!(labelled_months(&months[..6]), [0, 1, 2, 3, 4, 5]);
        assert_eq!(month_label(months[9]), "Oct 2026");
    }

    #[test]
    fn sparklines_and_team_charts_draw() {
        let m = model();
        let v = &m
            .cards
            .iter()
            .find(|c| c.key == "cache_hit_rate")
            .unwrap()
            .spark;
        assert_eq!(v.iter().filter(|x| x.is_some()).count(), 2);
        assert!(sparkline_svg(v, true).unwrap().starts_with("<svg"));
        let t = &m.teams[0];
        assert!(team_svg(t).unwrap().contains(&t.team));
        assert_eq!(&team_png(t, 2).unwrap().bytes[..4], b"\x89PNG");
    }
}
