//! Charts of the review pack, drawn with plotters as SVG.
//!
//! The font is embedded (DejaVu Sans), so drawing needs no system fonts and gives the same bytes
//! on every machine. Sizes are fixed.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};
use crate::fmt;
use serde::Serialize;

use crate::report::ReportModel;

const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const W: u32 = 720;
const H: u32 = 320;
const FAMILY: &str = "sans-serif";

const INK: RGBColor = RGBColor(31, 41, 55);
const GRID: RGBColor = RGBColor(229, 231, 235);
const TARGET: RGBColor = RGBColor(220, 38, 38);
const ACCENT: RGBColor = RGBColor(37, 99, 235);
const MUTED: RGBColor = RGBColor(156, 163, 175);

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
            m.month,
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
                    row.label, row.value_text, m.month, row.target_text
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
                    "Commitment burn-up; {} consumed of {}; forecast at term end {} at P50 ({} to {}), linear run rate {}",
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
            title: "Backlog: savings a year against engineering weeks, in rank order".into(),
            alt: format!(
                "Backlog curve; {} free {} a year for {} weeks of engineering, wave 1 {} a year",
                fmt::count(b.items.iter().filter(|i| !i.waits).count() as i64, "item"),
                fmt::usd0(12.0 * b.funded_monthly),
                fmt::num(b.funded_weeks),
                fmt::usd0(b.waves.first().map_or(0.0, |w| w.annual))
            ),
        });
    }
    out.push(ChartRef {
        name: "spend_by_team".into(),
        title: format!("Spend by team, {} vs {}", m.month, m.prev_month),
        alt: format!(
            "Spend by team; largest is {} at {}",
            m.teams.first().map_or("—", |t| t.team.as_str()),
            m.teams.first().map_or("—".into(), |t| fmt::usd(t.spend))
        ),
    });
    out
}

/// The pixel size of a chart at scale 1.
fn chart_size(m: &ReportModel, name: &str) -> (u32, u32) {
    if name == "spend_by_team" {
        let n = m.teams.len().clamp(1, 12) as u32;
        (W, (60 + 30 * n).max(H))
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

/// Draws one chart on any backend, every length scaled by `k`.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
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

/// Draws every chart of the pack as SVG: (name, svg text).
pub fn render_svgs(m: &ReportModel) -> Result<Vec<(String, String)>> {
    register_font();
    let mut out = Vec::new();
    for c in &chart_refs(m) {
        let mut svg = String::new();
        {
            let root =
                SVGBackend::with_string(&mut svg, chart_size(m, &c.name)).into_drawing_area();
            draw(&root, m, &c.name, &c.title, 1.0)?;
            root.present().map_err(chart_err(&c.name))?;
        }
        out.push((c.name.clone(), svg));
    }
    Ok(out)
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

/// Draws every chart of the pack as PNG at `scale` x its display size (email clients show no SVG).
pub fn render_pngs(m: &ReportModel, scale: u32) -> Result<Vec<Png>> {
    register_font();
    let mut out = Vec::new();
    for c in &chart_refs(m) {
        let (w, h) = chart_size(m, &c.name);
        let (pw, ph) = (w * scale, h * scale);
        let mut rgb = vec![0u8; (pw * ph * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (pw, ph)).into_drawing_area();
            draw(&root, m, &c.name, &c.title, f64::from(scale))?;
            root.present().map_err(chart_err(&c.name))?;
        }
        let mut bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut bytes, pw, ph);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::Best);
            let mut writer = enc.write_header().map_err(chart_err(&c.name))?;
            writer.write_image_data(&rgb).map_err(chart_err(&c.name))?;
        }
        out.push(Png {
            name: c.name.clone(),
            width: w,
            height: h,
            bytes,
        });
    }
    Ok(out)
}

/// Draws the series legend in the house style.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    k: f64,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(position)
        .legend_area_size(px(30, k))
        .margin(px(10, k))
        .background_style(WHITE.mix(0.9))
        .border_style(MUTED)
        .label_font((FAMILY, 12.0 * k).into_font().color(&INK))
        .draw()
}

type MonthChart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// A chart of one value per month (x: month index, y: a share from 0 to `y_max`), with its mesh.
fn month_share_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    labels: &[String],
    y_max: f64,
    k: f64,
) -> std::result::Result<MonthChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let n = labels.len().max(1);
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FAMILY, 16.0 * k).into_font().color(&INK))
        .margin(px(12, k))
        .x_label_area_size(px(28, k))
        .y_label_area_size(px(44, k))
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..y_max)?;
    let fmt_x = index_label(labels);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID.stroke_width(px(1, k)))
        .x_labels(n * 2)
        .x_label_formatter(&fmt_x)
        .y_labels(6)
        .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
        .label_style((FAMILY, 12.0 * k).into_font().color(&INK))
        .axis_style(MUTED.stroke_width(px(1, k)))
        .draw()?;
    Ok(chart)
}

fn month_short(m: &crate::month::Month) -> String {
    m.first_day().format("%b %y").to_string()
}

fn index_label(labels: &[String]) -> impl Fn(&f64) -> String + '_ {
    move |x: &f64| {
        let r = x.round();
        if (x - r).abs() < 1e-6 && r >= 0.0 && (r as usize) < labels.len() {
            labels[r as usize].clone()
        } else {
            String::new()
        }
    }
}

fn model_mix<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    m: &ReportModel,
    title: &str,
    k: f64,
) -> Result<()> {
    let err = chart_err("model_mix");
    let labels: Vec<String> = m.history.iter().map(|h| month_short(&h.month)).collect();
    let families: Vec<String> = m
        .model_mix
        .iter()
        .map(|r| r.key.trim_start_matches("model_mix.").to_owned())
        .collect();
    root.fill(&WHITE).map_err(&err)?;
    let mut chart = month_share_chart(root, title, &labels, 1.0, k).map_err(&err)?;
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
        chart
            .draw_series(bars)
            .map_err(&err)?
            .label(crate::kpi::family_label(fam))
            .legend(move |(x, y)| {
                Rectangle::new(
                    [(x, y - pxi(5, k)), (x + pxi(12, k), y + pxi(5, k))],
                    color.filled(),
                )
            });
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, k).map_err(&err)?;
    Ok(())
}

fn share_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    m: &ReportModel,
    title: &str,
    key: &str,
    k: f64,
    value: impl Fn(&crate::report::MonthSummary) -> Option<f64>,
) -> Result<()> {
    let err = chart_err("share_line");
    let labels: Vec<String> = m.history.iter().map(|h| month_short(&h.month)).collect();
    let n = labels.len().max(1);
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
    let mut chart = month_share_chart(root, title, &labels, y_max, k).map_err(&err)?;
    let line = ACCENT.stroke_width(px(3, k));
    chart
        .draw_series(LineSeries::new(points.clone(), line))
        .map_err(&err)?
        .label("actual")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + pxi(16, k), y)], line));
    chart
        .draw_series(
            points
                .iter()
                .map(|p| Circle::new(*p, px(4, k), ACCENT.filled())),
        )
        .map_err(&err)?;
    if let Some(t) = target {
        let dash = TARGET.stroke_width(px(2, k));
        chart
            .draw_series(DashedLineSeries::new(
                vec![(-0.5, t), (n as f64 - 0.5, t)],
                px(8, k),
                px(5, k),
                dash,
            ))
            .map_err(&err)?
            .label(format!("target {}", fmt::pct(t)))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + pxi(16, k), y)], dash));
    }
    legend(&mut chart, SeriesLabelPosition::LowerLeft, k).map_err(&err)?;
    Ok(())
}

fn burn_up<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    m: &ReportModel,
    title: &str,
    k: f64,
) -> Result<()> {
    let err = chart_err("commitment_burnup");
    let Some(c) = &m.commitment else {
        return Err(Error::Internal("burn-up without a commitment".into()));
    };
    let c = &c.metrics;
    let day = |d: chrono::NaiveDate| (d - c.start).num_days() as f64;
    let total_days = c.term_days as f64;
    let band = &m
        .commitment
        .as_ref()
        .map(|s| s.forecast.band.clone())
        .unwrap_or_default();
    let band_top = band.last().map_or(0.0, |b| b.3);
    let top = c.amount.max(c.projected_end_of_term).max(band_top) * 1.1;
    let mut actual: Vec<(f64, f64)> = vec![(0.0, 0.0)];
    actual.extend(c.burn_up.iter().map(|(d, v)| (day(*d) + 1.0, *v)));
    let last = *actual.last().unwrap_or(&(0.0, 0.0));
    let start = c.start;
    root.fill(&WHITE).map_err(&err)?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FAMILY, 16.0 * k).into_font().color(&INK))
        .margin(px(12, k))
        .x_label_area_size(px(28, k))
        .y_label_area_size(px(60, k))
        .build_cartesian_2d(0f64..total_days, 0f64..top)
        .map_err(&err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID.stroke_width(px(1, k)))
        .x_labels(8)
        .x_label_formatter(&|x| {
            (start + chrono::Duration::days(*x as i64))
                .format("%b %y")
                .to_string()
        })
        .y_labels(6)
        .y_label_formatter(&|y| fmt::usd_short(*y))
        .label_style((FAMILY, 12.0 * k).into_font().color(&INK))
        .axis_style(MUTED.stroke_width(px(1, k)))
        .draw()
        .map_err(&err)?;
    let thin = INK.stroke_width(px(1, k));
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, c.amount), (total_days, c.amount)],
            thin,
        ))
        .map_err(&err)?
        .label(format!("commitment {}", fmt::usd_short(c.amount)))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + pxi(16, k), y)], thin));
    let pace = MUTED.stroke_width(px(2, k));
    chart
        .draw_series(DashedLineSeries::new(
            vec![(0.0, 0.0), (total_days, c.amount)],
            px(4, k),
            px(4, k),
            pace,
        ))
        .map_err(&err)?
        .label("linear pace")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + pxi(16, k), y)], pace));
    let line = ACCENT.stroke_width(px(3, k));
    chart
        .draw_series(LineSeries::new(actual.clone(), line))
        .map_err(&err)?
        .label(format!("consumed {}", fmt::usd_short(c.consumed_to_date)))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + pxi(16, k), y)], line));
    chart
        .draw_series(
            actual
                .iter()
                .skip(1)
                .map(|p| Circle::new(*p, px(3, k), ACCENT.filled())),
        )
        .map_err(&err)?;
    if !band.is_empty() {
        // The forecast: its P10-P90 band from the end of the review month, and its P50.
        let mut poly: Vec<(f64, f64)> = vec![last];
        poly.extend(band.iter().map(|b| (day(b.0) + 1.0, b.3)));
        poly.extend(band.iter().rev().map(|b| (day(b.0) + 1.0, b.1)));
        let shade = ACCENT.mix(0.15);
        let (lo, hi) = (band[band.len() - 1].1, band[band.len() - 1].3);
        chart
            .draw_series(std::iter::once(Polygon::new(poly, shade.filled())))
            .map_err(&err)?
            .label(format!(
                "forecast P10–P90 {}–{}",
                fmt::usd_short(lo),
                fmt::usd_short(hi)
            ))
            .legend(move |(x, y)| {
                Rectangle::new(
                    [(x, y - pxi(5, k)), (x + pxi(16, k), y + pxi(5, k))],
                    shade.filled(),
                )
            });
        let mid = ACCENT.stroke_width(px(2, k));
        let mut p50 = vec![last];
        p50.extend(band.iter().map(|b| (day(b.0) + 1.0, b.2)));
        let end50 = band[band.len() - 1].2;
        chart
            .draw_series(DashedLineSeries::new(p50, px(6, k), px(4, k), mid))
            .map_err(&err)?
            .label(format!("forecast P50 {}", fmt::usd_short(end50)))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + pxi(16, k), y)], mid));
        // Where P50 and P90 reach the commitment, when they do within the term.
        let f = &m
            .commitment
            .as_ref()
            .expect("a band has a commitment")
            .forecast;
        for (when, name) in [(f.crosses_p50, "P50"), (f.crosses_p90, "P90")] {
            if let Some(d) = when {
                let at = (day(d) + 1.0, c.amount);
                chart
                    .draw_series([Circle::new(at, px(4, k), TARGET.filled())])
                    .map_err(&err)?;
                chart
                    .draw_series([Text::new(
                        format!("{name} reaches it {}", d.format("%b %-d")),
                        at,
                        (FAMILY, 11.0 * k).into_font().color(&INK).pos(
                            plotters::style::text_anchor::Pos::new(
                                plotters::style::text_anchor::HPos::Right,
                                plotters::style::text_anchor::VPos::Bottom,
                            ),
                        ),
                    )])
                    .map_err(&err)?;
            }
        }
    }
    let dash = TARGET.stroke_width(px(2, k));
    chart
        .draw_series(DashedLineSeries::new(
            vec![last, (total_days, c.projected_end_of_term)],
            px(8, k),
            px(5, k),
            dash,
        ))
        .map_err(&err)?
        .label(format!(
            "linear run rate {}",
            fmt::usd_short(c.projected_end_of_term)
        ))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + pxi(16, k), y)], dash));
    legend(&mut chart, SeriesLabelPosition::UpperLeft, k).map_err(&err)?;
    Ok(())
}

/// The backlog as a curve: cumulative annual saving against cumulative effort, items in rank
/// order, each wave shaded; the steepest part (the best dollars per week) comes first.
fn backlog_curve<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
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
    let (x_max, y_max) = (x.max(1.0) * 1.05, y.max(1.0) * 1.15);
    root.fill(&WHITE).map_err(&err)?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FAMILY, 16.0 * k).into_font().color(&INK))
        .margin(px(12, k))
        .x_label_area_size(px(40, k))
        .y_label_area_size(px(60, k))
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
        .y_label_formatter(&|y| fmt::usd_short(*y))
        .label_style((FAMILY, 12.0 * k).into_font().color(&INK))
        .axis_desc_style((FAMILY, 12.0 * k).into_font().color(&INK))
        .axis_style(MUTED.stroke_width(px(1, k)))
        .draw()
        .map_err(&err)?;
    // Waves: every other one shaded, each labelled at its top.
    chart
        .draw_series(
            waves.iter().filter(|w| w.0 % 2 == 1).map(|(_, a, b)| {
                Rectangle::new([(*a, 0.0), (*b, y_max)], ACCENT.mix(0.06).filled())
            }),
        )
        .map_err(&err)?;
    chart
        .draw_series(waves.iter().map(|(w, a, b)| {
            Text::new(
                format!("wave {w}"),
                ((a + b) / 2.0, y_max * 0.97),
                (FAMILY, 12.0 * k).into_font().color(&INK).pos(
                    plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Center,
                        plotters::style::text_anchor::VPos::Top,
                    ),
                ),
            )
        }))
        .map_err(&err)?;
    let line = ACCENT.stroke_width(px(3, k));
    chart
        .draw_series(LineSeries::new(points.clone(), line))
        .map_err(&err)?;
    chart
        .draw_series(
            points
                .iter()
                .skip(1)
                .map(|p| Circle::new(*p, px(3, k), ACCENT.filled())),
        )
        .map_err(&err)?;
    // The first items by rank, named where they land.
    chart
        .draw_series(
            items
                .iter()
                .zip(points.iter().skip(1))
                .take(3)
                .map(|(i, p)| {
                    Text::new(
                        format!("B{} {} {}", i.rank.unwrap_or(0), i.app, i.lever.as_str()),
                        *p,
                        (FAMILY, 11.0 * k).into_font().color(&INK).pos(
                            plotters::style::text_anchor::Pos::new(
                                plotters::style::text_anchor::HPos::Left,
                                plotters::style::text_anchor::VPos::Bottom,
                            ),
                        ),
                    )
                }),
        )
        .map_err(&err)?;
    Ok(())
}

fn spend_by_team<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    m: &ReportModel,
    title: &str,
    k: f64,
) -> Result<()> {
    let err = chart_err("spend_by_team");
    let teams: Vec<&crate::report::TeamRow> = m.teams.iter().take(12).collect();
    let n = teams.len().max(1);
    let top = teams
        .iter()
        .map(|t| t.spend.max(t.prev_spend.unwrap_or(0.0)))
        .fold(1.0f64, f64::max)
        * 1.15;
    let labels: Vec<String> = teams.iter().map(|t| t.team.clone()).collect();
    root.fill(&WHITE).map_err(&err)?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FAMILY, 16.0 * k).into_font().color(&INK))
        .margin(px(12, k))
        .x_label_area_size(px(28, k))
        .y_label_area_size(px(120, k))
        .build_cartesian_2d(0f64..top, (n as f64 - 0.5)..-0.5f64)
        .map_err(&err)?;
    let fmt_y = index_label(&labels);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID.stroke_width(px(1, k)))
        .y_labels(n * 2)
        .y_label_formatter(&fmt_y)
        .x_labels(6)
        .x_label_formatter(&|x| fmt::usd_short(*x))
        .label_style((FAMILY, 12.0 * k).into_font().color(&INK))
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
        .map_err(&err)?
        .label(m.prev_month.to_string())
        .legend(move |(x, y)| {
            Rectangle::new(
                [(x, y - pxi(5, k)), (x + pxi(12, k), y + pxi(5, k))],
                MUTED.filled(),
            )
        });
    chart
        .draw_series(teams.iter().enumerate().map(|(i, t)| {
            let y = i as f64;
            Rectangle::new([(0.0, y + 0.02), (t.spend, y + 0.38)], ACCENT.filled())
        }))
        .map_err(&err)?
        .label(m.month.to_string())
        .legend(move |(x, y)| {
            Rectangle::new(
                [(x, y - pxi(5, k)), (x + pxi(12, k), y + pxi(5, k))],
                ACCENT.filled(),
            )
        });
    legend(&mut chart, SeriesLabelPosition::LowerRight, k).map_err(&err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pngs_are_drawn_at_twice_the_display_size() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let cfg =
            crate::config::Config::load(&root.join("tests/fixtures/tiny/govreview.toml")).unwrap();
        let files = crate::data::expand_paths(&cfg.data_paths, &cfg.base_dir).unwrap();
        let ds =
            crate::data::load(&files, cfg.commitment.as_ref().map(|c| (c.start, c.end))).unwrap();
        let priced = crate::costing::price(&ds, &cfg).unwrap();
        let month = "2026-10".parse().unwrap();
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        let m = crate::review::build(&cfg, &ds, &priced, month, date, &[]).unwrap();
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
}
