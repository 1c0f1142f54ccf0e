//! The FOCUS 1.3 Contract Commitment dataset: one row per commitment of the contract (the
//! configured spend commitment), its term and amount, as the specification names the columns,
//! and, in columns of our own, where it stands: its lifecycle status on the day of the export,
//! what was consumed by the end of the month, and where the review's forecast puts it at the end
//! of the term (P10, P50, P90).
//!
//! The dataset links to the cost and usage rows by ContractCommitmentId, which is the
//! CommitmentDiscountId of the usage the commitment covers.

use chrono::NaiveDate;

use super::commitment_id;
use crate::data::write::{Cell, Kind};
use crate::metrics::Commitment;
use crate::month::Month;
use crate::report::CommitmentSection;

/// The columns, in order: the 13 of the specification, then ours.
pub const COLUMNS: [(&str, Kind); 24] = [
    ("BillingCurrency", Kind::Text),
    ("ContractCommitmentCategory", Kind::Text),
    ("ContractCommitmentCost", Kind::Dec),
    ("ContractCommitmentDescription", Kind::Text),
    ("ContractCommitmentId", Kind::Text),
    ("ContractCommitmentPeriodEnd", Kind::Time),
    ("ContractCommitmentPeriodStart", Kind::Time),
    ("ContractCommitmentQuantity", Kind::Dec),
    ("ContractCommitmentType", Kind::Text),
    ("ContractCommitmentUnit", Kind::Text),
    ("ContractId", Kind::Text),
    ("ContractPeriodEnd", Kind::Time),
    ("ContractPeriodStart", Kind::Time),
    ("x_LifecycleStatus", Kind::Text),
    ("x_ConsumedThrough", Kind::Time),
    ("x_ConsumedCost", Kind::Dec),
    ("x_ExpectedToDateCost", Kind::Dec),
    ("x_Pacing", Kind::Dec),
    ("x_ProjectedCostP10", Kind::Dec),
    ("x_ProjectedCostP50", Kind::Dec),
    ("x_ProjectedCostP90", Kind::Dec),
    ("x_ProjectedUnusedCostP50", Kind::Dec),
    ("x_ProjectedOverageCostP50", Kind::Dec),
    ("x_ForecastNote", Kind::Text),
];

/// Where a commitment stands on `day`: `Pending` before its term, `Active` in it, `Expired` after.
pub fn lifecycle(c: &Commitment, day: NaiveDate) -> &'static str {
    if day < c.start {
        "Pending"
    } else if day > c.end {
        "Expired"
    } else {
        "Active"
    }
}

/// The commitment's row, as of `as_of`, with the review of `month`'s figures.
pub fn row(
    c: &Commitment,
    month: Month,
    as_of: NaiveDate,
    section: &CommitmentSection,
) -> Vec<Cell> {
    let (id, name) = commitment_id(c);
    let text = |s: &str| Cell::Text(s.to_owned());
    let m = &section.metrics;
    let f = &section.forecast;
    // The term's end in FOCUS is exclusive: the day after its last day.
    let end = c.end + chrono::Duration::days(1);
    let start = c.start;
    let projected: [Cell; 3] = if f.declined.is_none() && f.model.is_some() {
        f.end_of_term.map(Cell::Dec)
    } else if m.remaining_days == 0 {
        // The term is over: what was consumed is what it ends at.
        [m.consumed_to_date; 3].map(Cell::Dec)
    } else {
        [Cell::Null, Cell::Null, Cell::Null]
    };
    let (unused, overage) = match &projected[1] {
        Cell::Dec(p50) => (
            Cell::Dec((c.amount - p50).max(0.0)),
            Cell::Dec((p50 - c.amount).max(0.0)),
        ),
        _ => (Cell::Null, Cell::Null),
    };
    let [p10, p50, p90] = projected;
    vec![
        text("USD"),
        text("Spend"),
        Cell::Dec(c.amount),
        text(&name),
        text(&id),
        Cell::Day(end),
        Cell::Day(start),
        // A spend commitment is counted in dollars: ContractCommitmentCost says it all.
        Cell::Null,
        text(super::COMMITMENT_TYPE),
        Cell::Null,
        Cell::Text(format!("anthropic:contract:{}", c.start)),
        Cell::Day(end),
        Cell::Day(start),
        text(lifecycle(c, as_of)),
        // What was counted ends with the month, within the term.
        Cell::Day(month.next().first_day().clamp(start, end)),
        Cell::Dec(m.consumed_to_date),
        Cell::Dec(m.expected_to_date),
        m.pacing.map_or(Cell::Null, Cell::Dec),
        p10,
        p50,
        p90,
        unused,
        overage,
        f.declined
            .as_deref()
            .map_or(Cell::Null, |d| Cell::Text(d.to_owned())),
    ]
}
