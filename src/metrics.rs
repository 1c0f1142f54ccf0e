//! The governed numbers, exactly as the metric contract defines them.
//!
//! Pure functions over priced rows (see [`crate::costing`] for how the cube is priced); no I/O,
//! no configuration, no polars. Shares are fractions 0..1, money USD.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::month::Month;
use crate::pricing::Tokens;

/// The team or app of rows that no data column or allocation rule assigns.
pub const UNALLOCATED: &str = "unallocated";

/// Names govreview uses itself: usage without a team or app, and a table's total row.
pub const RESERVED: [&str; 2] = [UNALLOCATED, "(total)"];

/// Whether a team or app name is one govreview reserves (in any case, with any surrounding
/// spaces).
pub fn reserved(name: &str) -> bool {
    RESERVED.contains(&name.trim().to_lowercase().as_str())
}

/// A cube row with its owner, family and costs.
#[derive(Debug, Clone, PartialEq)]
pub struct PricedRow {
    /// Month.
    pub month: Month,
    /// Team (or [`UNALLOCATED`]).
    pub team: String,
    /// App (or [`UNALLOCATED`]).
    pub app: String,
    /// Model ID.
    pub model: String,
    /// Workspace (ID, or name in Console exports).
    pub workspace: Option<String>,
    /// API key (ID, or name in Console exports).
    pub api_key: Option<String>,
    /// Model family.
    pub family: String,
    /// Service tier.
    pub tier: String,
    /// Inside the commitment term.
    pub in_term: bool,
    /// Token sums.
    pub tokens: Tokens,
    /// Requests over rows that carry a count.
    pub requests: u64,
    /// Output tokens over rows that carry a request count.
    pub output_with_requests: u64,
    /// Web search requests.
    pub web_search_requests: u64,
    /// List cost (batch discount applied).
    pub list_cost: f64,
    /// Computed net cost: list cost x (1 - discount).
    pub computed_net: f64,
    /// Net cost of the uncached input tokens alone (for savings estimates).
    pub uncached_input_net: f64,
    /// Billed cost, when the data carries one.
    pub billed: Option<f64>,
    /// Index of the input file.
    pub file: usize,
    /// The day, when the row holds one day's usage (a day-level cube, or a month with one day).
    pub day: Option<NaiveDate>,
    /// The first day of its usage (its prices are those in force then: a row never spans a
    /// price change).
    pub first_day: NaiveDate,
    /// How it is priced beyond its model and tier.
    pub variant: crate::pricing::Variant,
    /// Its list cost step by step (adds up to `list_cost`).
    pub quote: crate::pricing::Quote,
    /// Its family is in the premium tier (`pricing.premium_families`).
    pub premium: bool,
}

impl PricedRow {
    /// The cost that counts: billed when present, else computed net.
    pub fn spend(&self) -> f64 {
        self.billed.unwrap_or(self.computed_net)
    }
}

/// Sums over a set of priced rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Spend: billed where billed, else computed net.
    pub spend: f64,
    /// List cost.
    pub list_cost: f64,
    /// Computed net cost of all rows.
    pub computed_net: f64,
    /// Billed cost of the rows that carry one.
    pub billed: f64,
    /// Computed net cost of the rows that carry a billed cost (the reconciliation's other side).
    pub billed_rows_computed: f64,
    /// Whether any row carries a billed cost.
    pub has_billed: bool,
    /// Net cost of uncached input tokens.
    pub uncached_input_net: f64,
    /// Token sums.
    pub tokens: Tokens,
    /// Tokens of `batch` tier rows.
    pub batch_tokens: u64,
    /// Spend of rows not in the batch tier.
    pub non_batch_spend: f64,
    /// Requests.
    pub requests: u64,
    /// Output tokens of rows that carry a request count.
    pub output_with_requests: u64,
    /// Web search requests.
    pub web_search_requests: u64,
    /// Spend by model family.
    pub by_family: BTreeMap<String, f64>,
    /// Spend on the premium tier's families.
    pub premium_spend: f64,
    /// Spend of usage in fast mode.
    pub fast_spend: f64,
    /// Spend of usage billed a premium for its prompt length (long context, a prompt-length
    /// band).
    pub long_spend: f64,
    /// Spend by service tier.
    pub by_tier: BTreeMap<String, f64>,
    /// Spend by model ID.
    pub by_model: BTreeMap<String, f64>,
}

impl Totals {
    /// Adds one row.
    pub fn add(&mut self, r: &PricedRow) {
        let spend = r.spend();
        self.spend += spend;
        self.list_cost += r.list_cost;
        self.computed_net += r.computed_net;
        if let Some(b) = r.billed {
            self.billed += b;
            self.billed_rows_computed += r.computed_net;
            self.has_billed = true;
        }
        self.uncached_input_net += r.uncached_input_net;
        self.tokens.add(&r.tokens);
        if r.tier == "batch" {
            self.batch_tokens += r.tokens.total();
        } else {
            self.non_batch_spend += spend;
        }
        self.requests += r.requests;
        self.output_with_requests += r.output_with_requests;
        self.web_search_requests += r.web_search_requests;
        *self.by_family.entry(r.family.clone()).or_default() += spend;
        if r.premium {
            self.premium_spend += spend;
        }
        if r.variant.speed.as_deref() == Some("fast") {
            self.fast_spend += spend;
        }
        if r.variant.context_window.as_deref() == Some("200k-1M")
            || r.variant.prompt_band.as_deref() == Some("long")
        {
            self.long_spend += spend;
        }
        *self.by_tier.entry(r.tier.clone()).or_default() += spend;
        *self.by_model.entry(r.model.clone()).or_default() += spend;
    }

    /// Totals of an iterator of rows.
    #[cfg(test)]
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a PricedRow>) -> Totals {
        let mut t = Totals::default();
        for r in rows {
            t.add(r);
        }
        t
    }

    /// Model mix: spend share per family. Opus, Sonnet and Haiku are always present.
    pub fn model_mix(&self) -> BTreeMap<String, f64> {
        let mut mix: BTreeMap<String, f64> = ["opus", "sonnet", "haiku"]
            .iter()
            .map(|f| ((*f).to_owned(), 0.0))
            .collect();
        if self.spend > 0.0 {
            for (fam, s) in &self.by_family {
                mix.insert(fam.clone(), s / self.spend);
            }
        }
        mix
    }

    /// Cache hit rate: sum R / sum (U + W5 + W1 + R), token-weighted.
    pub fn cache_hit_rate(&self) -> Option<f64> {
        ratio(self.tokens.cache_read, self.tokens.input())
    }

    /// Batch share: tokens of batch rows / all tokens.
    pub fn batch_share(&self) -> Option<f64> {
        ratio(self.batch_tokens, self.tokens.total())
    }

    /// Output tokens per request, over rows that carry request counts.
    pub fn output_per_request(&self) -> Option<f64> {
        ratio(self.output_with_requests, self.requests)
    }

    /// Cost per request: spend / requests, when the usage carries request counts.
    pub fn cost_per_request(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.spend / self.requests as f64)
    }

    /// The KPI values of these totals.
    pub fn kpis(&self) -> Kpis {
        Kpis {
            spend: self.spend,
            model_mix: self.model_mix(),
            cache_hit_rate: self.cache_hit_rate(),
            batch_share: self.batch_share(),
            output_per_request: self.output_per_request(),
        }
    }
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// The KPI values of one scope in one month.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Kpis {
    /// Spend in USD.
    pub spend: f64,
    /// Spend share per model family.
    pub model_mix: BTreeMap<String, f64>,
    /// Cache hit rate (None without input tokens).
    pub cache_hit_rate: Option<f64>,
    /// Batch share (None without tokens).
    pub batch_share: Option<f64>,
    /// Output tokens per request (None without request counts).
    pub output_per_request: Option<f64>,
}

/// A commitment: amount over an inclusive term.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commitment {
    /// Committed spend in USD.
    pub amount: f64,
    /// First day of the term.
    pub start: NaiveDate,
    /// Last day of the term (inclusive).
    pub end: NaiveDate,
    /// Optional label (contract name).
    pub name: Option<String>,
}

/// Commitment figures at the end of a review month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitmentMetrics {
    /// Committed amount.
    pub amount: f64,
    /// Term start.
    pub start: NaiveDate,
    /// Term end (inclusive).
    pub end: NaiveDate,
    /// Days in the term.
    pub term_days: i64,
    /// Term days elapsed by the end of the review month.
    pub elapsed_days: i64,
    /// Term days after the review month.
    pub remaining_days: i64,
    /// Spend inside the term up to the end of the review month.
    pub consumed_to_date: f64,
    /// C x elapsed / term days.
    pub expected_to_date: f64,
    /// consumed / expected.
    pub pacing: Option<f64>,
    /// Spend of the review month inside the term.
    pub month_spend: f64,
    /// C x term days in the month / term days.
    pub month_expected: f64,
    /// month spend / month expected.
    pub month_utilization: Option<f64>,
    /// Average daily spend over the last (up to) three review months.
    pub average_daily_spend: f64,
    /// The months that average is taken over.
    pub average_months: Vec<Month>,
    /// consumed + average daily x remaining days.
    pub projected_end_of_term: f64,
    /// projected / C.
    pub projected_utilization: f64,
    /// max(0, C - projected).
    pub projected_unused: f64,
    /// max(0, projected - C).
    pub projected_overage: f64,
    /// end - last day of the review month.
    pub days_to_renewal: i64,
    /// Cumulative in-term spend at the end of each month of the term up to the review month.
    pub burn_up: Vec<(NaiveDate, f64)>,
}

fn days_between_inclusive(a: NaiveDate, b: NaiveDate) -> i64 {
    ((b - a).num_days() + 1).max(0)
}

/// Commitment figures for review month `month`.
///
/// `in_term_spend` is each month's spend on days inside the term; `spend` each month's total
/// spend (for the run rate). Months without data are simply absent.
pub fn commitment(
    c: &Commitment,
    month: Month,
    in_term_spend: &BTreeMap<Month, f64>,
    spend: &BTreeMap<Month, f64>,
) -> CommitmentMetrics {
    let term_days = days_between_inclusive(c.start, c.end);
    let eom = month.last_day();
    let elapsed_days = days_between_inclusive(c.start, eom.min(c.end));
    let remaining_days =
        days_between_inclusive((eom + chrono::Duration::days(1)).max(c.start), c.end);
    let consumed: f64 = in_term_spend.range(..=month).map(|(_, s)| s).sum();
    let expected = c.amount * elapsed_days as f64 / term_days as f64;
    let month_term_days = days_between_inclusive(month.first_day().max(c.start), eom.min(c.end));
    let month_spend = in_term_spend.get(&month).copied().unwrap_or(0.0);
    let month_expected = c.amount * month_term_days as f64 / term_days as f64;

    let average_months: Vec<Month> = (0..3)
        .rev()
        .map(|k| month.plus(-k))
        .filter(|m| spend.contains_key(m))
        .collect();
    let avg_days: i64 = average_months.iter().map(Month::days).sum();
    let avg_spend: f64 = average_months.iter().map(|m| spend[m]).sum();
    let average_daily_spend = if avg_days > 0 {
        avg_spend / avg_days as f64
    } else {
        0.0
    };
    let projected = consumed + average_daily_spend * remaining_days as f64;

    let mut burn_up = Vec::new();
    let mut cum = 0.0;
    let mut m = Month::of(c.start);
    while m <= month && m.first_day() <= c.end {
        cum += in_term_spend.get(&m).copied().unwrap_or(0.0);
        burn_up.push((m.last_day().min(c.end), cum));
        m = m.next();
    }

    CommitmentMetrics {
        amount: c.amount,
        start: c.start,
        end: c.end,
        term_days,
        elapsed_days,
        remaining_days,
        consumed_to_date: consumed,
        expected_to_date: expected,
        pacing: (expected > 0.0).then(|| consumed / expected),
        month_spend,
        month_expected,
        month_utilization: (month_expected > 0.0).then(|| month_spend / month_expected),
        average_daily_spend,
        average_months,
        projected_end_of_term: projected,
        projected_utilization: projected / c.amount,
        projected_unused: (c.amount - projected).max(0.0),
        projected_overage: (projected - c.amount).max(0.0),
        days_to_renewal: (c.end - eom).num_days(),
        burn_up,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::month::{day as d, ym};

    fn row(family: &str, tier: &str, tokens: Tokens, spend: f64) -> PricedRow {
        PricedRow {
            month: ym("2026-10"),
            team: "t".into(),
            app: "a".into(),
            model: format!("claude-{family}-x"),
            workspace: None,
            api_key: None,
            family: family.into(),
            tier: tier.into(),
            in_term: true,
            tokens,
            requests: 0,
            output_with_requests: 0,
            web_search_requests: 0,
            list_cost: spend,
            computed_net: spend,
            uncached_input_net: 0.0,
            billed: None,
            file: 0,
            day: None,
            first_day: d("2026-10-01"),
            variant: Default::default(),
            quote: Default::default(),
            premium: family == "opus",
        }
    }

    fn tk(u: u64, w5: u64, w1: u64, r: u64, o: u64) -> Tokens {
        Tokens::new(u, w5, w1, r, o)
    }

    #[test]
    fn cache_hit_rate_is_token_weighted() {
        // Row A: R=90 of input 100 (90%); row B: R=0 of input 900 (0%).
        // Token-weighted: 90 / 1000 = 9%; the (wrong) average of rates would be 45%.
        let rows = [
            row("opus", "standard", tk(10, 0, 0, 90, 0), 1.0),
            row("opus", "standard", tk(800, 50, 50, 0, 0), 1.0),
        ];
        let t = Totals::of(&rows);
        assert!((t.cache_hit_rate().unwrap() - 0.09).abs() < 1e-12);
    }

    #[test]
    fn batch_share_counts_all_token_classes() {
        // batch: 100 + 20 + 0 + 30 + 50 = 200 tokens; standard: 600 tokens -> 200/800 = 25%.
        let rows = [
            row("haiku", "batch", tk(100, 20, 0, 30, 50), 1.0),
            row("haiku", "standard", tk(500, 0, 0, 0, 100), 3.0),
        ];
        assert!((Totals::of(&rows).batch_share().unwrap() - 0.25).abs() < 1e-12);
    }

    #[test]
    fn model_mix_is_share_of_spend() {
        // opus $60, sonnet $30, haiku $10 -> 60% / 30% / 10%.
        let rows = [
            row("opus", "standard", Tokens::default(), 60.0),
            row("sonnet", "standard", Tokens::default(), 30.0),
            row("haiku", "batch", Tokens::default(), 10.0),
        ];
        let mix = Totals::of(&rows).model_mix();
        assert!((mix["opus"] - 0.6).abs() < 1e-12);
        assert!((mix["sonnet"] - 0.3).abs() < 1e-12);
        assert!((mix["haiku"] - 0.1).abs() < 1e-12);
    }

    #[test]
    fn billed_cost_wins_and_is_reconciled() {
        let mut r = row("opus", "standard", Tokens::default(), 10.0);
        r.billed = Some(9.5);
        let t = Totals::of([&r]);
        assert_eq!(t.spend, 9.5);
        assert_eq!(t.billed_rows_computed, 10.0);
    }

    #[test]
    fn output_per_request_uses_rows_with_counts() {
        let mut a = row("opus", "standard", tk(0, 0, 0, 0, 1000), 1.0);
        a.requests = 4;
        a.output_with_requests = 1000;
        let b = row("opus", "standard", tk(0, 0, 0, 0, 5000), 1.0);
        assert_eq!(Totals::of([&a, &b]).output_per_request(), Some(250.0));
        assert_eq!(Totals::of([&b]).output_per_request(), None);
    }

    #[test]
    fn commitment_forecast_by_hand() {
        // $365,000 over 2026-01-01..2026-12-31 (365 days). Review month 2026-03.
        // Jan $20,000, Feb $28,000, Mar $31,000 (all in term).
        let c = Commitment {
            amount: 365_000.0,
            start: d("2026-01-01"),
            end: d("2026-12-31"),
            name: None,
        };
        let spend: BTreeMap<Month, f64> = [
            (ym("2026-01"), 20_000.0),
            (ym("2026-02"), 28_000.0),
            (ym("2026-03"), 31_000.0),
        ]
        .into();
        let m = commitment(&c, ym("2026-03"), &spend, &spend);
        assert_eq!(m.term_days, 365);
        assert_eq!(m.elapsed_days, 90); // 31 + 28 + 31
        assert_eq!(m.remaining_days, 275);
        assert_eq!(m.consumed_to_date, 79_000.0);
        assert!((m.expected_to_date - 90_000.0).abs() < 1e-9); // 365000 * 90/365
        assert!((m.pacing.unwrap() - 79_000.0 / 90_000.0).abs() < 1e-12);
        // March expected: 365000 * 31 / 365 = 31,000 -> utilization 1.0
        assert!((m.month_utilization.unwrap() - 1.0).abs() < 1e-12);
        // Run rate: 79,000 / 90 days = 877.78/day; projected = 79,000 + 877.78 * 275 = 320,388.89
        assert!((m.average_daily_spend - 79_000.0 / 90.0).abs() < 1e-9);
        let projected = 79_000.0 + 79_000.0 / 90.0 * 275.0;
        assert!((m.projected_end_of_term - projected).abs() < 1e-6);
        assert!((m.projected_unused - (365_000.0 - projected)).abs() < 1e-6);
        assert_eq!(m.projected_overage, 0.0);
        assert_eq!(m.days_to_renewal, 275);
        assert_eq!(m.burn_up.len(), 3);
        assert_eq!(m.burn_up[2], (d("2026-03-31"), 79_000.0));
    }

    #[test]
    fn commitment_run_rate_uses_last_three_months_only() {
        // Term 2026-01-01..2026-06-30 (181 days), $100,000. Review 2026-04.
        // Spend Jan 40,000 (outside the window), Feb 2,800, Mar 3,100, Apr 3,000.
        let c = Commitment {
            amount: 100_000.0,
            start: d("2026-01-01"),
            end: d("2026-06-30"),
            name: None,
        };
        let spend: BTreeMap<Month, f64> = [
            (ym("2026-01"), 40_000.0),
            (ym("2026-02"), 2_800.0),
            (ym("2026-03"), 3_100.0),
            (ym("2026-04"), 3_000.0),
        ]
        .into();
        let m = commitment(&c, ym("2026-04"), &spend, &spend);
        // window Feb..Apr: 8,900 / (28 + 31 + 30) = 100/day; remaining May+Jun = 61 days
        assert!((m.average_daily_spend - 100.0).abs() < 1e-9);
        assert_eq!(m.remaining_days, 61);
        assert!((m.projected_end_of_term - (48_900.0 + 6_100.0)).abs() < 1e-6);
        assert!((m.projected_unused - 45_000.0).abs() < 1e-6);
        assert!((m.projected_utilization - 0.55).abs() < 1e-9);
    }

    #[test]
    fn commitment_overage_and_partial_first_month() {
        // Term starts mid-month: 2026-10-15..2026-11-13 (30 days), $3,000. Review 2026-10.
        // In-term October spend $2,040 over 17 days; October's total spend $3,720 (31 days).
        let c = Commitment {
            amount: 3_000.0,
            start: d("2026-10-15"),
            end: d("2026-11-13"),
            name: None,
        };
        let in_term: BTreeMap<Month, f64> = [(ym("2026-10"), 2_040.0)].into();
        let spend: BTreeMap<Month, f64> = [(ym("2026-10"), 3_720.0)].into();
        let m = commitment(&c, ym("2026-10"), &in_term, &spend);
        assert_eq!(m.elapsed_days, 17);
        assert_eq!(m.remaining_days, 13);
        assert!((m.expected_to_date - 1_700.0).abs() < 1e-9);
        assert!((m.pacing.unwrap() - 1.2).abs() < 1e-12);
        assert!((m.month_utilization.unwrap() - 1.2).abs() < 1e-12);
        // run rate 3,720 / 31 = 120/day -> projected 2,040 + 1,560 = 3,600 -> overage 600
        assert!((m.projected_end_of_term - 3_600.0).abs() < 1e-9);
        assert!((m.projected_overage - 600.0).abs() < 1e-9);
        assert_eq!(m.projected_unused, 0.0);
        assert_eq!(m.days_to_renewal, 13);
    }
}
