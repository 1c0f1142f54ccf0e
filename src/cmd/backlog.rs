//! `govreview backlog`: the month's optimization backlog, ranked, without writing a pack.

use std::io::Write;

use chrono::NaiveDate;

use crate::Env;
use crate::cli::{BacklogArgs, BacklogFormat, GlobalArgs};
use crate::error::Result;
use crate::fmt;
use crate::pipeline;
use crate::render::{csv, json, terminal};
use crate::report::ReportModel;

/// Prints the backlog of the month in the asked format.
pub fn run(
    global: &GlobalArgs,
    args: &BacklogArgs,
    as_of: NaiveDate,
    env: &Env,
    out: &mut dyn Write,
) -> Result<()> {
    let cfg = pipeline::load_config(&global.config)?;
    // Read only: the register shows which action carries out an item; a missing one is empty.
    let model = super::month_review(&cfg, args, as_of, env)?;
    let bytes = match args.format {
        BacklogFormat::Table => table(&model).into_bytes(),
        BacklogFormat::Json => json::pretty(&json::backlog_document(&model)?)?.into_bytes(),
        BacklogFormat::Csv => csv_rows(&model)?,
    };
    super::print(out, &bytes)
}

/// The columns of the CSV, in order.
pub const CSV_HEADER: [&str; 25] = [
    "rank",
    "wave",
    "waits",
    "team",
    "app",
    "owner",
    "lever",
    "monthly_saving_usd",
    "annual_saving_usd",
    "effort_weeks",
    "annual_usd_per_week",
    "quality_check",
    "kpi",
    "kpi_value",
    "kpi_target",
    "action",
    "detail",
    "team_floor_monthly_usd",
    "month",
    "goal",
    "counted",
    "pending",
    "validated",
    "ship_date",
    "saving_from",
];

fn csv_rows(m: &ReportModel) -> Result<Vec<u8>> {
    let opt = |v: Option<usize>| v.map_or(String::new(), |n| n.to_string());
    let rows: Vec<Vec<String>> = m
        .backlog
        .items
        .iter()
        .map(|i| {
            vec![
                opt(i.rank),
                opt(i.wave),
                i.waits.to_string(),
                csv::text(&i.team),
                csv::text(&i.app),
                csv::text(&i.owner),
                i.lever.as_str().to_owned(),
                csv::usd(i.monthly),
                csv::usd(i.annual),
                csv::num(i.effort_weeks),
                csv::usd(i.per_week),
                i.quality_check.to_string(),
                i.kpi.clone(),
                csv::num(i.value),
                csv::num(i.target),
                i.action.clone().unwrap_or_default(),
                csv::text(&i.detail),
                m.backlog
                    .floor_by_team
                    .get(&i.team)
                    .map_or(String::new(), |f| csv::usd(f.monthly)),
                m.month.to_string(),
                csv::text(&i.goal_text),
                i.counted.to_string(),
                csv::text(i.pending.as_deref().unwrap_or("")),
                i.validated.map_or(String::new(), |d| d.to_string()),
                i.ship.map_or(String::new(), |d| d.to_string()),
                i.saving_from.map_or(String::new(), |d| d.to_string()),
            ]
        })
        .collect();
    csv::write(&CSV_HEADER, &rows)
}

fn pad(s: &str, w: usize, right: bool) -> String {
    let n = s.chars().count();
    let fill = " ".repeat(w.saturating_sub(n));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// The backlog as a plain table.
fn table(m: &ReportModel) -> String {
    let b = &m.backlog;
    let mut out = format!(
        "Optimization backlog of {} for {}\n\n",
        m.month_label,
        crate::secret::printable(&m.organization)
    );
    if b.items.is_empty() {
        out.push_str(&format!("  {}\n", terminal::backlog_line(m)));
        return out;
    }
    let head = [
        "#", "Wave", "Workload", "Lever", "$/month", "$/year", "Weeks", "$/week", "QC", "Action",
    ];
    let rows: Vec<[String; 10]> = b
        .items
        .iter()
        .map(|i| {
            [
                i.rank.map_or("-".into(), |r| r.to_string()),
                i.wave.map_or("waits".into(), |w| w.to_string()),
                crate::secret::printable(&format!("{}/{}", i.team, i.app)),
                i.lever.words().to_owned(),
                fmt::usd(i.monthly),
                fmt::usd0(i.annual),
                fmt::num(i.effort_weeks),
                fmt::usd0(i.per_week),
                if i.quality_check { "yes" } else { "no" }.to_owned(),
                i.action.clone().unwrap_or_else(|| "—".into()),
            ]
        })
        .collect();
    let right = [
        true, false, false, false, true, true, true, true, false, false,
    ];
    let widths: Vec<usize> = (0..head.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([head[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let s: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(c, v)| pad(v, widths[c], right[c]))
            .collect();
        format!("  {}\n", s.join("  ").trim_end())
    };
    out.push_str(&line(&head.map(str::to_owned)));
    for r in &rows {
        out.push_str(&line(r));
    }
    out.push('\n');
    for l in &b.levers {
        out.push_str(&format!(
            "  {}: {} item{}, {} a month, {} week{}\n",
            l.name.replace('_', " "),
            l.items,
            if l.items == 1 { "" } else { "s" },
            fmt::usd(l.monthly),
            fmt::num(l.effort_weeks),
            if l.effort_weeks == 1.0 { "" } else { "s" }
        ));
    }
    out.push_str(&format!(
        "\n  All items: {} a month ({} a year). Optimized floor: {} a month ({} a year), against {} spent; {} a month more pending validation.\n",
        fmt::usd(b.total_monthly),
        fmt::usd0(b.total_annual),
        fmt::usd(b.floor.monthly),
        fmt::usd0(b.floor.annual),
        fmt::usd(b.floor.spend),
        fmt::usd(b.floor.upside)
    ));
    out.push_str(&format!(
        "  Items under {} a year wait; a wave holds up to {} items and {} weeks. Routing, downshift, output, long-prompt and fast-mode items need a check before they ship (QC), then `govreview actions validate`.\n",
        fmt::usd0(b.min_annual_saving),
        b.wave_items,
        fmt::num(b.wave_weeks)
    ));
    out
}
