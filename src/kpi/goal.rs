//! Targets as goals, and drift: how a KPI moved against last month and its trailing mean.

use serde::Serialize;

/// Which way a KPI should move.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// Lower is better (a maximum).
    AtMost(f64),
    /// Higher is better (a minimum).
    AtLeast(f64),
    /// Inside a band; away from its middle is worse.
    Between(f64, f64),
}

impl Goal {
    /// The goal a band with optional bounds expresses, if it has a bound.
    pub fn of_bounds(min: Option<f64>, max: Option<f64>) -> Option<Goal> {
        match (min, max) {
            (Some(lo), Some(hi)) => Some(Goal::Between(lo, hi)),
            (Some(lo), None) => Some(Goal::AtLeast(lo)),
            (None, Some(hi)) => Some(Goal::AtMost(hi)),
            (None, None) => None,
        }
    }

    /// Whether `v` meets the goal.
    pub fn met(&self, v: f64) -> bool {
        match *self {
            Goal::AtMost(hi) => v <= hi,
            Goal::AtLeast(lo) => v >= lo,
            Goal::Between(lo, hi) => v >= lo && v <= hi,
        }
    }

    /// The lowest acceptable value, if the goal has one.
    pub fn min(&self) -> Option<f64> {
        match *self {
            Goal::AtLeast(lo) | Goal::Between(lo, _) => Some(lo),
            Goal::AtMost(_) => None,
        }
    }

    /// The highest acceptable value, if the goal has one.
    pub fn max(&self) -> Option<f64> {
        match *self {
            Goal::AtMost(hi) | Goal::Between(_, hi) => Some(hi),
            Goal::AtLeast(_) => None,
        }
    }

    /// How bad `v` is by the goal's direction: higher is worse (the value itself for a maximum,
    /// its negative for a minimum, its distance from the middle for a band). Only differences of
    /// badness mean anything.
    pub fn badness(&self, v: f64) -> f64 {
        match *self {
            Goal::AtMost(_) => v,
            Goal::AtLeast(_) => -v,
            Goal::Between(lo, hi) => (v - (lo + hi) / 2.0).abs(),
        }
    }

    /// Whether a move of `delta` from `previous` goes the wrong way by more than `tolerance`.
    pub fn worsening(&self, previous: f64, delta: f64, tolerance: f64) -> bool {
        let bad = match *self {
            Goal::AtMost(_) => delta,
            Goal::AtLeast(_) => -delta,
            Goal::Between(lo, hi) => {
                let mid = (lo + hi) / 2.0;
                if previous + delta >= mid {
                    delta
                } else {
                    -delta
                }
            }
        };
        bad > tolerance + 1e-12
    }

    /// The goal in words, each bound formatted by `f` (`≤ 30%`, `≥ 45%`, `0.90–1.10`).
    pub fn describe(&self, f: impl Fn(f64) -> String) -> String {
        match *self {
            Goal::AtMost(hi) => format!("≤ {}", f(hi)),
            Goal::AtLeast(lo) => format!("≥ {}", f(lo)),
            Goal::Between(lo, hi) => format!("{}–{}", f(lo), f(hi)),
        }
    }
}

/// How a KPI moved: against last month and against the trailing three-month mean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Drift {
    /// This month minus last month (None when either is missing).
    pub delta: Option<f64>,
    /// Mean of the (up to) three months before this one that have a value.
    pub trailing_mean: Option<f64>,
    /// This month minus the trailing mean.
    pub vs_trailing: Option<f64>,
    /// Whether the move goes the wrong way by more than the tolerance.
    pub worsening: bool,
}

/// The drift of a KPI. `prior` holds the values of the three months before the review month,
/// most recent first (None where a month has no value).
pub fn drift(
    current: Option<f64>,
    prior: &[Option<f64>],
    goal: Option<Goal>,
    tolerance: f64,
) -> Drift {
    let last = prior.first().copied().flatten();
    let delta = current.zip(last).map(|(c, l)| c - l);
    let window: Vec<f64> = prior.iter().take(3).filter_map(|v| *v).collect();
    let trailing_mean =
        (!window.is_empty()).then(|| window.iter().sum::<f64>() / window.len() as f64);
    let worsening = match (goal, last, delta) {
        (Some(g), Some(l), Some(d)) => g.worsening(l, d, tolerance),
        _ => false,
    };
    Drift {
        delta,
        trailing_mean,
        vs_trailing: current.zip(trailing_mean).map(|(c, m)| c - m),
        worsening,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badness_follows_the_goal_direction() {
        assert!(Goal::AtMost(0.3).badness(0.5) > Goal::AtMost(0.3).badness(0.4));
        assert!(Goal::AtLeast(0.5).badness(0.2) > Goal::AtLeast(0.5).badness(0.4));
        let band = Goal::Between(0.9, 1.1);
        assert!(band.badness(1.3) > band.badness(0.95));
        assert!(band.badness(0.7) > band.badness(1.05));
    }

    #[test]
    fn drift_against_last_month_and_trailing_mean() {
        // prior (most recent first): 0.50, 0.60, 0.70 -> mean 0.60; current 0.40.
        let g = Goal::AtLeast(0.55);
        let dr = drift(
            Some(0.40),
            &[Some(0.50), Some(0.60), Some(0.70)],
            Some(g),
            0.02,
        );
        assert!((dr.delta.unwrap() + 0.10).abs() < 1e-12);
        assert!((dr.trailing_mean.unwrap() - 0.60).abs() < 1e-12);
        assert!((dr.vs_trailing.unwrap() + 0.20).abs() < 1e-12);
        assert!(dr.worsening);
        // Moving the right way is never worsening; a move inside the tolerance is not either.
        assert!(!drift(Some(0.60), &[Some(0.50)], Some(g), 0.02).worsening);
        assert!(!drift(Some(0.49), &[Some(0.50)], Some(g), 0.02).worsening);
        // A maximum worsens upwards.
        assert!(drift(Some(0.40), &[Some(0.30)], Some(Goal::AtMost(0.35)), 0.02).worsening);
        // No last month: no delta, no worsening.
        let first = drift(Some(0.4), &[None, Some(0.5)], Some(g), 0.02);
        assert_eq!(first.delta, None);
        assert!(!first.worsening);
        assert_eq!(first.trailing_mean, Some(0.5));
    }

    #[test]
    fn band_goal_worsens_away_from_its_middle() {
        let g = Goal::Between(0.9, 1.1);
        assert!(g.met(1.0) && !g.met(0.85));
        assert!(g.worsening(0.85, -0.05, 0.02));
        assert!(!g.worsening(0.85, 0.05, 0.02));
        assert!(g.worsening(1.05, 0.05, 0.02));
    }
}
