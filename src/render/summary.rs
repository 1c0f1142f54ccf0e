//! `summary.txt`: five lines for a chat channel (Slack, Teams): spend and its change, the KPIs
//! off target, the overdue actions with their owners, the backlog's top item, and the link to the
//! pack. Names from the data cannot mention a channel or open a link: `<` and `>` are written as
//! `‹` and `›`, control and bidirectional formatting characters as spaces. When the data has
//! warnings, a line before the link says how many and what the first is.

use crate::fmt;
use crate::report::{ReportModel, Status};

/// A name as a chat message may carry it.
fn plain(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => '‹',
            '>' => '›',
            c if c.is_control() || fmt::is_bidi(c) => ' ',
            c => c,
        })
        .collect()
}

/// The five lines.
pub fn render(m: &ReportModel) -> String {
    let mut lines = Vec::new();
    let change = match m.prev_spend {
        Some(p) if p > 0.0 => format!(
            ", {} ({}) vs {}",
            fmt::usd_change(m.totals.spend, p),
            fmt::pct_signed(m.totals.spend / p - 1.0),
            m.prev_month.first_day().format("%B %Y")
        ),
        _ => String::new(),
    };
    let budget = m
        .kpis
        .iter()
        .find(|r| r.key == "budget")
        .map_or(String::new(), |b| {
            format!(
                "; {} of the {} budget",
                b.value_text,
                b.target_text.trim_start_matches("≤ ")
            )
        });
    let provisional = m.data.provisional.as_ref().map_or(String::new(), |p| {
        format!(
            " Provisional: Anthropic may revise these figures until {}.",
            p.final_from
        )
    });
    lines.push(format!(
        "{}Claude cost review, {} ({}): spend {}{change}{budget}.{provisional}",
        if m.status == "draft" { "DRAFT " } else { "" },
        m.month_label,
        plain(&m.organization),
        fmt::usd(m.totals.spend)
    ));
    let off: Vec<String> = m
        .kpis
        .iter()
        .filter(|r| r.status == Status::Missed)
        .map(|r| format!("{} {} ({})", r.label, r.value_text, r.target_text))
        .collect();
    lines.push(if off.is_empty() {
        "Off target: nothing.".to_owned()
    } else {
        format!("Off target: {}.", off.join(", "))
    });
    let overdue: Vec<String> = m
        .register
        .overdue
        .iter()
        .map(|a| {
            format!(
                "{} {} ({} late)",
                a.id,
                plain(if a.owner.is_empty() {
                    "(no owner)"
                } else {
                    &a.owner
                }),
                fmt::count(a.days_overdue.unwrap_or(0), "day")
            )
        })
        .collect();
    lines.push(if overdue.is_empty() {
        "Overdue actions: none.".to_owned()
    } else {
        format!("Overdue actions: {}.", overdue.join(", "))
    });
    lines.push(match m.backlog.items.iter().find(|i| !i.waits) {
        Some(i) => format!(
            "Top backlog item: {} for {}/{}, {} a month for {} ({}{}); the backlog frees {} a month in all.",
            i.lever.words(),
            plain(&i.team),
            plain(&i.app),
            fmt::usd0(i.monthly),
            fmt::count(i.effort_weeks.ceil() as i64, "week"),
            plain(&i.owner),
            i.action.as_ref().map_or(String::new(), |a| format!(", {a}")),
            fmt::usd0(m.backlog.total_monthly)
        ),
        None => "Top backlog item: none; every workload meets its goals.".to_owned(),
    });
    if let Some(first) = m.data.warnings.first() {
        let n = m.data.warnings.len();
        lines.push(format!(
            "Data {}: {}{}",
            if n == 1 { "warning" } else { "warnings" },
            plain(first),
            if n > 1 {
                format!(" (and {} more in the review's data notes)", n - 1)
            } else {
                String::new()
            }
        ));
    }
    lines.push(format!("Full review: {}", plain(&m.pack_link)));
    let mut s = lines.join("\n");
    s.push('\n');
    s
}
