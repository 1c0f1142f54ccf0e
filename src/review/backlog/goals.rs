//! Goals: what a lever brings its KPI to on a workload (domain contract, part 3, "Goals: targets
//! and the workload's own baseline"). The target is the app's, else its team's, else the
//! organisation's; the baseline is the median of the workload's KPI over the three months before
//! the review month, and counts only when the KPI is now worse than it by more than the
//! tolerance. The goal is the stricter of the two.

use serde::Serialize;

use crate::config::{Config, Lever};
use crate::month::Month;

use super::chain::{Kpi, Row};

/// What set a lever's goal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A configured target (or, for fast mode and long prompts, their default of none).
    Target,
    /// The workload's own median over the months before.
    Baseline {
        /// The months the median was taken over, oldest first.
        months: Vec<Month>,
    },
}

/// A lever's goal on a workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    /// The value the lever brings its KPI to.
    pub value: f64,
    /// What set it.
    pub source: Source,
    /// The target, when one is configured.
    pub target: Option<f64>,
    /// The baseline, when the workload has one (counting or not).
    pub baseline: Option<f64>,
}

impl Goal {
    /// What set it, in words: `to the 25.0% target`, `back to its Jul–Sep median 70.0%`.
    pub fn text(&self, kpi: Kpi) -> String {
        match &self.source {
            Source::Target if self.target.is_none() => "to none (no premium is the default)".into(),
            Source::Target => format!("to the {} target", kpi.text(self.value)),
            Source::Baseline { months } => format!(
                "back to its {} {} {}",
                month_span(months),
                if months.len() == 1 { "level" } else { "median" },
                kpi.text(self.value)
            ),
        }
    }
}

/// `Jul–Sep`, `Sep`, `Jul, Sep` (months in order).
fn month_span(months: &[Month]) -> String {
    let name = |m: &Month| m.first_day().format("%b").to_string();
    match months {
        [] => String::new(),
        [one] => name(one),
        [a, .., b] if b.index() - a.index() == months.len() as i32 - 1 => {
            format!("{}–{}", name(a), name(b))
        }
        _ => months.iter().map(name).collect::<Vec<_>>().join(", "),
    }
}

/// The KPI a lever moves on a workload: routing moves the premium share where the workload has
/// a premium target, else the Opus share.
pub fn kpi_of(cfg: &Config, lever: Lever, team: &str, app: &str) -> Kpi {
    match lever {
        Lever::FastMode => Kpi::FastShare,
        Lever::LongPrompts => Kpi::LongShare,
        Lever::Routing => {
            if target(cfg, Kpi::PremiumShare, team, app).is_some() {
                Kpi::PremiumShare
            } else {
                Kpi::OpusShare
            }
        }
        Lever::Downshift => Kpi::HaikuShare,
        Lever::Caching => Kpi::CacheHitRate,
        Lever::Batch => Kpi::BatchShare,
        Lever::Output => Kpi::OutputPerRequest,
    }
}

/// A workload's configured target of a KPI, in its direction.
pub fn target(cfg: &Config, kpi: Kpi, team: &str, app: &str) -> Option<f64> {
    let inst = crate::kpi::by_key(kpi.key())?;
    let g = cfg.targets.get(&inst, Some(team), Some(app))?;
    match kpi.direction() {
        super::chain::Direction::AtMost => g.max(),
        super::chain::Direction::AtLeast => g.min(),
    }
}

/// The median of values (of two: their mean).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[n / 2]),
        n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Whether `now` is strictly worse than `baseline` by more than the tolerance (absolute for
/// shares and rates, relative for output per request).
pub fn regressed(kpi: Kpi, now: f64, baseline: f64, tolerance: f64) -> bool {
    let margin = if kpi.relative() {
        baseline.abs() * tolerance
    } else {
        tolerance
    };
    match kpi.direction() {
        super::chain::Direction::AtMost => now > baseline + margin,
        super::chain::Direction::AtLeast => now < baseline - margin,
    }
}

/// A lever's goal on a workload: `now` is its rows in the review month before any lever,
/// `before` its rows in each of the three months before (oldest first, empty where it had none).
pub fn goal(
    cfg: &Config,
    lever: Lever,
    kpi: Kpi,
    team: &str,
    app: &str,
    now: &[Row],
    before: &[(Month, Vec<Row>)],
) -> Option<Goal> {
    let d = cfg.discount;
    let configured = target(cfg, kpi, team, app);
    // Fast mode and long prompts cost a premium: without a target, the goal is to pay none.
    let target = configured.or(match lever {
        Lever::FastMode | Lever::LongPrompts => Some(0.0),
        _ => None,
    });
    let values: Vec<(Month, f64)> = before
        .iter()
        .filter_map(|(m, rows)| kpi.of(rows, d).map(|v| (*m, v)))
        .collect();
    let baseline = median(&values.iter().map(|(_, v)| *v).collect::<Vec<_>>());
    let counting = baseline.filter(|b| {
        kpi.of(now, d)
            .is_some_and(|v| regressed(kpi, v, *b, cfg.targets.drift_tolerance))
    });
    let (value, source) = match (target, counting) {
        (Some(t), Some(b)) if kpi.direction().stricter(t, b) != t => (
            b,
            Source::Baseline {
                months: values.iter().map(|(m, _)| *m).collect(),
            },
        ),
        (Some(t), _) => (t, Source::Target),
        (None, Some(b)) => (
            b,
            Source::Baseline {
                months: values.iter().map(|(m, _)| *m).collect(),
            },
        ),
        (None, None) => return None,
    };
    Some(Goal {
        value,
        source,
        target: configured,
        baseline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_one_two_and_three() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[0.4]), Some(0.4));
        assert_eq!(median(&[0.5, 0.7]), Some(0.6));
        assert_eq!(median(&[0.85, 0.5, 0.7]), Some(0.7));
    }

    #[test]
    fn a_drift_inside_the_tolerance_does_not_count() {
        // Batch share: baseline 70%, tolerance 2 points.
        assert!(!regressed(Kpi::BatchShare, 0.685, 0.70, 0.02));
        assert!(regressed(Kpi::BatchShare, 0.675, 0.70, 0.02));
        // Output per request: relative, 2% of 1,000.
        assert!(!regressed(Kpi::OutputPerRequest, 1_019.0, 1_000.0, 0.02));
        assert!(regressed(Kpi::OutputPerRequest, 1_021.0, 1_000.0, 0.02));
        // A lower Opus share is better.
        assert!(regressed(Kpi::OpusShare, 0.45, 0.40, 0.02));
        assert!(!regressed(Kpi::OpusShare, 0.35, 0.40, 0.02));
    }

    #[test]
    fn month_spans() {
        let m = |s: &str| s.parse::<Month>().unwrap();
        assert_eq!(
            month_span(&[m("2026-07"), m("2026-08"), m("2026-09")]),
            "Jul–Sep"
        );
        assert_eq!(month_span(&[m("2026-09")]), "Sep");
        assert_eq!(month_span(&[m("2026-07"), m("2026-09")]), "Jul, Sep");
    }
}
