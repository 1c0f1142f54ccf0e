//! CSV output for spreadsheets: written by the `csv` crate (quoting, embedded newlines), with
//! every text cell guarded against formula injection (a cell a spreadsheet would run as a formula
//! starts with `'`).

use crate::error::{Error, Result};

/// A text cell as a spreadsheet may safely open it: a leading `=`, `+`, `-`, `@`, tab or carriage
/// return (which would make it a formula) is escaped with a `'`.
pub fn text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

/// A money cell: rounded to the cent, no thousands separators.
pub fn usd(v: f64) -> String {
    format!("{:.2}", crate::fmt::cents(v) + 0.0)
}

/// A plain number at full precision (the shortest text that reads back to the same value).
pub fn num(v: f64) -> String {
    format!("{}", v + 0.0)
}

/// Writes a header and rows as CSV.
pub fn write(header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let err = |e: csv::Error| Error::Internal(format!("csv: {e}"));
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(header).map_err(err)?;
    for r in rows {
        w.write_record(r).map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| Error::Internal(format!("csv: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_quoting_is_the_writers() {
        assert_eq!(text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text("-1+2"), "'-1+2");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text("growth"), "growth");
        let out = write(
            &["team", "note"],
            &[vec![text("=1+1"), "a, \"b\"\nc".to_owned()]],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "team,note\r\n'=1+1,\"a, \"\"b\"\"\nc\"\r\n"
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(usd(1234.567), "1234.57");
        assert_eq!(usd(-0.001), "0.00");
        assert_eq!(num(0.25), "0.25");
    }
}
