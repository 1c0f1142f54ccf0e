//! The optimization backlog: for every workload (team × app) of the review month, the dollars four
//! levers would free, ranked by dollars per week of engineering, in waves; and the optimized floor.
//!
//! The levers are modelled in order, each on the usage the previous one left, so that their
//! savings add up without counting a dollar twice (domain contract, "The optimization backlog"):
//!
//! 1. **Routing**: the Opus share above its target moves, token class and tier kept, to
//!    `backlog.route_to` (a fraction f = (s − t) / s of every Opus row's tokens).
//! 2. **Caching**: the cache hit rate below its target is made up by moving
//!    D = min((h* − h)·I, U) tokens from uncached input to cache reads, in proportion to each
//!    row's uncached input. The write premium of new cache entries is not modelled.
//! 3. **Batch**: a fraction g = (b* − b) / (1 − b) of every standard-tier row's tokens moves to
//!    the batch tier (half price).
//! 4. **Output**: output tokens per request above the target are trimmed: a fraction
//!    k = (o − o*) / o of every row's output.
//!
//! Prices are the price table's, per row's model and tier, net of the contract discount. A row
//! whose spend is a billed cost keeps its ratio of billed to computed cost: a lever changes its
//! billed cost in proportion to its computed cost.

use std::collections::BTreeMap;

use crate::config::{Backlog as Settings, Config, Lever, Targets};
use crate::fmt;
use crate::kpi::{self, Goal, Instance, Scope};
use crate::metrics::PricedRow;
use crate::pricing::{BATCH_FACTOR, Price};
use crate::report::{BacklogSection, Floor, Item, Subtotal};

/// The monthly saving of a lever's items in a register scope: every workload's for `org`, a
/// team's workloads' for a team, one workload's for `team/app`.
pub fn saving_in(b: &BacklogSection, lever: Lever, scope: &str) -> f64 {
    b.items
        .iter()
        .filter(|i| i.lever == lever)
        .filter(|i| match scope.split_once('/') {
            _ if scope == "org" => true,
            Some((t, a)) => i.team == t && i.app == a,
            None => i.team == scope,
        })
        .map(|i| i.monthly)
        .sum()
}

/// A row as the levers see it: token counts that levers move in fractions.
#[derive(Debug, Clone)]
struct Row {
    family: String,
    tier: String,
    price: Price,
    /// U, W5, W1, R, O.
    t: [f64; 5],
    req: f64,
    o_req: f64,
    /// Spend per computed net cost (1, or billed / computed for billed rows).
    scale: f64,
    /// Cost that no token carries (a billed amount without usage).
    fixed: f64,
}

/// Below this, a share or rate is taken as equal to its target (a planted 30% reads back as
/// 29.999999…%).
const EPS: f64 = 1e-6;

const U: usize = 0;
const R: usize = 3;
const O: usize = 4;

impl Row {
    /// The row's cost: its tokens at its model's price and tier, net, scaled to its spend.
    fn cost(&self, discount: f64) -> f64 {
        let p = &self.price;
        let per_m = [
            p.input,
            p.cache_write_5m,
            p.cache_write_1h,
            p.cache_read,
            p.output,
        ];
        let list: f64 = self.t.iter().zip(per_m).map(|(n, p)| n * p).sum::<f64>() / 1e6;
        let tier = if self.tier == "batch" {
            BATCH_FACTOR
        } else {
            1.0
        };
        self.fixed + self.scale * list * tier * (1.0 - discount)
    }

    fn input(&self) -> f64 {
        self.t[..4].iter().sum()
    }

    fn all(&self) -> f64 {
        self.t.iter().sum()
    }

    /// A part of the row: `f` of its tokens and requests, with nothing fixed.
    fn part(&self, f: f64) -> Row {
        Row {
            t: self.t.map(|n| n * f),
            req: self.req * f,
            o_req: self.o_req * f,
            fixed: 0.0,
            ..self.clone()
        }
    }

    fn keep(&mut self, f: f64) {
        self.t = self.t.map(|n| n * f);
        self.req *= f;
        self.o_req *= f;
    }
}

fn cost(rows: &[Row], discount: f64) -> f64 {
    rows.iter().map(|r| r.cost(discount)).sum()
}

/// What a lever did to a workload: its saving, the KPI before, the target, in words.
#[derive(Debug, Clone, PartialEq)]
struct Effect {
    saving: f64,
    value: f64,
    target: f64,
    detail: String,
}

/// Routing: the Opus share of spend above `max` moves to `to` (priced `to_price`).
fn routing(rows: &mut Vec<Row>, max: f64, to: &str, to_price: Price, d: f64) -> Option<Effect> {
    let before = cost(rows, d);
    let opus: f64 = rows
        .iter()
        .filter(|r| r.family == "opus")
        .map(|r| r.cost(d))
        .sum();
    if before <= 0.0 {
        return None;
    }
    let s = opus / before;
    if s <= max + EPS {
        return None;
    }
    let f = (s - max) / s;
    let mut moved = Vec::new();
    for r in rows.iter_mut().filter(|r| r.family == "opus") {
        let mut m = r.part(f);
        m.price = to_price;
        m.family = "routed".to_owned();
        moved.push(m);
        r.keep(1.0 - f);
    }
    rows.extend(moved);
    Some(Effect {
        saving: before - cost(rows, d),
        value: s,
        target: max,
        detail: format!(
            "Opus {} of spend → {}: {} of Opus tokens to {to}",
            fmt::pct(s),
            fmt::pct(max),
            fmt::pct(f)
        ),
    })
}

/// Caching: the hit rate below `min` is made up from uncached input.
fn caching(rows: &mut [Row], min: f64, d: f64) -> Option<Effect> {
    let input: f64 = rows.iter().map(Row::input).sum();
    let read: f64 = rows.iter().map(|r| r.t[R]).sum();
    let uncached: f64 = rows.iter().map(|r| r.t[U]).sum();
    if input <= 0.0 || uncached <= 0.0 {
        return None;
    }
    let h = read / input;
    if h >= min - EPS {
        return None;
    }
    let before = cost(rows, d);
    let moved = ((min - h) * input).min(uncached);
    let frac = moved / uncached;
    for r in rows.iter_mut() {
        let m = r.t[U] * frac;
        r.t[U] -= m;
        r.t[R] += m;
    }
    Some(Effect {
        saving: before - cost(rows, d),
        value: h,
        target: min,
        detail: format!(
            "cache hit rate {} → {}: {} of uncached input read from the cache (cache writes not modelled)",
            fmt::pct(h),
            fmt::pct(min),
            fmt::pct(frac)
        ),
    })
}

/// Batch: the batch share below `min` is made up from standard-tier work.
fn batch(rows: &mut Vec<Row>, min: f64, d: f64) -> Option<Effect> {
    let all: f64 = rows.iter().map(Row::all).sum();
    if all <= 0.0 {
        return None;
    }
    let b = rows
        .iter()
        .filter(|r| r.tier == "batch")
        .map(Row::all)
        .sum::<f64>()
        / all;
    if b >= min - EPS || b >= 1.0 {
        return None;
    }
    let before = cost(rows, d);
    let g = ((min - b) / (1.0 - b)).min(1.0);
    let mut moved = Vec::new();
    for r in rows.iter_mut().filter(|r| r.tier == "standard") {
        let mut m = r.part(g);
        m.tier = "batch".to_owned();
        moved.push(m);
        r.keep(1.0 - g);
    }
    rows.extend(moved);
    Some(Effect {
        saving: before - cost(rows, d),
        value: b,
        target: min,
        detail: format!(
            "batch share {} → {}: {} of standard-tier work to the Batch API",
            fmt::pct(b),
            fmt::pct(min),
            fmt::pct(g)
        ),
    })
}

/// Output: output tokens per request above `max` are trimmed from every row.
fn output(rows: &mut [Row], max: f64, d: f64) -> Option<Effect> {
    let req: f64 = rows.iter().map(|r| r.req).sum();
    if req <= 0.0 {
        return None;
    }
    let o = rows.iter().map(|r| r.o_req).sum::<f64>() / req;
    if o <= max * (1.0 + EPS) {
        return None;
    }
    let before = cost(rows, d);
    let k = (o - max) / o;
    for r in rows.iter_mut() {
        r.t[O] *= 1.0 - k;
        r.o_req *= 1.0 - k;
    }
    Some(Effect {
        saving: before - cost(rows, d),
        value: o,
        target: max,
        detail: format!(
            "{} output tokens per request → {}: {} of output trimmed",
            fmt::int(o),
            fmt::int(max),
            fmt::pct(k)
        ),
    })
}

/// A workload's targets for the four levers (its own, else its team's, else the organisation's).
#[derive(Debug, Clone, Copy, Default)]
struct LeverTargets {
    max_opus: Option<f64>,
    min_cache: Option<f64>,
    min_batch: Option<f64>,
    max_output: Option<f64>,
}

fn lever_targets(targets: &Targets, team: &str, app: &str) -> LeverTargets {
    let families = vec!["opus".to_owned()];
    let kpis = kpi::instances(Scope::App, &families);
    let get = |key: &str| -> Option<Goal> {
        let i: &Instance = kpis.iter().find(|i| i.key() == key)?;
        targets.get(i, Some(team), Some(app))
    };
    LeverTargets {
        max_opus: get("model_mix.opus").and_then(|g| g.max()),
        min_cache: get("cache_hit_rate").and_then(|g| g.min()),
        min_batch: get("batch_share").and_then(|g| g.min()),
        max_output: get("output_per_request").and_then(|g| g.max()),
    }
}

/// The four levers of one workload, in order, each on what the previous left.
fn workload_effects(
    rows: &mut Vec<Row>,
    t: LeverTargets,
    route_to: &str,
    route_price: Option<Price>,
    d: f64,
) -> Vec<(Lever, Effect)> {
    let mut out = Vec::new();
    if let (Some(max), Some(p)) = (t.max_opus, route_price)
        && let Some(e) = routing(rows, max, route_to, p, d)
    {
        out.push((Lever::Routing, e));
    }
    if let Some(min) = t.min_cache
        && let Some(e) = caching(rows, min, d)
    {
        out.push((Lever::Caching, e));
    }
    if let Some(min) = t.min_batch
        && let Some(e) = batch(rows, min, d)
    {
        out.push((Lever::Batch, e));
    }
    if let Some(max) = t.max_output
        && let Some(e) = output(rows, max, d)
    {
        out.push((Lever::Output, e));
    }
    // Less than a cent a month is rounding, not a lever.
    out.retain(|(_, e)| e.saving >= 0.01);
    out
}

/// A priced row as the levers see it.
fn lever_row(r: &PricedRow, cfg: &Config) -> Option<Row> {
    let price = &cfg.prices.lookup(&r.model)?.price_on(r.first_day);
    let spend = r.spend();
    let (scale, fixed) = if r.computed_net > 0.0 {
        (spend / r.computed_net, 0.0)
    } else {
        (1.0, spend)
    };
    let t = &r.tokens;
    Some(Row {
        family: r.family.clone(),
        tier: r.tier.clone(),
        price: *price,
        t: [
            t.uncached_input as f64,
            t.cache_write_5m as f64,
            t.cache_write_1h as f64,
            t.cache_read as f64,
            t.output as f64,
        ],
        req: r.requests as f64,
        o_req: r.output_with_requests as f64,
        scale,
        fixed,
    })
}

/// Ranks items by annual dollars per week of effort (ties: larger saving, then team, app and
/// lever order), puts those under the threshold aside as waits, and fills waves.
fn rank(mut items: Vec<Item>, s: &Settings) -> Vec<Item> {
    items.sort_by(|a, b| {
        b.per_week
            .total_cmp(&a.per_week)
            .then_with(|| b.annual.total_cmp(&a.annual))
            .then_with(|| a.team.cmp(&b.team))
            .then_with(|| a.app.cmp(&b.app))
            .then_with(|| a.lever.cmp(&b.lever))
    });
    let (mut fund, mut waits): (Vec<Item>, Vec<Item>) = items
        .into_iter()
        .partition(|i| i.annual >= s.min_annual_saving);
    let (mut wave, mut used) = (1usize, 0.0f64);
    for (n, item) in fund.iter_mut().enumerate() {
        if used > 0.0 && used + item.effort_weeks > s.wave_weeks + 1e-9 {
            wave += 1;
            used = 0.0;
        }
        used += item.effort_weeks;
        item.rank = Some(n + 1);
        item.wave = Some(wave);
    }
    for w in &mut waits {
        w.waits = true;
    }
    fund.append(&mut waits);
    fund
}

/// The backlog of `month`'s priced rows.
pub fn backlog(cfg: &Config, month_rows: &[&PricedRow], month_spend: f64) -> BacklogSection {
    let s = &cfg.backlog;
    let mut workloads: BTreeMap<(String, String), Vec<Row>> = BTreeMap::new();
    let mut team_spend: BTreeMap<String, f64> = BTreeMap::new();
    for r in month_rows {
        *team_spend.entry(r.team.clone()).or_default() += r.spend();
        if let Some(row) = lever_row(r, cfg) {
            workloads
                .entry((r.team.clone(), r.app.clone()))
                .or_default()
                .push(row);
        }
    }
    let route_price = cfg.prices.lookup(&s.route_to).map(|m| m.price);
    let mut items = Vec::new();
    for ((team, app), mut rows) in workloads {
        let t = lever_targets(&cfg.targets, &team, &app);
        for (lever, e) in workload_effects(&mut rows, t, &s.route_to, route_price, cfg.discount) {
            let effort = s.effort(lever, &team, &app);
            let annual = 12.0 * e.saving;
            items.push(Item {
                rank: None,
                wave: None,
                waits: false,
                owner: cfg
                    .team_owners
                    .get(&team)
                    .cloned()
                    .unwrap_or_else(|| cfg.review_owner.clone()),
                team: team.clone(),
                app: app.clone(),
                lever,
                monthly: e.saving,
                annual,
                effort_weeks: effort,
                per_week: annual / effort,
                quality_check: lever.needs_quality_check(),
                kpi: lever.kpi().to_owned(),
                value: e.value,
                target: e.target,
                detail: e.detail,
                action: None,
            });
        }
    }
    let items = rank(items, s);
    let mut by_lever: BTreeMap<Lever, f64> = BTreeMap::new();
    let mut by_team: BTreeMap<String, f64> = BTreeMap::new();
    for i in &items {
        *by_lever.entry(i.lever).or_default() += i.monthly;
        *by_team.entry(i.team.clone()).or_default() += i.monthly;
    }
    let total_monthly: f64 = items.iter().map(|i| i.monthly).sum();
    let subtotal = |name: String, of: &mut dyn Iterator<Item = &Item>| {
        let mut t = Subtotal {
            name,
            ..Subtotal::default()
        };
        for i in of {
            t.items += 1;
            t.monthly += i.monthly;
            t.effort_weeks += i.effort_weeks;
        }
        t.annual = 12.0 * t.monthly;
        t
    };
    let levers = Lever::ALL
        .into_iter()
        .map(|l| {
            subtotal(
                l.as_str().to_owned(),
                &mut items.iter().filter(|i| i.lever == l),
            )
        })
        .filter(|t| t.items > 0)
        .collect();
    let last_wave = items.iter().filter_map(|i| i.wave).max().unwrap_or(0);
    let waves = (1..=last_wave)
        .map(|w| {
            subtotal(
                w.to_string(),
                &mut items.iter().filter(|i| i.wave == Some(w)),
            )
        })
        .collect();
    let funded = items.iter().filter(|i| !i.waits);
    BacklogSection {
        funded_monthly: funded.clone().map(|i| i.monthly).sum(),
        funded_weeks: funded.map(|i| i.effort_weeks).sum(),
        wave_one: items.iter().filter(|i| i.wave == Some(1)).count(),
        total_weeks: items.iter().map(|i| i.effort_weeks).sum(),
        total_monthly,
        total_annual: 12.0 * total_monthly,
        floor: Floor::of(month_spend, total_monthly),
        floor_by_team: team_spend
            .into_iter()
            .map(|(t, sp)| {
                let saving = by_team.get(&t).copied().unwrap_or(0.0);
                (t, Floor::of(sp, saving))
            })
            .collect(),
        by_lever,
        levers,
        waves,
        route_to: s.route_to.clone(),
        min_annual_saving: s.min_annual_saving,
        wave_weeks: s.wave_weeks,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPUS_41: Price = Price {
        input: 15.0,
        cache_write_5m: 18.75,
        cache_write_1h: 30.0,
        cache_read: 1.5,
        output: 75.0,
    };
    const OPUS_46: Price = Price {
        input: 5.0,
        cache_write_5m: 6.25,
        cache_write_1h: 10.0,
        cache_read: 0.5,
        output: 25.0,
    };
    const SONNET: Price = Price {
        input: 3.0,
        cache_write_5m: 3.75,
        cache_write_1h: 6.0,
        cache_read: 0.3,
        output: 15.0,
    };

    fn row(family: &str, tier: &str, price: Price, t: [f64; 5], req: f64) -> Row {
        Row {
            family: family.into(),
            tier: tier.into(),
            price,
            t,
            req,
            o_req: if req > 0.0 { t[O] } else { 0.0 },
            scale: 1.0,
            fixed: 0.0,
        }
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    /// The two-row workload of the tests: 1M uncached input and 0.2M output on Opus 4.1
    /// (standard), and the same on Opus 4.6 (batch), plus 2M input and 0.4M output of Sonnet
    /// (standard).
    fn workload() -> Vec<Row> {
        vec![
            row(
                "opus",
                "standard",
                OPUS_41,
                [1e6, 0.0, 0.0, 0.0, 2e5],
                100.0,
            ),
            row("opus", "batch", OPUS_46, [1e6, 0.0, 0.0, 0.0, 2e5], 100.0),
            row(
                "sonnet",
                "standard",
                SONNET,
                [2e6, 0.0, 0.0, 0.0, 4e5],
                200.0,
            ),
        ]
    }

    #[test]
    fn costs_by_hand() {
        // Opus 4.1: 15 + 0.2 x 75 = $30; Opus 4.6 batch: (5 + 0.2 x 25) / 2 = $5;
        // Sonnet: 2 x 3 + 0.4 x 15 = $12. Total $47, Opus $35.
        close(cost(&workload(), 0.0), 47.0);
        // A 10% discount takes 10% off.
        close(cost(&workload(), 0.1), 42.3);
    }

    #[test]
    fn routing_prices_each_row_at_its_own_model() {
        // s = 35/47; t = 0.3; f = (s - t)/s = 1 - 0.3 x 47/35 = 0.597142...
        let mut rows = workload();
        let e = routing(&mut rows, 0.3, "claude-sonnet-4-6", SONNET, 0.0).unwrap();
        let f = 1.0 - 0.3 * 47.0 / 35.0;
        close(e.value, 35.0 / 47.0);
        // Opus 4.1 -> Sonnet saves 80% of the moved cost: f x 30 x (1 - 12/60 ... ) by prices:
        //   moved Opus 4.1 tokens cost f x 30 before, f x (3 + 0.2 x 15) = f x 6 after: f x 24.
        // Opus 4.6 (batch) -> Sonnet (batch) saves 40%: f x 5 before, f x 3 after: f x 2.
        close(e.saving, f * 24.0 + f * 2.0);
        // After routing the Opus share is the target.
        let opus: f64 = rows
            .iter()
            .filter(|r| r.family == "opus")
            .map(|r| r.cost(0.0))
            .sum();
        close(opus / 35.0, 1.0 - f);
        // Tiers and token classes are kept.
        assert!(
            rows.iter()
                .any(|r| r.family == "routed" && r.tier == "batch")
        );
        // Below the target, nothing moves.
        assert!(routing(&mut workload(), 0.8, "x", SONNET, 0.0).is_none());
    }

    #[test]
    fn caching_moves_uncached_input_to_reads_in_proportion() {
        // I = 4M, R = 0 -> h = 0; h* = 0.25 -> D = 1M of U = 4M: a quarter of every row's U.
        let mut rows = workload();
        let e = caching(&mut rows, 0.25, 0.0).unwrap();
        close(e.value, 0.0);
        // Opus 4.1: 0.25M at 15 -> 1.5: 3.75 - 0.375 = 3.375; Opus 4.6 batch: 0.25M x (5 - 0.5)
        // / 2 = 0.5625; Sonnet: 0.5M x (3 - 0.3) = 1.35. Total 5.2875.
        close(e.saving, 3.375 + 0.5625 + 1.35);
        close(rows[2].t[R], 5e5);
        // D is capped by the uncached input there is.
        let mut rows = workload();
        let e = caching(&mut rows, 1.0, 0.0).unwrap();
        close(rows.iter().map(|r| r.t[U]).sum::<f64>(), 0.0);
        assert!(e.saving > 0.0);
    }

    #[test]
    fn batch_moves_standard_tier_work() {
        // Tokens: 1.2M + 1.2M (batch) + 2.4M = 4.8M; b = 0.25; b* = 0.5 -> g = 1/3 of every
        // standard row: Opus 4.1 saves 30 x 1/3 x 0.5 = 5; Sonnet 12 x 1/3 x 0.5 = 2.
        let mut rows = workload();
        let e = batch(&mut rows, 0.5, 0.0).unwrap();
        close(e.value, 0.25);
        close(e.saving, 7.0);
        let b: f64 = rows
            .iter()
            .filter(|r| r.tier == "batch")
            .map(Row::all)
            .sum();
        close(b / 4.8e6, 0.5);
    }

    #[test]
    fn output_is_trimmed_to_the_target() {
        // o = 800k / 400 requests = 2,000; o* = 1,500 -> k = 0.25 of every row's output:
        // Opus 4.1 50k x 75 = 3.75; Opus 4.6 batch 50k x 25 / 2 = 0.625; Sonnet 100k x 15 = 1.5.
        let mut rows = workload();
        let e = output(&mut rows, 1500.0, 0.0).unwrap();
        close(e.value, 2000.0);
        close(e.saving, 3.75 + 0.625 + 1.5);
    }

    #[test]
    fn levers_apply_in_order_on_what_the_previous_left() {
        let t = LeverTargets {
            max_opus: Some(0.3),
            min_cache: Some(0.25),
            min_batch: Some(0.5),
            max_output: Some(1500.0),
        };
        let mut rows = workload();
        let effects = workload_effects(&mut rows, t, "claude-sonnet-4-6", Some(SONNET), 0.0);
        let levers: Vec<Lever> = effects.iter().map(|(l, _)| *l).collect();
        assert_eq!(levers, Lever::ALL);
        // Each lever saves less than it would alone: it acts on cheaper usage.
        let alone = caching(&mut workload(), 0.25, 0.0).unwrap().saving;
        assert!(effects[1].1.saving < alone);
        // The savings add up to the whole change, with nothing counted twice.
        let total: f64 = effects.iter().map(|(_, e)| e.saving).sum();
        close(total, 47.0 - cost(&rows, 0.0));
    }

    fn item(team: &str, app: &str, lever: Lever, monthly: f64, effort: f64) -> Item {
        Item {
            rank: None,
            wave: None,
            waits: false,
            team: team.into(),
            app: app.into(),
            owner: "Ann Lee".into(),
            lever,
            monthly,
            annual: 12.0 * monthly,
            effort_weeks: effort,
            per_week: 12.0 * monthly / effort,
            quality_check: lever.needs_quality_check(),
            kpi: lever.kpi().into(),
            value: 0.0,
            target: 0.0,
            detail: String::new(),
            action: None,
        }
    }

    #[test]
    fn ranking_waves_ties_and_waits() {
        let s = Settings {
            wave_weeks: 4.0,
            ..Settings::default()
        };
        let items = vec![
            item("a", "x", Lever::Routing, 1000.0, 2.0), // 6,000 a week
            item("a", "y", Lever::Caching, 500.0, 1.0),  // 6,000 a week, less saving
            item("b", "z", Lever::Batch, 1000.0, 3.0),   // 4,000 a week
            item("b", "z", Lever::Output, 50.0, 0.5),    // $600 a year: waits
            item("a", "w", Lever::Caching, 250.0, 0.5),  // 6,000 a week, least saving
        ];
        let r = rank(items, &s);
        let order: Vec<(&str, Lever)> = r.iter().map(|i| (i.app.as_str(), i.lever)).collect();
        assert_eq!(
            order,
            [
                ("x", Lever::Routing),
                ("y", Lever::Caching),
                ("w", Lever::Caching),
                ("z", Lever::Batch),
                ("z", Lever::Output)
            ]
        );
        // Waves of 4 weeks: 2 + 1 + 0.5 = 3.5 fit; 3 more would make 6.5: wave 2.
        let waves: Vec<Option<usize>> = r.iter().map(|i| i.wave).collect();
        assert_eq!(waves, [Some(1), Some(1), Some(1), Some(2), None]);
        assert_eq!(r[3].rank, Some(4));
        assert!(r[4].waits && r[4].rank.is_none());
        // Exactly equal ratios and savings fall back to team, app, lever order.
        let r = rank(
            vec![
                item("b", "x", Lever::Caching, 100.0, 1.0),
                item("a", "x", Lever::Batch, 100.0, 1.0),
                item("a", "x", Lever::Caching, 100.0, 1.0),
            ],
            &Settings::default(),
        );
        let order: Vec<(&str, Lever)> = r.iter().map(|i| (i.team.as_str(), i.lever)).collect();
        assert_eq!(
            order,
            [
                ("a", Lever::Caching),
                ("a", Lever::Batch),
                ("b", Lever::Caching)
            ]
        );
        // An item larger than a wave has a wave of its own.
        let r = rank(vec![item("a", "x", Lever::Routing, 5000.0, 10.0)], &s);
        assert_eq!(r[0].wave, Some(1));
    }

    #[test]
    fn the_floor_is_spend_less_every_saving_waits_included() {
        let f = Floor::of(10_000.0, 1_250.0);
        close(f.monthly, 8_750.0);
        close(f.annual, 105_000.0);
    }

    #[test]
    fn a_billed_row_keeps_its_ratio_to_computed_cost() {
        // Billed $27 for $30 computed (10% off): routing saves 90% of what it would at list.
        let mut rows = vec![
            Row {
                scale: 0.9,
                ..row("opus", "standard", OPUS_41, [1e6, 0.0, 0.0, 0.0, 2e5], 0.0)
            },
            row("sonnet", "standard", SONNET, [2e6, 0.0, 0.0, 0.0, 4e5], 0.0),
        ];
        close(cost(&rows, 0.0), 27.0 + 12.0);
        let e = routing(&mut rows, 0.0, "s", SONNET, 0.0).unwrap();
        close(e.saving, 0.9 * 24.0);
    }
}
