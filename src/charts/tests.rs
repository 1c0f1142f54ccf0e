//! Each chart drawn from a small model.

use super::axes::labelled_months;
use super::render::indexed;
use super::*;
use crate::month::Month;

fn model() -> ReportModel {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let cfg =
        crate::config::Config::load(&root.join("tests/fixtures/tiny/govreview.toml")).unwrap();
    let files = crate::data::expand_paths(&cfg.data_paths, &cfg.base_dir).unwrap();
    let ds = crate::data::load(&files, cfg.commitment.as_ref().map(|c| (c.start, c.end))).unwrap();
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
