//! Costing the cube: each row's team and app (its own columns, else the first matching
//! allocation rule), its list and net cost at the price table's prices, and the billed costs of
//! cost reports spread over the usage they bill.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::anthropic::analytics::Amount;
use crate::config::{AllocationRule, Config, RuleKeys, allocate_keys};
use crate::cube::{CubeRow, Dataset};
use crate::error::{Error, Result};
use crate::metrics::{PricedRow, UNALLOCATED};
use crate::month::Month;
use crate::pricing::{Quote, Tokens, Variant};

/// Team and app of a row: its own columns first, then the first matching rule for what is missing.
/// (Rules on the actor were applied when Analytics API pages were read: the cube has no actor.)
pub fn allocate(row: &CubeRow, rules: &[AllocationRule]) -> (String, String) {
    let keys = RuleKeys {
        workspace_id: row.workspace_id.as_deref(),
        api_key_id: row.api_key_id.as_deref(),
        model: &row.model,
        actor: None,
        actor_type: None,
    };
    let (team, app) = allocate_keys(row.team.clone(), row.app.clone(), &keys, rules);
    (
        team.unwrap_or_else(|| UNALLOCATED.to_owned()),
        app.unwrap_or_else(|| UNALLOCATED.to_owned()),
    )
}

/// Prices every cube row: its list cost step by step (see [`crate::pricing::quote`]) at the
/// prices in force on its days, and its net cost. An unknown model is an error that names the
/// model, where it was found and the configuration key that gives it a price.
pub fn price(ds: &Dataset, cfg: &Config) -> Result<Vec<PricedRow>> {
    let mut missing: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut out = Vec::with_capacity(ds.rows.len());
    for r in &ds.rows {
        let Some(m) = cfg.prices.lookup(&r.model) else {
            missing.entry(&r.model).or_default().push(r.file);
            continue;
        };
        let variant = variant_of(r);
        let month_start = r.month.first_day();
        let (quote, _) =
            crate::pricing::quote(m, r.first_day, month_start, &variant, &r.tokens, &r.tier);
        let list = quote.list();
        let net = list * (1.0 - cfg.discount);
        let uncached = Tokens {
            uncached_input: r.tokens.uncached_input,
            ..Tokens::default()
        };
        let (uncached_quote, _) =
            crate::pricing::quote(m, r.first_day, month_start, &variant, &uncached, &r.tier);
        let (team, app) = allocate(r, &cfg.allocation);
        out.push(PricedRow {
            month: r.month,
            team,
            app,
            model: r.model.clone(),
            workspace: r.workspace_id.clone(),
            api_key: r.api_key_id.clone(),
            family: cfg.family(&r.model),
            premium: cfg.premium(&cfg.family(&r.model)),
            tier: r.tier.clone(),
            in_term: r.in_term,
            tokens: r.tokens,
            requests: r.requests,
            output_with_requests: r.output_with_requests,
            web_search_requests: r.web_search_requests,
            list_cost: list,
            computed_net: net,
            uncached_input_net: uncached_quote.list() * (1.0 - cfg.discount),
            billed: r.billed.then_some(r.billed_cost),
            file: r.file,
            day: (r.first_day == r.last_day).then_some(r.first_day),
            first_day: r.first_day,
            variant,
            quote,
        });
    }
    if let Some((model, files)) = missing.into_iter().next() {
        let mut files: Vec<String> = files
            .iter()
            .map(|f| ds.files[*f].path.display().to_string())
            .collect();
        files.dedup();
        return Err(Error::Input(format!(
            "model `{model}` (in {}) has no price. Add it to {}:\n\n  [pricing.models.\"{model}\"]\n  input = ...           # USD per million tokens\n  cache_write_5m = ...\n  cache_write_1h = ...\n  cache_read = ...\n  output = ...\n  source = \"...\"       # where they come from (a page, or your contract)\n\nand, unless its name contains opus, sonnet, haiku, fable or mythos, its family (family = \"...\")",
            files.join(", "),
            cfg.path.display()
        )));
    }
    apply_billed(&mut out, ds, cfg)?;
    Ok(out)
}

/// How a cube row is priced beyond its model and tier; a Foundry `-fast` ID says fast mode.
pub fn variant_of(r: &CubeRow) -> Variant {
    let mut v = r.variant.clone();
    if v.speed.is_none() && crate::pricing::PriceTable::fast_id(&r.model) {
        v.speed = Some("fast".to_owned());
    }
    v
}

/// Usage by day, for the forecast ([`crate::forecast::Day`]): tokens as the data has them; net
/// and list spend shaped by each day's cost (billed where the rows carry it, else computed) and
/// levelled on the month's totals, so that a month's days add up to its spend and its list cost
/// (billed costs of cost reports included). A month whose days carry no cost spreads its totals
/// evenly over its days with data.
pub fn daily_series(
    ds: &Dataset,
    cfg: &Config,
    months: &BTreeMap<Month, crate::metrics::Totals>,
) -> Vec<crate::forecast::Day> {
    let mut raw: BTreeMap<NaiveDate, (f64, f64)> =
        ds.days.iter().map(|d| (*d, (0.0, 0.0))).collect();
    for r in &ds.daily {
        // Each day priced as its month is (dated prices, bands, residency, speed), so that the
        // level of the last 28 days is the list spend of those days.
        let cost = if r.billed {
            r.billed_cost
        } else {
            cfg.prices.lookup(&r.model).map_or(0.0, |m| {
                let month = Month::of(r.day).first_day();
                crate::pricing::quote(m, r.day, month, &r.variant, &r.tokens, &r.tier)
                    .0
                    .total
                    * (1.0 - cfg.discount)
            })
        };
        let e = raw.entry(r.day).or_default();
        e.0 += cost;
        e.1 += r.tokens.total() as f64;
    }
    let mut by_month: BTreeMap<Month, (f64, usize)> = BTreeMap::new();
    for (d, (v, _)) in &raw {
        let e = by_month.entry(Month::of(*d)).or_default();
        e.0 += v;
        e.1 += 1;
    }
    raw.into_iter()
        .map(|(day, (v, tokens))| {
            let m = Month::of(day);
            let (sum, days) = by_month[&m];
            let share = if sum > 0.0 {
                v / sum
            } else {
                1.0 / days as f64
            };
            let t = months.get(&m);
            crate::forecast::Day {
                day,
                net: share * t.map_or(0.0, |t| t.spend),
                list: share * t.map_or(0.0, |t| t.list_cost),
                tokens,
            }
        })
        .collect()
}

/// The model key billed costs are matched on: the price-table prefix a model ID falls under, so
/// dated and undated IDs and Console display names meet.
pub fn model_key(cfg: &Config, model: &str) -> String {
    cfg.prices
        .lookup(model)
        .map_or_else(|| model.to_owned(), |m| m.key.clone())
}

/// Makes billed costs (cost reports, Console cost exports) the spend of the usage they bill.
///
/// Billed amounts are summed per month x workspace x model (or per month x workspace when the
/// report was not grouped by model) and spread over the usage rows of that cell in proportion to
/// their computed cost, so teams and apps keep their share. A billed cell without usage becomes an
/// unallocated row of its own. Usage that no billed cell covers keeps its computed cost.
fn apply_billed(rows: &mut Vec<PricedRow>, ds: &Dataset, cfg: &Config) -> Result<()> {
    type Cell = (Month, bool, Option<String>, Option<String>);
    let in_term = |d: chrono::NaiveDate| {
        cfg.commitment
            .as_ref()
            .is_some_and(|c| c.start <= d && d <= c.end)
    };
    let mut sums: BTreeMap<Cell, (Amount, usize)> = BTreeMap::new();
    // The days each cell bills: usage carrying its own billed cost on one of them is billed twice.
    let mut billed_days: BTreeMap<Cell, std::collections::BTreeSet<NaiveDate>> = BTreeMap::new();
    for (file, r) in &ds.costs {
        let key = (
            Month::of(r.day),
            in_term(r.day),
            r.workspace.clone(),
            r.model.as_deref().map(|m| model_key(cfg, m)),
        );
        billed_days.entry(key.clone()).or_default().insert(r.day);
        let e = sums.entry(key).or_insert((Amount::default(), *file));
        e.0.add(r.cents.map(|c| c.0), r.usd)?;
    }
    let cells: BTreeMap<Cell, (f64, usize)> = sums
        .into_iter()
        .map(|(k, (a, f))| (k, (a.usd(), f)))
        .collect();
    // A cube row's days (a usage row of the data, not an orphan added below).
    let spans: Vec<(NaiveDate, NaiveDate)> =
        ds.rows.iter().map(|r| (r.first_day, r.last_day)).collect();
    let keys: Vec<Option<String>> = rows
        .iter()
        .map(|r| Some(model_key(cfg, &r.model)))
        .collect();
    let mut shares: Vec<Option<f64>> = vec![None; rows.len()];
    let mut orphans = Vec::new();
    for ((month, term, ws, model), (usd, file)) in &cells {
        let in_cell = |i: &usize| {
            let r = &rows[*i];
            r.month == *month
                && r.in_term == *term
                && r.workspace == *ws
                && (model.is_none() || keys[*i] == *model)
        };
        // Usage whose own rows carry a billed cost on a day a cost report bills again: the same
        // money twice (the report's amount would land on other usage, or as unallocated).
        let days = &billed_days[&(*month, *term, ws.clone(), model.clone())];
        let on_billed_day = |i: usize| {
            spans
                .get(i)
                .is_some_and(|(a, b)| days.range(*a..=*b).next().is_some())
        };
        let path = |f: usize| {
            ds.files.get(f).map_or_else(
                || "a usage file".to_owned(),
                |x| x.path.display().to_string(),
            )
        };
        if let Some(i) = (0..rows.len())
            .filter(in_cell)
            .find(|&i| rows[i].billed.is_some() && on_billed_day(i))
        {
            return Err(Error::Input(format!(
                "{month}{} of model {} is billed twice: {} gives its billed cost (cost_usd) and {} bills the same days too. Give each usage's billed cost in one place: drop cost_usd from the usage file, or leave the cost report out",
                ws.as_deref()
                    .map_or(String::new(), |w| format!(", workspace {w},")),
                rows[i].model,
                path(rows[i].file),
                path(*file),
            )));
        }
        // The usage the cell bills: of its days (usage of the workspace and model on other days
        // keeps its computed cost).
        let matching: Vec<usize> = (0..rows.len())
            .filter(in_cell)
            .filter(|&i| rows[i].billed.is_none() && on_billed_day(i))
            .collect();
        // Nothing of the workspace to bill, but usage of the model on those days without a
        // workspace: most likely the usage the bill is for, which it cannot be matched to.
        // Refused rather than the bill added on top as unallocated spend.
        if matching.is_empty()
            && ws.is_some()
            && let Some(i) = (0..rows.len()).find(|&i| {
                let r = &rows[i];
                r.month == *month
                    && r.in_term == *term
                    && r.workspace.is_none()
                    && (model.is_none() || keys[i] == *model)
                    && on_billed_day(i)
            })
        {
            return Err(Error::Input(format!(
                "{month}, workspace {}, of model {} may be counted twice: {} bills it, and {} gives usage of that model on those days{} but without a workspace, so the bill cannot be matched to it. Give the usage file a workspace_id column{}",
                ws.as_deref().unwrap_or_default(),
                rows[i].model,
                path(*file),
                path(rows[i].file),
                if rows[i].billed.is_some() {
                    " with its billed cost (cost_usd)"
                } else {
                    ""
                },
                if rows[i].billed.is_some() {
                    ", or give each usage's billed cost in one place (drop cost_usd, or leave the cost report out)"
                } else {
                    ", or leave the cost report out"
                },
            )));
        }
        let computed: f64 = matching.iter().map(|&i| rows[i].computed_net).sum();
        if computed > 0.0 {
            for &i in &matching {
                *shares[i].get_or_insert(0.0) += usd * rows[i].computed_net / computed;
            }
        } else {
            let model = model
                .clone()
                .unwrap_or_else(|| "(not grouped by model)".to_owned());
            orphans.push(PricedRow {
                month: *month,
                team: UNALLOCATED.to_owned(),
                app: UNALLOCATED.to_owned(),
                family: cfg.family(&model),
                premium: cfg.premium(&cfg.family(&model)),
                model,
                workspace: ws.clone(),
                api_key: None,
                tier: "standard".to_owned(),
                in_term: *term,
                tokens: Tokens::default(),
                requests: 0,
                output_with_requests: 0,
                web_search_requests: 0,
                list_cost: 0.0,
                computed_net: 0.0,
                uncached_input_net: 0.0,
                billed: Some(*usd),
                file: *file,
                day: None,
                first_day: month.first_day(),
                variant: Variant::default(),
                quote: Quote::default(),
            });
        }
    }
    for (r, s) in rows.iter_mut().zip(shares) {
        if s.is_some() {
            r.billed = s;
        }
    }
    rows.extend(orphans);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Totals;

    use crate::month::{day as d, ym};

    #[test]
    fn billed_cells_spread_pro_rata_and_orphans_are_unallocated() {
        let cfg = Config::parse(
            "[organization]\nname = \"A\"\nreview_owner = \"Ann Lee\"\n",
            std::path::Path::new("g.toml"),
        )
        .unwrap();
        let usage = |team: &str, u: u64| CubeRow {
            month: ym("2026-10"),
            segment: 0,
            variant: Default::default(),
            file: 0,
            team: Some(team.into()),
            app: None,
            workspace_id: Some("ws1".into()),
            api_key_id: None,
            model: "claude-sonnet-4-5-20250929".into(),
            tier: "standard".into(),
            in_term: false,
            billed: false,
            tokens: Tokens::new(u, 0, 0, 0, 0),
            requests: 0,
            output_with_requests: 0,
            web_search_requests: 0,
            billed_cost: 0.0,
            rows: 1,
            first_day: d("2026-10-05"),
            last_day: d("2026-10-05"),
        };
        let bill = |ws: &str, model: &str, usd: f64| {
            (
                0,
                crate::anthropic::CostRecord {
                    day: d("2026-10-05"),
                    workspace: Some(ws.into()),
                    model: Some(model.into()),
                    cost_type: Some("tokens".into()),
                    token_type: None,
                    service_tier: None,
                    description: None,
                    usd,
                    list_usd: None,
                    cents: None,
                    credit: false,
                    detail: String::new(),
                },
            )
        };
        let ds = Dataset {
            // Computed: 1M input at $3 = $3.00 for team a, 1/3M = $1.00 for team b.
            rows: vec![usage("a", 1_000_000), usage("b", 333_333)],
            files: Vec::new(),
            days: Vec::new(),
            daily: Vec::new(),
            // Billed $2.00 for the undated ID's cell (same price prefix), and $5.00 of Opus in a
            // workspace without usage.
            costs: vec![
                bill("ws1", "claude-sonnet-4-5", 2.0),
                bill("ws2", "claude-opus-4-5", 5.0),
            ],
            timings: Vec::new(),
            warnings: Vec::new(),
        };
        let p = price(&ds, &cfg).unwrap();
        assert_eq!(p.len(), 3);
        let a = p[0].billed.unwrap();
        let b = p[1].billed.unwrap();
        // $2.00 split 3 : 0.999999.
        assert!((a - 2.0 * 3.0 / 3.999999).abs() < 1e-9, "{a}");
        assert!((a + b - 2.0).abs() < 1e-12);
        assert_eq!(p[2].team, UNALLOCATED);
        assert_eq!(p[2].billed, Some(5.0));
        assert_eq!(p[2].family, "opus");
        assert_eq!(Totals::of(&p).spend, 7.0);
    }

    #[test]
    fn allocation_fills_only_what_is_missing() {
        let rules = vec![
            AllocationRule {
                workspace_id: Some("ws1".into()),
                team: Some("search".into()),
                app: Some("ranker".into()),
                ..Default::default()
            },
            AllocationRule {
                model: Some("claude-3".into()),
                team: Some("legacy".into()),
                ..Default::default()
            },
        ];
        let mut r = CubeRow {
            month: ym("2026-10"),
            segment: 0,
            variant: Default::default(),
            file: 0,
            team: None,
            app: Some("own-app".into()),
            workspace_id: Some("ws1".into()),
            api_key_id: None,
            model: "claude-opus-4-5".into(),
            tier: "standard".into(),
            in_term: false,
            billed: false,
            tokens: Tokens::default(),
            requests: 0,
            output_with_requests: 0,
            web_search_requests: 0,
            billed_cost: 0.0,
            rows: 1,
            first_day: d("2026-10-01"),
            last_day: d("2026-10-01"),
        };
        assert_eq!(allocate(&r, &rules), ("search".into(), "own-app".into()));
        r.workspace_id = None;
        r.model = "claude-3-haiku".into();
        assert_eq!(allocate(&r, &rules), ("legacy".into(), "own-app".into()));
        r.model = "claude-opus-4-5".into();
        assert_eq!(allocate(&r, &rules).0, UNALLOCATED);
    }
}
