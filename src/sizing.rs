//! What a commitment costs, and the pick (domain contract, part 3, "What a commitment costs, and
//! the pick"): pure arithmetic on the next term's list spend in three scenarios and the discount
//! bands.
//!
//! - A commitment C earns the discount d of the band with the largest min ≤ C (0 if none).
//! - Overage at list (the usual contract): cost(C, L) = C + max(0, L − C / (1 − d)); at the
//!   committed rate: cost(C, L) = C + max(0, L (1 − d) − C). unused(C, L) = max(0, C − L (1 − d)).
//! - Expected cost E(C) = 0.3 cost(C, L10 φ) + 0.4 cost(C, L50 φ) + 0.3 cost(C, L90 φ), at the
//!   optimized scenarios (the backlog shipped: φ = floor / spend).
//! - The pick: among the candidates whose E is within $1 of the lowest, the one with the least
//!   expected |L_p φ (1 − d) − C| (committed dollars unused or over), then the smaller C.

use serde::Serialize;

use crate::config::{Band, Overage};

/// Swanson's weights of P10, P50 and P90.
pub const WEIGHTS: [f64; 3] = [0.3, 0.4, 0.3];
/// Expected costs within this many dollars of the lowest are as good as it.
pub const NEAR_USD: f64 = 1.0;
/// A candidate whose cost differs by less than this is a tie.
const CENT: f64 = 0.005;

/// The band a commitment falls in: the one with the largest min ≤ `amount`.
pub fn band_of(amount: f64, bands: &[Band]) -> Option<usize> {
    bands.iter().rposition(|b| b.min <= amount)
}

/// The discount a commitment of `amount` earns (0 below every band).
pub fn discount_of(amount: f64, bands: &[Band]) -> f64 {
    band_of(amount, bands).map_or(0.0, |i| bands[i].discount)
}

/// What a term costs with a commitment of `amount` at discount `d` and list spend `list`.
pub fn cost_at(amount: f64, d: f64, list: f64, overage: Overage) -> f64 {
    match overage {
        Overage::List => amount + (list - amount / (1.0 - d)).max(0.0),
        Overage::Committed => amount + (list * (1.0 - d) - amount).max(0.0),
    }
}

/// What a term costs with a commitment of `amount` and list spend `list`.
pub fn cost(amount: f64, list: f64, bands: &[Band], overage: Overage) -> f64 {
    cost_at(amount, discount_of(amount, bands), list, overage)
}

/// Committed but not used: max(0, C − L (1 − d)).
pub fn unused(amount: f64, list: f64, bands: &[Band]) -> f64 {
    (amount - list * (1.0 - discount_of(amount, bands))).max(0.0)
}

/// The weighted sum of a figure at P10, P50 and P90.
pub fn weighted(v: [f64; 3]) -> f64 {
    v.iter().zip(WEIGHTS).map(|(x, w)| x * w).sum()
}

/// Expected cost of a commitment over three scenarios' list spend.
pub fn expected(amount: f64, lists: [f64; 3], bands: &[Band], overage: Overage) -> f64 {
    weighted(lists.map(|l| cost(amount, l, bands, overage)))
}

/// The next term's list spend at P10, P50 and P90, with the backlog shipped and without.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scenarios {
    /// L_p × φ.
    pub optimized: [f64; 3],
    /// L_p.
    pub not_shipped: [f64; 3],
}

/// Why an amount is a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// C = 0.
    NoCommitment,
    /// A band's min.
    BandMin,
    /// The optimized P10 usage at a band's discount.
    OptimizedP10,
    /// The optimized P50 usage at a band's discount.
    OptimizedP50,
    /// The optimized P90 usage at a band's discount.
    OptimizedP90,
    /// The current term's commitment.
    Current,
    /// What a buyer without this review would sign.
    RunRate,
}

impl Why {
    /// In words.
    pub fn words(self) -> &'static str {
        match self {
            Why::NoCommitment => "no commitment",
            Why::BandMin => "a band's minimum",
            Why::OptimizedP10 => "optimized P10 usage",
            Why::OptimizedP50 => "optimized P50 usage",
            Why::OptimizedP90 => "optimized P90 usage",
            Why::Current => "the current commitment",
            Why::RunRate => "the run-rate commit",
        }
    }
}

/// One candidate commitment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// The commitment, USD per term.
    pub amount: f64,
    /// Its band's discount.
    pub discount: f64,
    /// Why it is a candidate.
    pub why: Vec<Why>,
    /// Cost at P10, P50, P90 optimized.
    pub cost: [f64; 3],
    /// Unused at P10, P50, P90 optimized.
    pub unused: [f64; 3],
    /// Cost at P50 if the backlog does not ship.
    pub cost_not_shipped: f64,
    /// Expected cost, optimized.
    pub expected: f64,
    /// Expected cost if the backlog does not ship.
    pub expected_not_shipped: f64,
    /// 1 − E(C) / E(0).
    pub effective_discount: f64,
    /// Expected |L_p φ (1 − d) − C|: committed dollars unused or over.
    pub gap: f64,
}

/// Where a larger commitment would start to pay.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BreakEven {
    /// The lowest-E candidate of the next higher band.
    pub amount: f64,
    /// Its discount.
    pub discount: f64,
    /// The smallest optimized list spend for the term at which it costs no more than the
    /// recommendation (`None`: not below 3 × L90 φ).
    pub list: Option<f64>,
}

/// The candidates and the pick.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sizing {
    /// Every candidate, by amount.
    pub candidates: Vec<Candidate>,
    /// Index of the recommendation.
    pub recommended: usize,
    /// Index of the run-rate commit.
    pub run_rate: usize,
    /// E of the run-rate commit minus E of the recommendation, optimized.
    pub saving: f64,
    /// The same if the backlog does not ship.
    pub saving_not_shipped: f64,
    /// The next higher band's break-even (`None`: the recommendation is in the top band).
    pub break_even: Option<BreakEven>,
    /// The recommendation under overage at the committed rate: E(list) − E(committed).
    pub overage_value: f64,
    /// Whether the recommendation is its band's optimized P10 usage with overage at list and a
    /// discount below 30% (the review says why in plain words).
    pub p10_rule: bool,
}

impl Sizing {
    /// The recommendation.
    pub fn pick(&self) -> &Candidate {
        &self.candidates[self.recommended]
    }

    /// The run-rate commit.
    pub fn run_rate_commit(&self) -> &Candidate {
        &self.candidates[self.run_rate]
    }
}

/// The run-rate commit: among every band min and each L50 (1 − d) that falls in a band of
/// discount d, the lowest cost(C, L50) on the not-shipped P50 (ties: the smaller C).
fn run_rate_amount(l50: f64, bands: &[Band], overage: Overage) -> f64 {
    let mut amounts: Vec<f64> = bands.iter().map(|b| b.min).collect();
    amounts.extend(usage_amounts(l50, bands));
    amounts.sort_by(f64::total_cmp);
    amounts
        .into_iter()
        .map(|c| (c, cost(c, l50, bands, overage)))
        .reduce(|best, x| if x.1 < best.1 - CENT { x } else { best })
        .map_or(0.0, |(c, _)| c)
}

/// L (1 − d) for each band's discount d, where it falls in a band of that discount.
fn usage_amounts(list: f64, bands: &[Band]) -> Vec<f64> {
    bands
        .iter()
        .map(|b| list * (1.0 - b.discount))
        .zip(bands)
        .filter(|(c, b)| band_of(*c, bands).is_some_and(|i| bands[i].discount == b.discount))
        .map(|(c, _)| c)
        .collect()
}

/// Sizes the next commitment: every candidate, the pick, and what to know before signing.
pub fn size(s: Scenarios, bands: &[Band], overage: Overage, current: Option<f64>) -> Sizing {
    let mut amounts: Vec<(f64, Why)> = vec![(0.0, Why::NoCommitment)];
    amounts.extend(bands.iter().map(|b| (b.min, Why::BandMin)));
    for (p, why) in [Why::OptimizedP10, Why::OptimizedP50, Why::OptimizedP90]
        .into_iter()
        .enumerate()
    {
        amounts.extend(
            usage_amounts(s.optimized[p], bands)
                .into_iter()
                .map(|c| (c, why)),
        );
    }
    if let Some(c) = current {
        amounts.push((c, Why::Current));
    }
    amounts.push((
        run_rate_amount(s.not_shipped[1], bands, overage),
        Why::RunRate,
    ));
    amounts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut merged: Vec<(f64, Vec<Why>)> = Vec::new();
    for (c, why) in amounts {
        match merged.last_mut() {
            Some((last, whys)) if (c - *last).abs() < 1e-6 => {
                if !whys.contains(&why) {
                    whys.push(why);
                }
            }
            _ => merged.push((c, vec![why])),
        }
    }
    let e0 = weighted(s.optimized);
    let candidates: Vec<Candidate> = merged
        .into_iter()
        .map(|(amount, why)| {
            let discount = discount_of(amount, bands);
            let cost3 = s.optimized.map(|l| cost(amount, l, bands, overage));
            let e = weighted(cost3);
            Candidate {
                amount,
                discount,
                why,
                cost: cost3,
                unused: s.optimized.map(|l| unused(amount, l, bands)),
                cost_not_shipped: cost(amount, s.not_shipped[1], bands, overage),
                expected: e,
                expected_not_shipped: expected(amount, s.not_shipped, bands, overage),
                // Without a dollar of expected spend there is nothing to discount.
                effective_discount: if e0 >= 1.0 { 1.0 - e / e0 } else { 0.0 },
                gap: weighted(s.optimized.map(|l| (l * (1.0 - discount) - amount).abs())),
            }
        })
        .collect();
    let lowest = candidates
        .iter()
        .map(|c| c.expected)
        .fold(f64::INFINITY, f64::min);
    let recommended = (0..candidates.len())
        .filter(|i| candidates[*i].expected <= lowest + NEAR_USD)
        .min_by(|a, b| {
            let (x, y) = (&candidates[*a], &candidates[*b]);
            x.gap.total_cmp(&y.gap).then(x.amount.total_cmp(&y.amount))
        })
        .unwrap_or(0);
    let run_rate = candidates
        .iter()
        .position(|c| c.why.contains(&Why::RunRate))
        .unwrap_or(0);
    let rec = &candidates[recommended];
    let rr = &candidates[run_rate];
    let break_even = break_even(&candidates, recommended, bands, overage, s.optimized[2]);
    let overage_value = expected(rec.amount, s.optimized, bands, Overage::List)
        - expected(rec.amount, s.optimized, bands, Overage::Committed);
    Sizing {
        saving: rr.expected - rec.expected,
        saving_not_shipped: rr.expected_not_shipped - rec.expected_not_shipped,
        p10_rule: overage == Overage::List
            && rec.discount < 0.3
            && rec.why.contains(&Why::OptimizedP10),
        overage_value,
        break_even,
        recommended,
        run_rate,
        candidates,
    }
}

/// The smallest optimized list spend L > 0 at which the lowest-E candidate of the band above the
/// recommendation's costs no more than the recommendation: bisection on [0, 3 × L90 φ].
fn break_even(
    candidates: &[Candidate],
    recommended: usize,
    bands: &[Band],
    overage: Overage,
    l90: f64,
) -> Option<BreakEven> {
    let rec = &candidates[recommended];
    let next = band_of(rec.amount, bands).map_or(0, |i| i + 1);
    if next >= bands.len() {
        return None;
    }
    let higher = candidates
        .iter()
        .filter(|c| band_of(c.amount, bands) == Some(next))
        .min_by(|a, b| a.expected.total_cmp(&b.expected))?;
    let gap = |l: f64| cost(higher.amount, l, bands, overage) - cost(rec.amount, l, bands, overage);
    let (mut lo, mut hi) = (0.0, 3.0 * l90);
    let list = if hi > 0.0 && gap(hi) <= 0.0 {
        // gap(0) = C_next − C_rec > 0, and the gap never rises with L.
        for _ in 0..200 {
            if hi - lo < 0.005 {
                break;
            }
            let mid = (lo + hi) / 2.0;
            if gap(mid) <= 0.0 {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Some(hi)
    } else {
        None
    };
    Some(BreakEven {
        amount: higher.amount,
        discount: higher.discount,
        list,
    })
}

#[cfg(test)]
mod tests;
