//! The renewal settings under `[commitment]`: the discount bands of the next commitment, its
//! term, and how overage is billed (domain contract, "Sizing the next commitment").
//!
//! ```toml
//! [commitment]
//! next_term_days = 365     # the next term's length
//! overage_factor = 1.0     # overage billed at 1.0 x the committed rate
//! [[commitment.bands]]
//! min = 250_000            # USD per term
//! discount = 0.05
//! [[commitment.bands]]
//! min = 500_000
//! discount = 0.10
//! ```

use serde::Deserialize;

use crate::diag::{Locator, Problem};

/// Default length of the next term, in days.
pub const DEFAULT_NEXT_TERM_DAYS: i64 = 365;
/// Default overage factor: overage billed at the committed rate.
pub const DEFAULT_OVERAGE_FACTOR: f64 = 1.0;

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
    /// Overage is billed at this factor times the committed rate.
    pub overage_factor: f64,
}

impl Default for Renewal {
    fn default() -> Self {
        Renewal {
            bands: Vec::new(),
            next_term_days: DEFAULT_NEXT_TERM_DAYS,
            overage_factor: DEFAULT_OVERAGE_FACTOR,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBand {
    min: f64,
    discount: f64,
}

/// Validates the renewal keys of `[commitment]`.
pub(super) fn renewal(
    bands: Vec<RawBand>,
    next_term_days: Option<i64>,
    overage_factor: Option<f64>,
    loc: &Locator,
    problems: &mut Vec<Problem>,
) -> Renewal {
    let mut r = Renewal::default();
    let mut ok = Vec::new();
    for (i, b) in bands.into_iter().enumerate() {
        let idx = i.to_string();
        let mut good = true;
        if super::money_problem(b.min, "").is_some() {
            problems.push(loc.problem(
                &["commitment", "bands", &idx, "min"],
                format!("{} is not an amount; give the band's smallest commitment in USD per term, 0 or more", b.min),
            ));
            good = false;
        }
        if !(0.0..1.0).contains(&b.discount) {
            problems.push(loc.problem(
                &["commitment", "bands", &idx, "discount"],
                format!(
                    "{} is outside 0..1; a discount is a fraction below 1 (write 0.15 for 15%)",
                    b.discount
                ),
            ));
            good = false;
        }
        if good {
            ok.push((
                i,
                Band {
                    min: b.min,
                    discount: b.discount,
                },
            ));
        }
    }
    ok.sort_by(|a, b| a.1.min.total_cmp(&b.1.min));
    for w in ok.windows(2) {
        let ((_, lo), (j, hi)) = (w[0], w[1]);
        let idx = j.to_string();
        if hi.min == lo.min {
            problems.push(loc.problem(
                &["commitment", "bands", &idx, "min"],
                format!(
                    "two bands start at {}; give each band its own min",
                    crate::fmt::usd_whole(hi.min)
                ),
            ));
        } else if hi.discount < lo.discount {
            problems.push(loc.problem(
                &["commitment", "bands", &idx, "discount"],
                format!(
                    "{} is less than the {} of the smaller band from {}; a larger commitment earns at least the discount of a smaller one",
                    hi.discount,
                    lo.discount,
                    crate::fmt::usd_whole(lo.min)
                ),
            ));
        }
    }
    r.bands = ok.into_iter().map(|(_, b)| b).collect();
    if let Some(d) = next_term_days {
        if !(1..=3660).contains(&d) {
            problems.push(loc.problem(
                &["commitment", "next_term_days"],
                format!("{d} is not a term; give the next term's length in days, 1 to 3660"),
            ));
        } else {
            r.next_term_days = d;
        }
    }
    if let Some(f) = overage_factor {
        if !(f >= 0.0 && f.is_finite()) {
            problems.push(loc.problem(
                &["commitment", "overage_factor"],
                format!(
                    "{f} is not a factor; give how overage is billed against the committed rate (1.0 = the same rate, 1.25 = 25% more)"
                ),
            ));
        } else {
            r.overage_factor = f;
        }
    }
    r
}
