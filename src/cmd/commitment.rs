//! `govreview commitment`: the commitment's forecast and the sizing of the next one, for the
//! procurement lead who wants the numbers without the pack.

use std::io::Write;

use chrono::NaiveDate;

use crate::Env;
use crate::cli::{CommitmentArgs, CommitmentFormat, GlobalArgs};
use crate::error::{Error, Result};
use crate::fmt::{self, pct, pct_signed, usd, usd0};
use crate::pipeline;
use crate::render::{csv, json, terminal};
use crate::report::{NextCommitment, ReportModel};

/// Prints the commitment of the month in the asked format.
pub fn run(
    global: &GlobalArgs,
    args: &CommitmentArgs,
    as_of: NaiveDate,
    env: &Env,
    out: &mut dyn Write,
) -> Result<()> {
    let cfg = pipeline::load_config(&global.config)?;
    if cfg.commitment.is_none() {
        return Err(Error::Usage(format!(
            "{} configures no commitment: add [commitment] with amount, start and end (and [[commitment.bands]] with min and discount, and overage, to size the next one)",
            cfg.path.display()
        )));
    }
    // Read only: the register says which backlog items are validated, and so the floor.
    let model = super::month_review(&cfg, args, as_of, env)?;
    let bytes = match args.format {
        CommitmentFormat::Table => table(&model).into_bytes(),
        CommitmentFormat::Json => json::pretty(&json::commitment_document(&model)?)?.into_bytes(),
        CommitmentFormat::Csv => csv_rows(&model)?,
    };
    super::print(out, &bytes)
}

/// The columns of the CSV, in order.
pub const CSV_HEADER: [&str; 17] = [
    "amount_usd",
    "discount",
    "why",
    "cost_p10_usd",
    "cost_p50_usd",
    "cost_p90_usd",
    "unused_p10_usd",
    "unused_p50_usd",
    "unused_p90_usd",
    "cost_p50_not_shipped_usd",
    "expected_cost_usd",
    "expected_cost_not_shipped_usd",
    "effective_discount",
    "recommended",
    "run_rate_commit",
    "next_start",
    "next_end",
];

/// The candidates, one row each (only the header without bands).
fn csv_rows(m: &ReportModel) -> Result<Vec<u8>> {
    let Some(n) = &m.next_commitment else {
        return csv::write(&CSV_HEADER, &[]);
    };
    let Some(s) = &n.sizing else {
        return csv::write(&CSV_HEADER, &[]);
    };
    let rows: Vec<Vec<String>> = s
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut row = vec![
                csv::usd(c.amount),
                csv::num(c.discount),
                c.why
                    .iter()
                    .map(|w| w.words())
                    .collect::<Vec<_>>()
                    .join("; "),
            ];
            row.extend(c.cost.map(csv::usd));
            row.extend(c.unused.map(csv::usd));
            row.extend([
                csv::usd(c.cost_not_shipped),
                csv::usd(c.expected),
                csv::usd(c.expected_not_shipped),
                csv::num(c.effective_discount),
                (i == s.recommended).to_string(),
                (i == s.run_rate).to_string(),
                n.next_start.to_string(),
                n.next_end.to_string(),
            ]);
            row
        })
        .collect();
    csv::write(&CSV_HEADER, &rows)
}

/// Right-aligned columns after a left-aligned first one.
fn rows(head: &[&str], rows: &[Vec<String>]) -> String {
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
            .map(|(i, v)| {
                let fill = " ".repeat(widths[i] - v.chars().count());
                if i == 0 {
                    format!("{v}{fill}")
                } else {
                    format!("{fill}{v}")
                }
            })
            .collect();
        format!("  {}\n", s.join("  ").trim_end())
    };
    let mut out = line(&head.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>());
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

/// The commitment as plain tables.
fn table(m: &ReportModel) -> String {
    let Some(c) = &m.commitment else {
        return String::new();
    };
    let k = &c.metrics;
    let f = &c.forecast;
    let mut out = format!(
        "Commitment of {} at the end of {}\n\n",
        crate::secret::printable(&m.organization),
        m.month_label
    );
    out.push_str(&format!(
        "  {}{} from {} to {}: {} consumed ({} of the term's days gone), pacing {}.\n  {}\n  {}\n",
        usd0(k.amount),
        c.name.as_ref().map_or(String::new(), |n| format!(" ({n})")),
        k.start,
        k.end,
        usd(k.consumed_to_date),
        pct(k.elapsed_days as f64 / k.term_days as f64),
        k.pacing.map_or("—".into(), fmt::ratio),
        terminal::forecast_line(c),
        c.outlook,
    ));
    if f.declined.is_none() {
        let r = |name: &str, v: [f64; 3], money: bool| {
            let mut row = vec![name.to_owned()];
            row.extend(v.map(|x| if money { usd0(x) } else { pct(x) }));
            row
        };
        out.push('\n');
        out.push_str(&rows(
            &["At the end of the term", "P10", "P50", "P90"],
            &[
                r("Consumed", f.end_of_term, true),
                r("Utilization", f.utilization, false),
                r("Unused", f.unused, true),
                r("Overage", f.overage, true),
            ],
        ));
    }
    if let Some(model) = &f.model {
        out.push_str(&format!(
            "\n  Level {} a day at list (the last {}); growth a month at P10 {}, P50 {}, P90 {}.\n",
            usd(model.r0),
            fmt::count(model.level_days, "day"),
            pct_signed(model.monthly_growth[0]),
            pct_signed(model.monthly_growth[1]),
            pct_signed(model.monthly_growth[2]),
        ));
        for n in &f.notes {
            out.push_str(&format!("  {n}\n"));
        }
    }
    out.push('\n');
    if !f.backtest.months.is_empty() {
        let body: Vec<Vec<String>> = f
            .backtest
            .months
            .iter()
            .map(|b| {
                vec![
                    b.month.to_string(),
                    b.fitted_at.to_string(),
                    usd0(b.actual),
                    format!(
                        "{} ({}–{})",
                        usd0(b.predicted[1]),
                        usd0(b.predicted[0]),
                        usd0(b.predicted[2])
                    ),
                    b.error.map_or("—".into(), pct_signed),
                    if b.inside { "yes" } else { "no" }.to_owned(),
                ]
            })
            .collect();
        out.push_str(&rows(
            &[
                "Backtest",
                "Fitted at",
                "Actual (list)",
                "P50 (P10–P90)",
                "Error",
                "Inside",
            ],
            &body,
        ));
    }
    out.push_str(&format!("  {}\n", f.backtest_text));
    if let Some(n) = &m.next_commitment {
        out.push_str(&next(n));
    }
    out
}

/// The next commitment as plain text and a table.
fn next(n: &NextCommitment) -> String {
    let mut out = format!("\nNext commitment\n\n  {}\n", n.sentence);
    out.push_str(&format!(
        "\n  Next term {} to {} ({}) at list: P10 {}, P50 {}, P90 {}; with the counted backlog items shipped (floor {} of spend): {}, {}, {}.\n",
        n.next_start,
        n.next_end,
        fmt::count(n.next_term_days, "day"),
        usd0(n.list.not_shipped[0]),
        usd0(n.list.not_shipped[1]),
        usd0(n.list.not_shipped[2]),
        pct(n.phi),
        usd0(n.list.optimized[0]),
        usd0(n.list.optimized[1]),
        usd0(n.list.optimized[2]),
    ));
    if let Some(s) = &n.sizing {
        let body: Vec<Vec<String>> = s
            .candidates
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut mark = Vec::new();
                if i == s.recommended {
                    mark.push("recommended");
                }
                if i == s.run_rate {
                    mark.push("run-rate commit");
                }
                if c.why.contains(&crate::sizing::Why::Current) {
                    mark.push("current");
                }
                let mut row = vec![usd0(c.amount), pct(c.discount)];
                row.extend(c.cost.map(usd0));
                row.extend(c.unused.map(usd0));
                row.extend([
                    usd0(c.cost_not_shipped),
                    usd0(c.expected),
                    pct(c.effective_discount),
                    mark.join(", "),
                ]);
                row
            })
            .collect();
        out.push('\n');
        out.push_str(&rows(
            &[
                "Commitment",
                "Disc.",
                "Cost P10",
                "P50",
                "P90",
                "Unused P10",
                "P50",
                "P90",
                "Not shipped",
                "Expected",
                "Eff. disc.",
                "",
            ],
            &body,
        ));
        out.push_str(&format!(
            "  Overage billed at {}. Cost and unused with the backlog shipped; \"Not shipped\" = cost at P50 without it; expected = 0.3 P10 + 0.4 P50 + 0.3 P90.\n",
            match n.overage {
                crate::config::Overage::List => "list",
                crate::config::Overage::Committed => "the committed rate",
            }
        ));
    }
    if !n.notes.is_empty() {
        out.push('\n');
        for t in &n.notes {
            out.push_str(&format!("  {t}\n"));
        }
    }
    if !n.asks.is_empty() {
        out.push_str("\n  Ask for:\n");
        for a in &n.asks {
            let worth = a
                .value
                .map_or(String::new(), |v| format!(" (worth {})", usd0(v)));
            out.push_str(&format!("  - {}{worth}: {}\n", a.title, a.text));
        }
    }
    out
}
