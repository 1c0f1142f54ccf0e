//! The short KPI summary printed after a review, coloured when the terminal supports it.

use anstyle::{AnsiColor, Style};

use crate::report::{KpiRow, ReportModel, Status};

fn pad(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n >= w {
        s.to_owned()
    } else {
        format!("{s}{}", " ".repeat(w - n))
    }
}

fn status_cell(r: &KpiRow) -> (String, Style) {
    let red = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
    let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
    let yellow = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
    let dim = Style::new().dimmed();
    match (r.status, r.drift.worsening) {
        (Status::Missed, true) => ("missed, worsening".into(), red),
        (Status::Missed, false) => ("missed".into(), red),
        (_, true) => ("worsening".into(), yellow),
        (Status::Met, false) => ("met".into(), green),
        (Status::NoTarget, false) => ("no target".into(), dim),
        (Status::NoData, false) => ("no data".into(), dim),
    }
}

/// One line on the forecast to the end of the term.
pub fn forecast_line(c: &crate::report::CommitmentSection) -> String {
    use crate::fmt::usd0;
    let f = &c.forecast;
    match &f.declined {
        Some(why) => format!("Forecast: {why}."),
        None => {
            let left = if f.overage[1] > 0.0 {
                format!("{} overage at P50", usd0(f.overage[1]))
            } else {
                format!("{} unused at P50", usd0(f.unused[1]))
            };
            let reaches = match f.crosses_p50 {
                Some(d) if f.overage[1] > 0.0 => format!("; P50 reaches the commitment on {d}"),
                _ => String::new(),
            };
            format!(
                "Forecast: {} consumed by {} at P50 (P10 {}, P90 {}): {left}{reaches}.",
                usd0(f.end_of_term[1]),
                c.metrics.end,
                usd0(f.end_of_term[0]),
                usd0(f.end_of_term[2])
            )
        }
    }
}

/// On an organisation's first review, one line when a lever's goal is missed by more than half of
/// the workloads: some of them (live chat, an IDE plug-in) may need a target of their own.
pub fn per_app_hint(m: &ReportModel) -> Option<String> {
    if m.register.last_review.is_some() {
        return None;
    }
    let workloads: usize = m.teams.iter().map(|t| t.apps.len()).sum();
    if workloads < 3 {
        return None;
    }
    let mut by: std::collections::BTreeMap<crate::config::Lever, usize> = Default::default();
    for i in &m.backlog.items {
        *by.entry(i.lever).or_default() += 1;
    }
    let (lever, n) = by
        .into_iter()
        .filter(|(_, n)| 2 * n > workloads)
        .max_by_key(|(l, n)| (*n, std::cmp::Reverse(*l)))?;
    let (key, why) = match lever {
        crate::config::Lever::Batch => (
            "min_batch_share = 0.0",
            "live chat cannot wait for the Batch API",
        ),
        crate::config::Lever::Caching => (
            "min_cache_hit_rate = 0.15",
            "an app whose every prompt is new text caches little",
        ),
        crate::config::Lever::Routing => ("max_opus_share = 1.0", "code review may need Opus"),
        crate::config::Lever::Output => ("max_output_per_request = 1500", "drafts run long"),
        _ => return None,
    };
    Some(format!(
        "Hint: {n} of {workloads} workloads miss their {} goal. An app that cannot meet it ({why}) can have its own target: [targets.teams.<team>.apps.<app>] {key}.",
        lever.words()
    ))
}

/// One line on the backlog: its total and its top item.
pub fn backlog_line(m: &ReportModel) -> String {
    let b = &m.backlog;
    match b.items.iter().find(|i| !i.waits) {
        Some(top) => format!(
            "Backlog: {} a month ({} a year) in {} item{}, floor {} a month{}; top: {} {} for {}/{}, {} a month for {} week{}{}.",
            crate::fmt::usd(b.total_monthly),
            crate::fmt::usd0(b.total_annual),
            b.items.len(),
            if b.items.len() == 1 { "" } else { "s" },
            crate::fmt::usd(b.floor.monthly),
            if b.floor.upside >= 0.005 {
                format!(
                    " (and {} upside pending validation)",
                    crate::fmt::usd(b.floor.upside)
                )
            } else {
                String::new()
            },
            format_args!("B{}", top.rank.unwrap_or(0)),
            top.lever.words(),
            crate::secret::printable(&top.team),
            crate::secret::printable(&top.app),
            crate::fmt::usd(top.monthly),
            crate::fmt::num(top.effort_weeks),
            if top.effort_weeks == 1.0 { "" } else { "s" },
            top.action
                .as_ref()
                .map_or(String::new(), |a| format!(" ({a})"))
        ),
        None if b.items.is_empty() => {
            "Backlog: empty; every workload meets its lever targets.".to_owned()
        }
        None => format!(
            "Backlog: {} a month in {} item{}, each under {} a year (waiting).",
            crate::fmt::usd(b.total_monthly),
            b.items.len(),
            if b.items.len() == 1 { "" } else { "s" },
            crate::fmt::usd0(b.min_annual_saving)
        ),
    }
}

/// The summary table as text with ANSI styles (strip them for a non-terminal).
pub fn summary(m: &ReportModel) -> String {
    let bold = Style::new().bold();
    let mut out = String::new();
    let badge = if m.status == "draft" {
        "DRAFT"
    } else {
        "final"
    };
    let provisional = m.data.provisional.as_ref().map_or(String::new(), |p| {
        format!("; data provisional until {}", p.final_from)
    });
    out.push_str(&format!(
        "{bold}Claude cost review: {} · {}{bold:#}  ({badge}, as of {}{provisional})\n\n",
        crate::secret::printable(&m.organization),
        m.month_label,
        m.as_of
    ));
    let widths = [26, 14, 12, 14, 18];
    let head = ["KPI", "This month", "Target", "vs last month", "Status"];
    let line: String = head
        .iter()
        .zip(widths)
        .map(|(h, w)| pad(h, w))
        .collect::<Vec<_>>()
        .join(" ");
    out.push_str(&format!("  {bold}{}{bold:#}\n", line.trim_end()));
    let mut rows: Vec<&KpiRow> = m.kpis.iter().collect();
    rows.extend(
        m.model_mix
            .iter()
            .filter(|r| r.key != "model_mix.opus" && r.goal.is_some()),
    );
    // Spend is held to its budget, as the card says: the budget's status and bound.
    let budget = m
        .kpis
        .iter()
        .find(|r| r.key == "budget" && r.goal.is_some());
    for r in rows {
        let (judged, target) = match budget {
            Some(b) if r.key == "spend" => (b, b.target_text.clone()),
            _ => (r, r.target_text.clone()),
        };
        let (st, style) = status_cell(judged);
        out.push_str(&format!(
            "  {} {} {} {} {style}{st}{style:#}\n",
            pad(&r.label, widths[0]),
            pad(&r.value_text, widths[1]),
            pad(&target, widths[2]),
            pad(&r.delta_text, widths[3]),
        ));
    }
    out.push('\n');
    if let Some(c) = &m.commitment {
        out.push_str(&format!("  {}\n", forecast_line(c)));
        out.push_str(&format!("  {}\n", c.outlook));
    }
    if let Some(n) = &m.next_commitment {
        out.push_str(&format!("  Next commitment: {}\n", n.sentence));
    }
    out.push_str(&format!("  {}\n", backlog_line(m)));
    if m.follow_ups.captured > 0.0 {
        out.push_str(&format!(
            "  Earlier actions captured {} a month so far.\n",
            crate::fmt::usd(m.follow_ups.captured)
        ));
    }
    if let Some(h) = per_app_hint(m) {
        out.push_str(&format!("  {h}\n"));
    }
    let n = m.findings.len();
    let r = &m.register;
    out.push_str(&format!(
        "  {n} finding{}. Actions: {} new, {} open, {} overdue, {} closed since the last review.\n",
        if n == 1 { "" } else { "s" },
        r.new.len(),
        r.open.len(),
        r.overdue.len(),
        r.closed.len()
    ));
    let red = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
    for a in &r.overdue {
        out.push_str(&format!(
            "  {red}overdue:{red:#} {} ({}), due {}, {} late\n",
            a.id,
            a.owner,
            a.due.map_or("?".into(), |d| d.to_string()),
            crate::fmt::count(a.days_overdue.unwrap_or(0), "day")
        ));
    }
    if !r.incomplete.is_empty() {
        out.push_str(&format!(
            "  {red}DRAFT:{red:#} the review is final once these actions have them:\n"
        ));
        for a in &r.incomplete {
            out.push_str(&format!("    {} needs {}\n", a.id, a.needs.join(" and ")));
        }
    }
    for w in &m.data.warnings {
        let y = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
        out.push_str(&format!(
            "  {y}warning:{y:#} {}\n",
            crate::secret::printable(w)
        ));
    }
    out
}
