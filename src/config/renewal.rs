//! The renewal settings under `[commitment]`: the discount bands of the next commitment, how
//! overage is billed, the next term, and how its usage is forecast (domain contract, part 3,
//! "Next-term usage, with uncertainty" and "What a commitment costs, and the pick").
//!
//! ```toml
//! [commitment]
//! next_term_days = 365        # the next term's length
//! next_start = 2027-01-01     # default: the day after the current term ends
//! overage = "list"            # how overage is billed: "list" (the usual contract) or
//!                             # "committed" (at the committed rate, once negotiated)
//! max_monthly_growth = 0.05   # growth the forecast assumes at most (and at least its negative)
//! # monthly_growth = 0.03     # a growth rate to assume instead of the one the data gives
//! ramp_periods = 2            # periods of a ramped commitment, when volume grows
//! [[commitment.bands]]
//! min = 250_000               # USD per term
//! discount = 0.05
//! [[commitment.bands]]
//! min = 500_000
//! discount = 0.10
//! ```

use serde::Deserialize;

use crate::diag::{Locator, Problem};

/// Default length of the next term, in days.
pub const DEFAULT_NEXT_TERM_DAYS: i64 = 365;
/// Default cap on the monthly growth the forecast assumes.
pub const DEFAULT_MAX_MONTHLY_GROWTH: f64 = 0.05;
/// Default number of periods of a ramped commitment.
pub const DEFAULT_RAMP_PERIODS: u32 = 2;

/// How overage beyond a commitment is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overage {
    /// At list price (the usual contract): cost(C, L) = C + max(0, L − C / (1 − d)).
    List,
    /// At the committed rate (once negotiated): cost(C, L) = C + max(0, L (1 − d) − C).
    Committed,
}

/// One discount band: a commitment of at least `min` USD per term earns `discount`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Band {
    /// The smallest commitment of the band, in USD per term.
    pub min: f64,
    /// Its discount, 0 ≤ d < 1.
    pub discount: f64,
}

/// How the next commitment is sized.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Renewal {
    /// Discount bands, by `min` ascending (empty: none configured).
    pub bands: Vec<Band>,
    /// Days of the next term.
    pub next_term_days: i64,
    /// The next term's first day (None: the day after the current term ends).
    pub next_start: Option<chrono::NaiveDate>,
    /// How overage is billed (required once bands are configured; `list` otherwise).
    pub overage: Overage,
    /// The monthly growth the forecast assumes at most (and at least its negative).
    pub max_monthly_growth: f64,
    /// A monthly growth rate to assume instead of the one the data gives.
    pub monthly_growth: Option<f64>,
    /// Periods of a ramped commitment.
    pub ramp_periods: u32,
}

impl Default for Renewal {
    fn default() -> Self {
        Renewal {
            bands: Vec::new(),
            next_term_days: DEFAULT_NEXT_TERM_DAYS,
            next_start: None,
            overage: Overage::List,
            max_monthly_growth: DEFAULT_MAX_MONTHLY_GROWTH,
            monthly_growth: None,
            ramp_periods: DEFAULT_RAMP_PERIODS,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBand {
    min: f64,
    discount: f64,
}

/// The renewal keys of `[commitment]` as written.
#[derive(Debug, Default)]
pub(super) struct RawRenewal {
    pub(super) bands: Vec<RawBand>,
    pub(super) next_term_days: Option<i64>,
    pub(super) next_start: Option<toml::value::Datetime>,
    pub(super) overage: Option<String>,
    pub(super) overage_factor: Option<f64>,
    pub(super) max_monthly_growth: Option<f64>,
    pub(super) monthly_growth: Option<f64>,
    pub(super) ramp_periods: Option<i64>,
}

/// Validates the renewal keys of `[commitment]`; `term_end` is the current term's last day.
pub(super) fn renewal(
    raw: RawRenewal,
    term_end: Option<chrono::NaiveDate>,
    loc: &Locator,
    problems: &mut Vec<Problem>,
) -> Renewal {
    let mut r = Renewal::default();
    let mut ok: Vec<Band> = Vec::new();
    let configured = !raw.bands.is_empty();
    for (i, b) in raw.bands.into_iter().enumerate() {
        let idx = i.to_string();
        let mut good = true;
        if let Some(p) = super::money_problem(b.min, "a band's smallest commitment") {
            problems.push(loc.problem(&["commitment", "bands", &idx, "min"], p));
            good = false;
        }
        if !(0.0..1.0).contains(&b.discount) {
            problems.push(loc.problem(
                &["commitment", "bands", &idx, "discount"],
                format!(
                    "{} is outside 0..1; a discount is a fraction from 0 to below 1 (write 0.15 for 15%)",
                    crate::fmt::num_or_raw(b.discount)
                ),
            ));
            good = false;
        }
        if !good {
            continue;
        }
        // Bands in order: each starts above the one before, at a discount no smaller.
        if let Some(lo) = ok.last() {
            if b.min <= lo.min {
                problems.push(loc.problem(
                    &["commitment", "bands", &idx, "min"],
                    format!(
                        "{} does not start above the band before it ({}); list the bands by increasing min",
                        crate::fmt::usd_whole(b.min),
                        crate::fmt::usd_whole(lo.min)
                    ),
                ));
                continue;
            }
            if b.discount < lo.discount {
                problems.push(loc.problem(
                    &["commitment", "bands", &idx, "discount"],
                    format!(
                        "{} is less than the {} of the smaller band from {}; a larger commitment earns at least the discount of a smaller one",
                        b.discount,
                        lo.discount,
                        crate::fmt::usd_whole(lo.min)
                    ),
                ));
                continue;
            }
        }
        ok.push(Band {
            min: b.min,
            discount: b.discount,
        });
    }
    r.bands = ok;
    if raw.overage_factor.is_some() {
        problems.push(loc.problem(
            &["commitment", "overage_factor"],
            "is replaced by `overage`: write overage = \"list\" (overage billed at list price, the usual contract) or overage = \"committed\" (at the committed rate, once negotiated; what overage_factor = 1.0 meant)",
        ));
    }
    match raw.overage.as_deref() {
        Some("list") => r.overage = Overage::List,
        Some("committed") => r.overage = Overage::Committed,
        Some(other) => problems.push(loc.problem(
            &["commitment", "overage"],
            format!(
                "`{other}` is not how overage is billed; write \"list\" (at list price, the usual contract) or \"committed\" (at the committed rate)"
            ),
        )),
        None if configured && raw.overage_factor.is_none() => problems.push(loc.key_problem(
            &["commitment", "bands"],
            "are given without `overage`: how overage is billed decides which commitment is cheapest. Add overage = \"list\" (the usual contract) or overage = \"committed\" (at the committed rate, once negotiated) under [commitment]",
        )),
        None => {}
    }
    if let Some(d) = raw.next_term_days {
        if !(1..=3660).contains(&d) {
            problems.push(loc.problem(
                &["commitment", "next_term_days"],
                format!("{d} is not a term; give the next term's length in days, 1 to 3660"),
            ));
        } else {
            r.next_term_days = d;
        }
    }
    if let Some(v) = &raw.next_start {
        match super::plain_date(v) {
            None => problems.push(loc.problem(
                &["commitment", "next_start"],
                format!("`{v}` is not a plain date; write it as YYYY-MM-DD without quotes"),
            )),
            Some(d) if term_end.is_some_and(|e| d <= e) => problems.push(loc.problem(
                &["commitment", "next_start"],
                format!(
                    "{d} is inside the current term (it ends {}); the next term starts after it (leave next_start out for the day after)",
                    term_end.map_or(String::new(), |e| e.to_string())
                ),
            )),
            Some(d) if term_end.is_some_and(|e| (d - e).num_days() > 3660) || chrono::Datelike::year(&d) > 2099 => problems.push(loc.problem(
                &["commitment", "next_start"],
                format!(
                    "{d} is more than ten years after the current term; give the next term's first day (YYYY-MM-DD), or leave next_start out for the day after the current term"
                ),
            )),
            Some(d) => r.next_start = Some(d),
        }
    }
    if let Some(g) = raw.max_monthly_growth {
        if !(0.0..=1.0).contains(&g) {
            problems.push(loc.problem(
                &["commitment", "max_monthly_growth"],
                format!(
                    "{g} is not a growth cap; give a monthly rate from 0 to 1 (0.05 = 5% a month at most, either way)"
                ),
            ));
        } else {
            r.max_monthly_growth = g;
        }
    }
    if let Some(g) = raw.monthly_growth {
        if !(g > -1.0 && g <= 10.0 && g.is_finite()) {
            problems.push(loc.problem(
                &["commitment", "monthly_growth"],
                format!(
                    "{g} is not a growth rate; give a monthly rate above -1 and at most 10 (0.03 = 3% a month, -0.1 = shrinking 10% a month)"
                ),
            ));
        } else {
            r.monthly_growth = Some(g);
        }
    }
    if let Some(p) = raw.ramp_periods {
        match u32::try_from(p) {
            Ok(n) if (1..=12).contains(&n) => r.ramp_periods = n,
            _ => problems.push(loc.problem(
                &["commitment", "ramp_periods"],
                format!("{p} is not a number of periods; give 1 to 12"),
            )),
        }
    }
    r
}
