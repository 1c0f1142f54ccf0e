//! CSV output for spreadsheets: written by the `csv` crate (quoting, embedded newlines), with
//! every text cell guarded against formula injection (a cell a spreadsheet would run as a formula
//! starts with `'`).

use crate::error::{Error, Result};

/// A text cell as a spreadsheet may safely open it (OWASP's advice on CSV injection): a cell
/// that starts with `=`, `+`, `-`, `@`, a tab or a carriage return, or whose first visible
/// character is one of those four (or its full-width or small form) behind spaces or invisible marks such
/// as a right-to-left override, would be run as a formula; it is escaped with a leading `'`.
///
/// Bidirectional formatting characters are written out visibly (`\u{202e}`), as in every other
/// output: a spreadsheet would obey them and show the name reordered.
pub fn text(s: &str) -> String {
    let s = crate::fmt::bidi_visible(s);
    // Control characters (an escape, U+0085) written out too: `cat` of the file would send them
    // to the terminal. Tabs and line breaks stay (the writer quotes them).
    let s: std::borrow::Cow<str> = if s
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        s.chars()
            .map(|c| {
                if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
            .into()
    } else {
        s
    };
    let s = s.as_ref();
    let invisible = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '\u{00AD}'
                    | '\u{034F}'
                    | '\u{061C}'
                    | '\u{180E}'
                    | '\u{200B}'..='\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2060}'..='\u{2069}'
                    | '\u{FEFF}'
            )
    };
    // The four, in full width and as small forms too.
    let formula = |c: char| {
        matches!(
            c,
            '=' | '+'
                | '-'
                | '@'
                | '\u{FF1D}'
                | '\u{FF0B}'
                | '\u{FF0D}'
                | '\u{FF20}'
                | '\u{FE66}'
                | '\u{FE62}'
                | '\u{FE63}'
                | '\u{FE6B}'
        )
    };
    let first = s.chars().next();
    if matches!(first, Some('\t' | '\r')) || s.chars().find(|&c| !invisible(c)).is_some_and(formula)
    {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// A money cell: rounded to the cent, no thousands separators.
pub fn usd(v: f64) -> String {
    format!("{:.2}", crate::fmt::cents(v) + 0.0)
}

/// Amounts in whole cents that add up to `total` cents: each rounded down, then the cents left over
/// go to the largest remainders (ties: the earlier amount).
pub fn cents_summing_to(values: &[f64], total: i64) -> Vec<i64> {
    let mut out: Vec<i64> = values.iter().map(|v| (v * 100.0).floor() as i64).collect();
    let mut order: Vec<usize> = (0..values.len()).collect();
    let rem = |i: usize| values[i] * 100.0 - out[i] as f64;
    order.sort_by(|&a, &b| rem(b).total_cmp(&rem(a)).then(a.cmp(&b)));
    let mut left = total - out.iter().sum::<i64>();
    for &i in order.iter().cycle().take(values.len() * 2) {
        if left == 0 {
            break;
        }
        let step = left.signum();
        out[i] += step;
        left -= step;
    }
    out
}

/// Whole cents as a money cell.
pub fn cents(c: i64) -> String {
    format!(
        "{}{}.{:02}",
        if c < 0 { "-" } else { "" },
        c.abs() / 100,
        c.abs() % 100
    )
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
    fn controls_and_bidi_marks_are_written_out_alike() {
        assert_eq!(text("ap\u{1b}p\u{85}"), "ap\\u{1b}p\\u{85}");
        assert_eq!(text("op\u{200f}us"), "op\\u{200f}us");
        assert_eq!(text("two\nlines"), "two\nlines");
    }

    #[test]
    fn formulas_are_defused_and_quoting_is_the_writers() {
        assert_eq!(text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text("-1+2"), "'-1+2");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text("growth"), "growth");
        assert_eq!(text("\tx"), "'\tx");
        assert_eq!(text("\rx"), "'\rx");
        assert_eq!(text("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        // Behind spaces, a right-to-left override, or in full width.
        assert_eq!(text("  =1+1"), "'  =1+1");
        assert_eq!(text("\u{2060}=1+1"), "'\u{2060}=1+1");
        // A right-to-left override is written out, so the cell no longer starts a formula.
        assert_eq!(text("\u{202E}=1+1"), "\\u{202e}=1+1");
        assert_eq!(text("\u{FF1D}1+1"), "'\u{FF1D}1+1");
        assert_eq!(text("\u{00AD}=1"), "'\u{00AD}=1");
        assert_eq!(text("\u{FE66}1"), "'\u{FE66}1");
        assert_eq!(text("a-b"), "a-b");
        assert_eq!(text(""), "");
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
    fn cents_add_up_to_the_rounded_total() {
        // 3 x 0.333 = 0.999 -> $1.00: one row takes the extra cent.
        let c = cents_summing_to(&[0.333, 0.333, 0.333], 100);
        assert_eq!(c.iter().sum::<i64>(), 100);
        assert_eq!(c, [34, 33, 33]);
        // Half cents: the left-over cent goes to the first of the tied remainders.
        assert_eq!(cents_summing_to(&[0.005, 0.005, 1.0], 101), [1, 0, 100]);
        assert_eq!(cents(-1234), "-12.34");
        assert_eq!(cents(5), "0.05");
    }

    #[test]
    fn numbers() {
        assert_eq!(usd(1234.567), "1234.57");
        assert_eq!(usd(-0.001), "0.00");
        assert_eq!(num(0.25), "0.25");
    }
}
