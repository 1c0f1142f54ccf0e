//! The commitment's forecast to the end of its term and the sizing of the next one, as the pack
//! shows them.

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::Band;
use crate::month::Month;
use crate::sizing::Candidate;

/// One month forecast from the data before it, against what happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestMonth {
    /// The month forecast.
    pub month: Month,
    /// Its actual spend.
    pub actual: f64,
    /// The method's P10, P50 and P90 of the month's spend.
    pub method: [f64; 3],
    /// |P50 − actual| / actual.
    pub method_error: f64,
    /// Whether the actual fell between P10 and P90.
    pub covered: bool,
    /// The linear run rate's forecast: the average daily spend of the (up to) three months
    /// before, times the month's days.
    pub linear: f64,
    /// |linear − actual| / actual.
    pub linear_error: f64,
}

/// Where the term is heading, with the forecast's uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastSection {
    /// Why there is no forecast (too little history, the term is over), if there is none.
    pub declined: Option<String>,
    /// The method, in words.
    pub method: String,
    /// Which forecast is the headline P50: `method` or `linear`.
    pub headline: String,
    /// Why, in words.
    pub headline_reason: String,
    /// The first and last day forecast.
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
    /// The backtest, oldest month first.
    pub backtest: Vec<BacktestMonth>,
    /// The method's mean absolute percentage error over the backtest.
    pub method_mape: Option<f64>,
    /// The linear run rate's.
    pub linear_mape: Option<f64>,
    /// How far P10 and P90 of the spend still to come were widened to the headline's backtest
    /// errors (±, as a fraction of its P50), if they were.
    pub calibration: Option<f64>,
    /// Consumed to date by day through the term's end: (day, P10, P50, P90), for the chart.
    #[serde(skip)]
    pub band: Vec<(NaiveDate, f64, f64, f64)>,
}

/// A candidate amount under both scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CandidateRow {
    /// The commitment, USD per term.
    pub amount: f64,
    /// Its discount.
    pub discount: f64,
    /// At the current run rate.
    pub current: Candidate,
    /// At the optimized floor.
    pub optimized: Candidate,
}

/// What to sign at renewal (domain contract, "Sizing the next commitment").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextCommitment {
    /// The bands (empty: none configured).
    pub bands: Vec<Band>,
    /// Days of the next term.
    pub next_term_days: i64,
    /// Overage billed at this factor times the committed rate.
    pub overage_factor: f64,
    /// Days from the end of the review month to the end of the current term.
    pub days_to_term_end: i64,
    /// Net spend per day at the current run rate (the linear projection's).
    pub run_rate_per_day: f64,
    /// Next-term list spend at the current run rate.
    pub current_list: f64,
    /// Next-term list spend at the optimized floor: current × floor / the month's spend.
    pub optimized_list: f64,
    /// Every candidate, by amount, under both scenarios.
    pub candidates: Vec<CandidateRow>,
    /// Sizing at the current run rate: the cheapest candidate for it, under both scenarios.
    pub at_run_rate: Option<CandidateRow>,
    /// The recommendation: the cheapest candidate at the optimized floor, under both scenarios.
    pub recommended: Option<CandidateRow>,
    /// What the recommendation saves once the backlog ships: cost at the run rate's pick minus
    /// the recommendation's, both at the optimized floor.
    pub saving: Option<f64>,
    /// The comparison in one sentence.
    pub sentence: String,
    /// The protective terms to ask for, each with its reason.
    pub terms: Vec<String>,
}
