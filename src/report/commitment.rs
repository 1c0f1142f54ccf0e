//! The commitment's forecast to the end of its term and the sizing of the next one, as the pack
//! shows them.

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::{Band, Overage};
use crate::forecast::{Backtest, Model};
use crate::sizing::{Scenarios, Sizing};

/// Where the term is heading, with the forecast's uncertainty (domain contract, part 3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastSection {
    /// Why there is no forecast (the term is over, no usage), if there is none.
    pub declined: Option<String>,
    /// The model fitted at the end of the review month.
    pub model: Option<Model>,
    /// What the review says of the model (level, weeks, clipping, configured growth).
    pub notes: Vec<String>,
    /// The first day forecast.
    pub first: Option<NaiveDate>,
    /// The last day forecast (the term's end).
    pub last: Option<NaiveDate>,
    /// Consumed to the end of the review month.
    pub consumed: f64,
    /// Consumed at the end of the term: P10, P50, P90.
    pub end_of_term: [f64; 3],
    /// The same over the commitment.
    pub utilization: [f64; 3],
    /// Unused commitment at P10, P50, P90.
    pub unused: [f64; 3],
    /// Overage at P10, P50, P90.
    pub overage: [f64; 3],
    /// The day consumption reaches the commitment at P50, if it does in the term.
    pub crosses_p50: Option<NaiveDate>,
    /// The same at P90.
    pub crosses_p90: Option<NaiveDate>,
    /// The model's record at the last three month-ends.
    pub backtest: Backtest,
    /// What the backtest shows, in a sentence.
    pub backtest_text: String,
    /// Consumed to date by day through the term's end: (day, P10, P50, P90), for the chart.
    #[serde(skip)]
    pub band: Vec<(NaiveDate, f64, f64, f64)>,
}

/// Something to ask for in the negotiation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ask {
    /// What to ask for, in a few words.
    pub title: String,
    /// Why, from the numbers.
    pub text: String,
    /// What it is worth over the term (None: a ceiling or no dollar value).
    pub value: Option<f64>,
}

/// One period of a ramped commitment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RampPeriod {
    /// Its first day.
    pub first: NaiveDate,
    /// Its last day.
    pub last: NaiveDate,
    /// Its days.
    pub days: i64,
    /// Its share of the term's P50 list spend.
    pub share: f64,
    /// The commitment for the period: C × share.
    pub amount: f64,
}

/// What to sign at renewal (domain contract, part 3, "What a commitment costs, and the pick").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextCommitment {
    /// The bands (empty: none configured).
    pub bands: Vec<Band>,
    /// How overage is billed.
    pub overage: Overage,
    /// The next term's first day.
    pub next_start: NaiveDate,
    /// Its last day.
    pub next_end: NaiveDate,
    /// Its days.
    pub next_term_days: i64,
    /// Days from the end of the review month to the end of the current term.
    pub days_to_term_end: i64,
    /// The level: mean daily list spend over the last 28 days.
    pub level: f64,
    /// Growth at P10, P50, P90 as monthly rates.
    pub growth: [f64; 3],
    /// φ = the optimized floor over the review month's spend.
    pub phi: f64,
    /// The next term's list spend at P10, P50, P90, with the backlog shipped and without.
    pub list: Scenarios,
    /// The candidates and the pick (None: no bands).
    pub sizing: Option<Sizing>,
    /// The recommendation in one sentence.
    pub sentence: String,
    /// What the numbers mean, sentence by sentence (the P10 rule, the break-even, cash timing).
    pub notes: Vec<String>,
    /// What to ask for.
    pub asks: Vec<Ask>,
    /// The ramp, when volume grows (empty otherwise).
    pub ramp: Vec<RampPeriod>,
}
