//! A workload's usage as the levers see it, and the levers themselves: each moves a fraction of
//! some rows' tokens somewhere cheaper (another model, the batch tier, the cache, standard speed,
//! a shorter prompt) so that its KPI lands exactly on its goal, and says what that saved.
//!
//! Costs are the price table's list prices (every modifier the row's variant carries, the batch
//! tier halved) after the contract discount; billed amounts are not used (domain contract, part 3,
//! "Terms used below").

use chrono::NaiveDate;

use crate::config::Lever;
use crate::fmt;
use crate::pricing::{Model, PriceTable, Tokens, Variant, quote};

/// Below this, a share or rate is taken as equal to its goal (a planted 30% reads back as
/// 29.999999…%).
pub(super) const EPS: f64 = 1e-9;

const U: usize = 0;
const W5: usize = 1;
const W1: usize = 2;
const R: usize = 3;
const O: usize = 4;

/// One priced row of a workload, its token counts in fractions as levers move them.
#[derive(Debug, Clone)]
pub(crate) struct Row<'t> {
    /// The model it is priced as.
    pub(super) model: &'t Model,
    /// Its family, and whether that is in the premium tier.
    pub(super) family: String,
    pub(super) premium: bool,
    /// Service tier.
    pub(super) tier: String,
    /// How it is priced beyond model and tier.
    pub(super) variant: Variant,
    /// The day its prices are taken from, and its month's first day.
    pub(super) day: NaiveDate,
    pub(super) month_start: NaiveDate,
    /// U, W5, W1, R, O.
    pub(super) t: [f64; 5],
    /// Requests, and output tokens of rows that carry a request count.
    pub(super) req: f64,
    pub(super) o_req: f64,
    /// List USD per token of each class (every modifier and the tier applied).
    unit: [f64; 5],
}

impl<'t> Row<'t> {
    /// A row of `tokens` priced at `model` on `day`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        model: &'t Model,
        family: String,
        premium: bool,
        tier: String,
        variant: Variant,
        day: NaiveDate,
        tokens: &Tokens,
        req: f64,
        o_req: f64,
    ) -> Row<'t> {
        let t = [
            tokens.uncached_input as f64,
            tokens.cache_write_5m as f64,
            tokens.cache_write_1h as f64,
            tokens.cache_read as f64,
            tokens.output as f64,
        ];
        let mut r = Row {
            model,
            family,
            premium,
            tier,
            variant,
            day,
            month_start: crate::month::Month::of(day).first_day(),
            t,
            req,
            o_req,
            unit: [0.0; 5],
        };
        r.reprice();
        r
    }

    /// Its per-token prices again, after its model, tier or variant changed.
    pub(super) fn reprice(&mut self) {
        for (c, u) in self.unit.iter_mut().enumerate() {
            let mut one = [0u64; 5];
            one[c] = 1_000_000;
            let tokens = Tokens {
                uncached_input: one[U],
                cache_write_5m: one[W5],
                cache_write_1h: one[W1],
                cache_read: one[R],
                output: one[O],
            };
            let (q, _) = quote(
                self.model,
                self.day,
                self.month_start,
                &self.variant,
                &tokens,
                &self.tier,
            );
            *u = q.list() / 1e6;
        }
    }

    /// Its cost: its tokens at its prices, after the contract discount `d`.
    pub(super) fn cost(&self, d: f64) -> f64 {
        self.t
            .iter()
            .zip(self.unit)
            .map(|(n, p)| n * p)
            .sum::<f64>()
            * (1.0 - d)
    }

    fn input(&self) -> f64 {
        self.t[..4].iter().sum()
    }

    fn all(&self) -> f64 {
        self.t.iter().sum()
    }

    /// A part of the row: `f` of its tokens and requests.
    fn part(&self, f: f64) -> Row<'t> {
        Row {
            t: self.t.map(|n| n * f),
            req: self.req * f,
            o_req: self.o_req * f,
            ..self.clone()
        }
    }

    fn keep(&mut self, f: f64) {
        self.t = self.t.map(|n| n * f);
        self.req *= f;
        self.o_req *= f;
    }

    fn fast(&self) -> bool {
        self.variant.speed.as_deref() == Some("fast")
    }

    fn long(&self) -> bool {
        self.variant.context_window.as_deref() == Some("200k-1M")
            || self.variant.prompt_band.as_deref() == Some("long")
    }
}

/// The cost of rows.
pub(crate) fn cost(rows: &[Row], d: f64) -> f64 {
    rows.iter().map(|r| r.cost(d)).sum()
}

/// Whether a KPI is held to at most or at least its goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Lower is better (Opus share, output per request).
    AtMost,
    /// Higher is better (cache hit rate, batch share, Haiku share).
    AtLeast,
}

impl Direction {
    /// Whether `v` is strictly worse than `goal`.
    pub(crate) fn worse(self, v: f64, goal: f64) -> bool {
        match self {
            Direction::AtMost => v > goal + EPS * goal.abs().max(1.0),
            Direction::AtLeast => v < goal - EPS * goal.abs().max(1.0),
        }
    }

    /// The stricter of two goals.
    pub(crate) fn stricter(self, a: f64, b: f64) -> f64 {
        match self {
            Direction::AtMost => a.min(b),
            Direction::AtLeast => a.max(b),
        }
    }
}

/// What a lever measures on a workload's rows, for its goal and its detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kpi {
    /// Share of cost in fast mode.
    FastShare,
    /// Share of cost billed a premium for prompt length.
    LongShare,
    /// Share of cost on the premium tier's families.
    PremiumShare,
    /// Share of cost on Opus.
    OpusShare,
    /// Share of cost on Haiku.
    HaikuShare,
    /// Cache reads / input.
    CacheHitRate,
    /// Batch-tier tokens / all tokens.
    BatchShare,
    /// Output tokens per request.
    OutputPerRequest,
}

impl Kpi {
    /// The metric key of the catalogue.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Kpi::FastShare => "fast_share",
            Kpi::LongShare => "long_prompt_share",
            Kpi::PremiumShare => "premium_share",
            Kpi::OpusShare => "model_mix.opus",
            Kpi::HaikuShare => "model_mix.haiku",
            Kpi::CacheHitRate => "cache_hit_rate",
            Kpi::BatchShare => "batch_share",
            Kpi::OutputPerRequest => "output_per_request",
        }
    }

    /// Its direction.
    pub(crate) fn direction(self) -> Direction {
        match self {
            Kpi::HaikuShare | Kpi::CacheHitRate | Kpi::BatchShare => Direction::AtLeast,
            _ => Direction::AtMost,
        }
    }

    /// Whether its tolerance is relative (output per request) rather than absolute (shares).
    pub(crate) fn relative(self) -> bool {
        self == Kpi::OutputPerRequest
    }

    /// Its value on rows (None when its denominator is 0).
    pub(crate) fn of(self, rows: &[Row], d: f64) -> Option<f64> {
        let spend = cost(rows, d);
        let share = |pick: &dyn Fn(&Row) -> bool| -> Option<f64> {
            (spend > 0.0).then(|| {
                rows.iter()
                    .filter(|r| pick(r))
                    .map(|r| r.cost(d))
                    .sum::<f64>()
                    / spend
            })
        };
        match self {
            Kpi::FastShare => share(&|r| r.fast()),
            Kpi::LongShare => share(&|r| r.long()),
            Kpi::PremiumShare => share(&|r| r.premium),
            Kpi::OpusShare => share(&|r| r.family == "opus"),
            Kpi::HaikuShare => share(&|r| r.family == "haiku"),
            Kpi::CacheHitRate => {
                let input: f64 = rows.iter().map(Row::input).sum();
                (input > 0.0).then(|| rows.iter().map(|r| r.t[R]).sum::<f64>() / input)
            }
            Kpi::BatchShare => {
                let all: f64 = rows.iter().map(Row::all).sum();
                (all > 0.0).then(|| {
                    rows.iter()
                        .filter(|r| r.tier == "batch")
                        .map(Row::all)
                        .sum::<f64>()
                        / all
                })
            }
            Kpi::OutputPerRequest => {
                let req: f64 = rows.iter().map(|r| r.req).sum();
                (req > 0.0).then(|| rows.iter().map(|r| r.o_req).sum::<f64>() / req)
            }
        }
    }

    /// The value in words (`41.7%`, `1,200`).
    pub(crate) fn text(self, v: f64) -> String {
        if self == Kpi::OutputPerRequest {
            fmt::int(v)
        } else {
            fmt::pct(v)
        }
    }

    /// Its label in a sentence.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Kpi::FastShare => "fast-mode share",
            Kpi::LongShare => "long-prompt share",
            Kpi::PremiumShare => "premium share",
            Kpi::OpusShare => "Opus share",
            Kpi::HaikuShare => "Haiku share",
            Kpi::CacheHitRate => "cache hit rate",
            Kpi::BatchShare => "batch share",
            Kpi::OutputPerRequest => "output tokens per request",
        }
    }
}

/// Where routing and downshift move work: the destination model and its name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Destination<'t> {
    /// The model ID as configured.
    pub(crate) id: &'t str,
    /// Its price-table entry.
    pub(crate) model: &'t Model,
}

/// What the levers need besides the rows.
pub(crate) struct Context<'t> {
    /// The contract discount.
    pub(crate) discount: f64,
    /// The price table (tokenizer generations).
    pub(crate) prices: &'t PriceTable,
    /// Where routing moves the premium tier's excess.
    pub(crate) route_to: Option<Destination<'t>>,
    /// Where downshift moves Sonnet work.
    pub(crate) downshift_to: Option<Destination<'t>>,
}

/// What a lever did to a workload.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Effect {
    /// Cost before less cost after (more than 0).
    pub(crate) saving: f64,
    /// The KPI before and after.
    pub(crate) before: f64,
    pub(crate) after: f64,
    /// The fraction moved (of the rows it moves), at most 1.
    pub(crate) fraction: f64,
    /// What it does, in words.
    pub(crate) detail: String,
}

/// The fraction f of a set of rows (cost `o` of a total `s`) to move somewhere that costs `rho`
/// times as much, for the set's share of cost to land on `t`: f = (s − t) / (s (1 − t (1 − ρ)))
/// with s = o / total, at most 1 (domain contract, part 3, "Routing").
pub(crate) fn move_fraction(share: f64, t: f64, rho: f64) -> f64 {
    if share <= 0.0 {
        return 0.0;
    }
    let f = (share - t) / (share * (1.0 - t * (1.0 - rho)));
    f.clamp(0.0, 1.0)
}

/// Moves `f` of every row `pick` selects through `change` (a new model, tier or variant); the
/// moved parts are added as rows of their own.
fn move_part<'t>(
    rows: &mut Vec<Row<'t>>,
    pick: &dyn Fn(&Row) -> bool,
    f: f64,
    change: &dyn Fn(&mut Row<'t>),
) {
    let mut moved = Vec::new();
    for r in rows.iter_mut().filter(|r| pick(r)) {
        let mut m = r.part(f);
        change(&mut m);
        m.reprice();
        moved.push(m);
        r.keep(1.0 - f);
    }
    rows.extend(moved);
}

/// Applies `lever` to bring its KPI to `goal`; None (rows unchanged) when the KPI already meets
/// it, nothing can move, or moving would not save (a destination that is not cheaper).
pub(crate) fn apply<'t>(
    lever: Lever,
    kpi: Kpi,
    rows: &mut Vec<Row<'t>>,
    goal: f64,
    cx: &Context<'t>,
) -> Option<Effect> {
    let d = cx.discount;
    let before_value = kpi.of(rows, d)?;
    if !kpi.direction().worse(before_value, goal) {
        return None;
    }
    let before_cost = cost(rows, d);
    let kept = rows.clone();
    let (fraction, detail) = match lever {
        Lever::FastMode => {
            let pick = |r: &Row| r.fast();
            let f = share_move(rows, &pick, goal, d, &|m| {
                m.variant.speed = Some("standard".into())
            })?;
            let pct = (fmt::pct(before_value), fmt::pct(goal));
            let of = "of fast-mode work at standard speed";
            (f, detail("fast-mode share", pct.0, pct.1, f, of))
        }
        Lever::LongPrompts => {
            let pick = |r: &Row| r.long();
            let f = share_move(rows, &pick, goal, d, &|m| {
                if m.variant.context_window.as_deref() == Some("200k-1M") {
                    m.variant.context_window = Some("0-200k".into());
                }
                if m.variant.prompt_band.as_deref() == Some("long") {
                    m.variant.prompt_band = Some("base".into());
                }
            })?;
            let pct = (fmt::pct(before_value), fmt::pct(goal));
            let of = "of long-prompt work kept under the length that bills a premium";
            (f, detail("long-prompt share", pct.0, pct.1, f, of))
        }
        Lever::Routing | Lever::Downshift => {
            let (to, from_label) = if lever == Lever::Routing {
                (cx.route_to?, kpi.label().trim_end_matches(" share"))
            } else {
                (cx.downshift_to?, "Sonnet")
            };
            let pick: Box<dyn Fn(&Row) -> bool> = match kpi {
                Kpi::PremiumShare => Box::new(|r: &Row| r.premium),
                Kpi::OpusShare => Box::new(|r: &Row| r.family == "opus"),
                _ => Box::new(|r: &Row| r.family == "sonnet"),
            };
            let ratio = |r: &Row| cx.prices.token_ratio(r.model, to.model);
            let change = |m: &mut Row<'t>| {
                let k = ratio(m);
                m.t = m.t.map(|n| n * k);
                m.model = to.model;
                // Work routed to a Sonnet counts as Sonnet (downshift may move it on).
                m.family = to.model.family.clone();
                m.premium = false;
            };
            // ρ: what the moved rows would cost at the destination, over what they cost now.
            let (from, rho) = cost_and_ratio(rows, &*pick, &change, d)?;
            let total = cost(rows, d);
            let f = if lever == Lever::Routing {
                move_fraction(from / total, goal, rho)
            } else {
                // Downshift raises the Haiku share h to h*: f' = (h* S − H) / (N (ρ' + h* (1 − ρ'))).
                let h = kpi.of(rows, d).unwrap_or(0.0) * total;
                let n = from;
                ((goal * total - h) / (n * (rho + goal * (1.0 - rho)))).clamp(0.0, 1.0)
            };
            if f <= 0.0 {
                return None;
            }
            let scaled = rows
                .iter()
                .filter(|r| pick(r))
                .any(|r| r.model.tokenizer != to.model.tokenizer);
            move_part(rows, &*pick, f, &change);
            (
                f,
                format!(
                    "{} {} of spend → {}: {} of {from_label} work to {}{}",
                    kpi.label(),
                    fmt::pct(before_value),
                    fmt::pct(goal),
                    fmt::pct(f),
                    to.id,
                    if scaled {
                        " (its tokenizer counts the same text differently: token counts scaled)"
                    } else {
                        ""
                    }
                ),
            )
        }
        Lever::Caching => {
            let input: f64 = rows.iter().map(Row::input).sum();
            let uncached: f64 = rows.iter().map(|r| r.t[U]).sum();
            if uncached <= 0.0 {
                return None;
            }
            let moved = ((goal - before_value) * input).min(uncached);
            let frac = moved / uncached;
            for r in rows.iter_mut() {
                let m = r.t[U] * frac;
                r.t[U] -= m;
                r.t[R] += m;
            }
            let pct = (fmt::pct(before_value), fmt::pct(goal));
            let of = "of uncached input read from the cache (cache writes not modelled)";
            (frac, detail("cache hit rate", pct.0, pct.1, frac, of))
        }
        Lever::Batch => {
            if before_value >= 1.0 {
                return None;
            }
            let g = ((goal - before_value) / (1.0 - before_value)).min(1.0);
            move_part(rows, &|r| r.tier == "standard", g, &|m| {
                m.tier = "batch".to_owned()
            });
            let pct = (fmt::pct(before_value), fmt::pct(goal));
            let of = "of standard-tier work to the Batch API";
            (g, detail("batch share", pct.0, pct.1, g, of))
        }
        Lever::Output => {
            let k = (before_value - goal) / before_value;
            for r in rows.iter_mut() {
                r.t[O] *= 1.0 - k;
                r.o_req *= 1.0 - k;
            }
            let per_request = (fmt::int(before_value), fmt::int(goal));
            let what = format!("{} output tokens per request", per_request.0);
            (
                k,
                detail(&what, String::new(), per_request.1, k, "of output trimmed"),
            )
        }
    };
    let saving = before_cost - cost(rows, d);
    // A lever that would not save is not an item and changes nothing.
    if saving <= 0.0 {
        *rows = kept;
        return None;
    }
    Some(Effect {
        saving,
        before: before_value,
        after: kpi.of(rows, d).unwrap_or(before_value),
        fraction,
        detail,
    })
}

/// A share lever: moves the fraction of the rows `pick` selects (through `change`) that brings
/// their share of cost to `goal`.
fn share_move<'t>(
    rows: &mut Vec<Row<'t>>,
    pick: &dyn Fn(&Row) -> bool,
    goal: f64,
    d: f64,
    change: &dyn Fn(&mut Row<'t>),
) -> Option<f64> {
    let total = cost(rows, d);
    if total <= 0.0 {
        return None;
    }
    let (from, rho) = cost_and_ratio(rows, pick, change, d)?;
    let f = move_fraction(from / total, goal, rho);
    if f <= 0.0 {
        return None;
    }
    move_part(rows, pick, f, change);
    Some(f)
}

/// What the rows `pick` selects cost now, and ρ: what they would cost once changed (at their
/// destination) over what they cost now. None when they cost nothing.
fn cost_and_ratio<'t>(
    rows: &[Row<'t>],
    pick: &dyn Fn(&Row) -> bool,
    change: &dyn Fn(&mut Row<'t>),
    d: f64,
) -> Option<(f64, f64)> {
    let from: f64 = rows.iter().filter(|r| pick(r)).map(|r| r.cost(d)).sum();
    if from <= 0.0 {
        return None;
    }
    let moved: f64 = rows
        .iter()
        .filter(|r| pick(r))
        .map(|r| {
            let mut m = r.clone();
            change(&mut m);
            m.reprice();
            m.cost(d)
        })
        .sum();
    Some((from, moved / from))
}

/// A lever's detail line: `what` (with its value `before`, when given) moved to `goal` by the
/// fraction `f` of `of`.
fn detail(what: &str, before: String, goal: String, f: f64, of: &str) -> String {
    let from = if before.is_empty() {
        what.to_owned()
    } else {
        format!("{what} {before}")
    };
    format!("{from} → {goal}: {} {of}", fmt::pct(f))
}
