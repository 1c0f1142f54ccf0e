//! FOCUS 1.0 cost and usage rows (the FinOps Foundation's open billing format) from day-level
//! priced rows.
//!
//! One row per day × workspace (SubAccount) × model × token class × tier, and per team and app
//! (Tags): an SKU per token class, its list, contracted and effective cost, the tokens consumed
//! and priced per million. A configured commitment appears as FOCUS describes a spend commitment,
//! amortized by month: a `Purchase` row of the month's share of the commitment, usage it covers
//! marked `Used` (billed through the purchase), usage beyond it billed as it comes, and the month's
//! unused share as an `Unused` row. The effective cost of the usage rows adds up to the review's
//! spend for the month.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::config::Config;
use crate::data::write::{Cell, Kind};
use crate::metrics::{Commitment, PricedRow};
use crate::month::Month;
use crate::pricing::BATCH_FACTOR;

/// The columns, in order, with their types.
pub const COLUMNS: [(&str, Kind); 45] = [
    ("AvailabilityZone", Kind::Text),
    ("BilledCost", Kind::Dec),
    ("BillingAccountId", Kind::Text),
    ("BillingAccountName", Kind::Text),
    ("BillingCurrency", Kind::Text),
    ("BillingPeriodEnd", Kind::Text),
    ("BillingPeriodStart", Kind::Text),
    ("ChargeCategory", Kind::Text),
    ("ChargeClass", Kind::Text),
    ("ChargeDescription", Kind::Text),
    ("ChargeFrequency", Kind::Text),
    ("ChargePeriodEnd", Kind::Text),
    ("ChargePeriodStart", Kind::Text),
    ("CommitmentDiscountCategory", Kind::Text),
    ("CommitmentDiscountId", Kind::Text),
    ("CommitmentDiscountName", Kind::Text),
    ("CommitmentDiscountStatus", Kind::Text),
    ("CommitmentDiscountType", Kind::Text),
    ("ConsumedQuantity", Kind::Dec),
    ("ConsumedUnit", Kind::Text),
    ("ContractedCost", Kind::Dec),
    ("ContractedUnitPrice", Kind::Dec),
    ("EffectiveCost", Kind::Dec),
    ("InvoiceIssuerName", Kind::Text),
    ("ListCost", Kind::Dec),
    ("ListUnitPrice", Kind::Dec),
    ("PricingCategory", Kind::Text),
    ("PricingQuantity", Kind::Dec),
    ("PricingUnit", Kind::Text),
    ("ProviderName", Kind::Text),
    ("PublisherName", Kind::Text),
    ("RegionId", Kind::Text),
    ("RegionName", Kind::Text),
    ("ResourceId", Kind::Text),
    ("ResourceName", Kind::Text),
    ("ResourceType", Kind::Text),
    ("ServiceCategory", Kind::Text),
    ("ServiceName", Kind::Text),
    ("SkuId", Kind::Text),
    ("SkuPriceId", Kind::Text),
    ("SubAccountId", Kind::Text),
    ("SubAccountName", Kind::Text),
    ("Tags", Kind::Text),
    ("x_ServiceTier", Kind::Text),
    ("x_Requests", Kind::Dec),
];

const PROVIDER: &str = "Anthropic";
const SERVICE: &str = "Claude API";
const CATEGORY: &str = "AI and Machine Learning";

/// A token class: its SKU suffix and words.
const CLASSES: [(&str, &str); 5] = [
    ("input", "input tokens"),
    ("cache_write_5m", "5-minute cache write tokens"),
    ("cache_write_1h", "1-hour cache write tokens"),
    ("cache_read", "cache read tokens"),
    ("output", "output tokens"),
];

fn ts(d: NaiveDate) -> String {
    format!("{d}T00:00:00Z")
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// The billing account: the organisation, by name.
fn account(cfg: &Config) -> (String, String) {
    let slug = crate::fmt::slug(&cfg.org_name);
    (format!("org-{slug}"), cfg.org_name.clone())
}

/// A month's share of the commitment, when the month lies in its term.
pub fn month_share(c: &Commitment, m: Month) -> Option<f64> {
    let term_days = (c.end - c.start).num_days() + 1;
    let from = m.first_day().max(c.start);
    let to = m.last_day().min(c.end);
    (to >= from).then(|| c.amount * ((to - from).num_days() + 1) as f64 / term_days as f64)
}

struct Common {
    account: (String, String),
}

impl Common {
    /// The columns every row shares, with the row's own filled in by `set`.
    fn row(&self, month: Month, set: impl FnOnce(&mut BTreeMap<&'static str, Cell>)) -> Vec<Cell> {
        let mut r: BTreeMap<&'static str, Cell> = BTreeMap::new();
        r.insert("BillingAccountId", text(&self.account.0));
        r.insert("BillingAccountName", text(&self.account.1));
        r.insert("BillingCurrency", text("USD"));
        r.insert("BillingPeriodStart", text(ts(month.first_day())));
        r.insert("BillingPeriodEnd", text(ts(month.next().first_day())));
        r.insert("InvoiceIssuerName", text(PROVIDER));
        r.insert("ProviderName", text(PROVIDER));
        r.insert("PublisherName", text(PROVIDER));
        r.insert("ServiceCategory", text(CATEGORY));
        r.insert("ServiceName", text(SERVICE));
        set(&mut r);
        COLUMNS
            .iter()
            .map(|(name, _)| r.remove(name).unwrap_or(Cell::Null))
            .collect()
    }
}

/// The commitment's identity in FOCUS.
fn commitment_id(c: &Commitment) -> (String, String) {
    (
        format!("anthropic:commitment:spend:{}", c.start),
        c.name
            .clone()
            .unwrap_or_else(|| format!("Claude API committed spend from {}", c.start)),
    )
}

/// Every FOCUS row of `months`, in a fixed order, each handed to `emit` (so that a year's rows are
/// never all in memory). `rows` are day-level priced rows.
pub fn rows(
    cfg: &Config,
    rows: &[PricedRow],
    months: &[Month],
    emit: &mut dyn FnMut(Vec<Cell>) -> crate::error::Result<()>,
) -> crate::error::Result<()> {
    let common = Common {
        account: account(cfg),
    };
    for &m in months {
        let mut month_rows: Vec<&PricedRow> = rows.iter().filter(|r| r.month == m).collect();
        month_rows.sort_by(|a, b| {
            (
                a.day,
                &a.workspace,
                &a.model,
                &a.tier,
                &a.team,
                &a.app,
                &a.api_key,
                a.file,
            )
                .cmp(&(
                    b.day,
                    &b.workspace,
                    &b.model,
                    &b.tier,
                    &b.team,
                    &b.app,
                    &b.api_key,
                    b.file,
                ))
        });
        let share = cfg.commitment.as_ref().and_then(|c| month_share(c, m));
        let mut used = 0.0;
        let mut in_term_spend = 0.0;
        for r in month_rows {
            let covered = match share {
                Some(s) if r.in_term => {
                    let before = used;
                    used += r.spend();
                    in_term_spend += r.spend();
                    before < s
                }
                _ => false,
            };
            usage_rows(cfg, &common, m, r, covered, emit)?;
        }
        if let (Some(c), Some(s)) = (&cfg.commitment, share) {
            commitment_rows(&common, c, m, s, in_term_spend, emit)?;
        }
    }
    Ok(())
}

/// The rows of one priced row: one per token class it has.
fn usage_rows(
    cfg: &Config,
    common: &Common,
    m: Month,
    r: &PricedRow,
    covered: bool,
    emit: &mut dyn FnMut(Vec<Cell>) -> crate::error::Result<()>,
) -> crate::error::Result<()> {
    let (from, to) = match r.day {
        Some(d) => (d, d + chrono::Duration::days(1)),
        None => (m.first_day(), m.next().first_day()),
    };
    let workspace = r.workspace.clone().unwrap_or_else(|| "default".to_owned());
    let key = crate::costing::model_key(cfg, &r.model);
    let price = cfg.prices.lookup(&r.model).map(|m| m.price_on(r.first_day));
    let factor = if r.tier == "batch" { BATCH_FACTOR } else { 1.0 };
    let t = &r.tokens;
    let tokens = [
        t.uncached_input,
        t.cache_write_5m,
        t.cache_write_1h,
        t.cache_read,
        t.output,
    ];
    let per_m = price.map_or([0.0; 5], |p| {
        [
            p.input,
            p.cache_write_5m,
            p.cache_write_1h,
            p.cache_read,
            p.output,
        ]
    });
    let mut tags = BTreeMap::new();
    tags.insert("app", r.app.as_str());
    tags.insert("team", r.team.as_str());
    let tags = serde_json::to_string(&tags).expect("tags are text");
    let spend = r.spend();
    let computed = r.computed_net;
    let present: Vec<usize> = (0..5).filter(|&i| tokens[i] > 0).collect();
    let (commit_id, commit_name) = cfg
        .commitment
        .as_ref()
        .map(commitment_id)
        .unwrap_or_default();
    let mut effective_left = spend;
    let emit_one = |class: Option<usize>, effective: f64| {
        let (sku, words, n, unit_price) = match class {
            Some(i) => (
                format!("{key}:{}", CLASSES[i].0),
                CLASSES[i].1,
                tokens[i] as f64,
                per_m[i] * factor,
            ),
            None => (format!("{key}:billed"), "billed usage", 0.0, 0.0),
        };
        let list = n * unit_price / 1e6;
        let contracted = list * (1.0 - cfg.discount);
        common.row(m, |c| {
            c.insert(
                "BilledCost",
                Cell::Dec(if covered { 0.0 } else { effective }),
            );
            c.insert("ChargeCategory", text("Usage"));
            c.insert(
                "ChargeDescription",
                text(format!("{} {words} ({} tier)", r.model, r.tier)),
            );
            c.insert("ChargeFrequency", text("Usage-Based"));
            c.insert("ChargePeriodStart", text(ts(from)));
            c.insert("ChargePeriodEnd", text(ts(to)));
            c.insert("ConsumedQuantity", Cell::Dec(n));
            c.insert("ConsumedUnit", text("Tokens"));
            c.insert("ContractedCost", Cell::Dec(contracted));
            c.insert(
                "ContractedUnitPrice",
                Cell::Dec(unit_price * (1.0 - cfg.discount)),
            );
            c.insert("EffectiveCost", Cell::Dec(effective));
            c.insert("ListCost", Cell::Dec(list));
            c.insert("ListUnitPrice", Cell::Dec(unit_price));
            c.insert("PricingQuantity", Cell::Dec(n / 1e6));
            c.insert("PricingUnit", text("1000000 Tokens"));
            c.insert(
                "PricingCategory",
                text(if covered { "Committed" } else { "Standard" }),
            );
            c.insert("SkuId", text(sku.clone()));
            c.insert("SkuPriceId", text(format!("{sku}:{}", r.tier)));
            c.insert("SubAccountId", text(workspace.clone()));
            c.insert("SubAccountName", text(workspace.clone()));
            c.insert("Tags", text(tags.clone()));
            c.insert("x_ServiceTier", text(r.tier.clone()));
            // Requests belong to the whole call: carried once, on its output row.
            if class == Some(4) && r.requests > 0 {
                c.insert("x_Requests", Cell::Dec(r.requests as f64));
            }
            if covered {
                c.insert("CommitmentDiscountCategory", text("Spend"));
                c.insert("CommitmentDiscountId", text(commit_id.clone()));
                c.insert("CommitmentDiscountName", text(commit_name.clone()));
                c.insert("CommitmentDiscountStatus", text("Used"));
                c.insert("CommitmentDiscountType", text("Committed Spend"));
            }
        })
    };
    if present.is_empty() || computed <= 0.0 {
        if spend != 0.0 || !present.is_empty() {
            emit(emit_one(present.first().copied(), spend))?;
        }
        return Ok(());
    }
    for (k, &i) in present.iter().enumerate() {
        let class_net = tokens[i] as f64 * per_m[i] * factor / 1e6 * (1.0 - cfg.discount);
        // The last class takes what is left, so that the row's classes add up to its spend.
        let effective = if k + 1 == present.len() {
            effective_left
        } else {
            spend * class_net / computed
        };
        effective_left -= effective;
        emit(emit_one(Some(i), effective))?;
    }
    Ok(())
}

/// The month's purchase of its share of the commitment, and the share left unused.
fn commitment_rows(
    common: &Common,
    c: &Commitment,
    m: Month,
    share: f64,
    in_term_spend: f64,
    emit: &mut dyn FnMut(Vec<Cell>) -> crate::error::Result<()>,
) -> crate::error::Result<()> {
    let (id, name) = commitment_id(c);
    let from = m.first_day().max(c.start);
    let to = m.last_day().min(c.end) + chrono::Duration::days(1);
    let label = m.first_day().format("%B %Y").to_string();
    let fill = |r: &mut BTreeMap<&'static str, Cell>| {
        r.insert("ChargePeriodStart", text(ts(from)));
        r.insert("ChargePeriodEnd", text(ts(to)));
        r.insert("CommitmentDiscountCategory", text("Spend"));
        r.insert("CommitmentDiscountId", text(id.clone()));
        r.insert("CommitmentDiscountName", text(name.clone()));
        r.insert("CommitmentDiscountType", text("Committed Spend"));
        r.insert("PricingCategory", text("Committed"));
        r.insert("ResourceId", text(id.clone()));
        r.insert("ResourceName", text(name.clone()));
        r.insert("ResourceType", text("Commitment"));
        r.insert("SkuId", text("anthropic:commitment:spend"));
        r.insert("SkuPriceId", text("anthropic:commitment:spend:usd"));
        r.insert("Tags", text("{}"));
    };
    emit(common.row(m, |r| {
        fill(r);
        r.insert("BilledCost", Cell::Dec(share));
        r.insert("ChargeCategory", text("Purchase"));
        r.insert(
            "ChargeDescription",
            text(format!("{label} share of the committed spend")),
        );
        r.insert("ChargeFrequency", text("Recurring"));
        r.insert("ContractedCost", Cell::Dec(share));
        r.insert("ContractedUnitPrice", Cell::Dec(share));
        r.insert("EffectiveCost", Cell::Dec(0.0));
        r.insert("ListCost", Cell::Dec(share));
        r.insert("ListUnitPrice", Cell::Dec(share));
        r.insert("PricingQuantity", Cell::Dec(1.0));
        r.insert("PricingUnit", text("Months"));
    }))?;
    let unused = (share - in_term_spend).max(0.0);
    if unused > 0.0 {
        emit(common.row(m, |r| {
            fill(r);
            r.insert("BilledCost", Cell::Dec(0.0));
            r.insert("ChargeCategory", text("Usage"));
            r.insert(
                "ChargeDescription",
                text(format!("Unused portion of the {label} committed spend")),
            );
            r.insert("ChargeFrequency", text("Usage-Based"));
            r.insert("CommitmentDiscountStatus", text("Unused"));
            r.insert("ConsumedQuantity", Cell::Dec(unused));
            r.insert("ConsumedUnit", text("USD"));
            r.insert("ContractedCost", Cell::Dec(unused));
            r.insert("ContractedUnitPrice", Cell::Dec(1.0));
            r.insert("EffectiveCost", Cell::Dec(unused));
            r.insert("ListCost", Cell::Dec(unused));
            r.insert("ListUnitPrice", Cell::Dec(1.0));
            r.insert("PricingQuantity", Cell::Dec(unused));
            r.insert("PricingUnit", text("USD"));
        }))?;
    }
    Ok(())
}

/// A decimal as FOCUS readers expect it: plain digits, always with a decimal point, `0.0` for
/// a negative zero.
pub fn decimal(v: f64) -> String {
    let s = format!("{}", v + 0.0);
    if s.contains('.') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_always_have_a_point_and_no_exponent() {
        assert_eq!(decimal(100.0), "100.0");
        assert_eq!(decimal(0.1), "0.1");
        assert_eq!(decimal(1e-7), "0.0000001");
        assert_eq!(decimal(-0.0), "0.0");
        assert_eq!(decimal(2_000_000.0), "2000000.0");
    }

    #[test]
    fn a_month_s_share_of_the_commitment() {
        let c = Commitment {
            amount: 365_000.0,
            start: "2026-01-15".parse().unwrap(),
            end: "2027-01-14".parse().unwrap(),
            name: None,
        };
        // 17 of January's days are in the term: $1,000 a day.
        let jan = month_share(&c, "2026-01".parse().unwrap()).unwrap();
        assert!((jan - 17_000.0).abs() < 1e-9);
        assert!(month_share(&c, "2025-12".parse().unwrap()).is_none());
    }
}
