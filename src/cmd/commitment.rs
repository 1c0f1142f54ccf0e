//! `govreview commitment`: the commitment's forecast and the sizing of the next one, for the
//! procurement lead who wants the numbers without the pack.

use std::io::Write;

use chrono::NaiveDate;

use crate::Env;
use crate::cli::{CommitmentArgs, CommitmentFormat, GlobalArgs};
use crate::error::{Error, Result};
use crate::fmt::{self, pct, usd, usd0};
use crate::month::Month;
use crate::pipeline;
use crate::render::{json, terminal};
use crate::report::ReportModel;

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
            "{} configures no commitment: add [commitment] with amount, start and end (and [[commitment.bands]] with min and discount to size the next one)",
            cfg.path.display()
        )));
    }
    let month = args.month.unwrap_or_else(|| Month::of(as_of).prev());
    env.show("reading usage and forecasting…");
    let built = pipeline::model(&cfg, &args.input.inputs(), Some(month), as_of, env, &[]);
    env.clear();
    let (model, _) = built?;
    let text = match args.format {
        CommitmentFormat::Table => table(&model),
        CommitmentFormat::Json => {
            let mut s = serde_json::to_string_pretty(&json::commitment_document(&model)?)
                .map_err(|e| Error::Internal(e.to_string()))?;
            s.push('\n');
            s
        }
    };
    out.write_all(text.as_bytes())
        .map_err(|e| Error::io("stdout", "cannot write", e))
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
        m.organization, m.month_label
    );
    out.push_str(&format!(
        "  {}{} from {} to {}: {} consumed ({} of the term's days gone), pacing {}.\n  {}\n  {}\n\n",
        usd0(k.amount),
        c.name.as_ref().map_or(String::new(), |n| format!(" ({n})")),
        k.start,
        k.end,
        usd(k.consumed_to_date),
        pct(k.elapsed_days as f64 / k.term_days as f64),
        k.pacing.map_or("—".into(), fmt::ratio),
        c.outlook,
        terminal::forecast_line(c)
    ));
    if f.declined.is_none() {
        let r = |name: &str, v: [f64; 3], money: bool| {
            let mut row = vec![name.to_owned()];
            row.extend(v.map(|x| if money { usd0(x) } else { pct(x) }));
            row
        };
        out.push_str(&rows(
            &["At the end of the term", "P10", "P50", "P90"],
            &[
                r("Consumed", f.end_of_term, true),
                r("Utilization", f.utilization, false),
                r("Unused", f.unused, true),
                r("Overage", f.overage, true),
            ],
        ));
        out.push_str(&format!(
            "\n  P50 from the {}: {}.\n",
            if f.headline == "method" {
                "forecast"
            } else {
                "linear run rate"
            },
            f.headline_reason
        ));
    }
    if !f.backtest.is_empty() {
        out.push('\n');
        let mut body: Vec<Vec<String>> = f
            .backtest
            .iter()
            .map(|b| {
                vec![
                    b.month.to_string(),
                    usd0(b.actual),
                    format!(
                        "{} ({}–{})",
                        usd0(b.method[1]),
                        usd0(b.method[0]),
                        usd0(b.method[2])
                    ),
                    pct(b.method_error),
                    usd0(b.linear),
                    pct(b.linear_error),
                ]
            })
            .collect();
        body.push(vec![
            "Mean error".into(),
            String::new(),
            String::new(),
            f.method_mape.map_or("—".into(), pct),
            String::new(),
            f.linear_mape.map_or("—".into(), pct),
        ]);
        out.push_str(&rows(
            &[
                "Backtest",
                "Actual",
                "Forecast P50 (P10–P90)",
                "Error",
                "Linear",
                "Error",
            ],
            &body,
        ));
    }
    if let Some(n) = &m.next_commitment {
        out.push_str(&format!("\nNext commitment\n\n  {}\n", n.sentence));
        if !n.candidates.is_empty() {
            out.push_str(&format!(
                "  Next term {} days at list: {} at the current run rate, {} at the optimized floor.\n\n",
                n.next_term_days,
                usd0(n.current_list),
                usd0(n.optimized_list)
            ));
            let body: Vec<Vec<String>> = n
                .candidates
                .iter()
                .map(|r| {
                    let mut note = Vec::new();
                    if n.recommended.is_some_and(|x| x.amount == r.amount) {
                        note.push("recommended");
                    }
                    if n.at_run_rate.is_some_and(|x| x.amount == r.amount) {
                        note.push("sized to the run rate");
                    }
                    vec![
                        usd0(r.amount),
                        pct(r.discount),
                        usd0(r.current.cost),
                        usd0(r.current.unused),
                        usd0(r.optimized.cost),
                        usd0(r.optimized.unused),
                        pct(r.optimized.effective_discount),
                        note.join(", "),
                    ]
                })
                .collect();
            out.push_str(&rows(
                &[
                    "Commitment",
                    "Discount",
                    "Run rate: cost",
                    "unused",
                    "Floor: cost",
                    "unused",
                    "eff. discount",
                    "",
                ],
                &body,
            ));
        }
        if !n.terms.is_empty() {
            out.push_str("\n  Ask for:\n");
            for t in &n.terms {
                out.push_str(&format!("  - {t}\n"));
            }
        }
    }
    out
}
