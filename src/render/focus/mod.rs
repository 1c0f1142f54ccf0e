//! FOCUS cost and usage rows (the FinOps Foundation's open billing format) from day-level priced
//! rows: FOCUS 1.2 by default, 1.0 for loaders that need it, and the 1.3 Contract Commitment
//! dataset ([`contract`]).
//!
//! One row per day × workspace (SubAccount) × model × token class × tier and price variant, and
//! per team and app (Tags): an SKU per token class (SkuMeter `Input Tokens`, `Output Tokens`, ...),
//! tokens consumed (`Tokens`) and priced per million (`1000000 Tokens`) at the price in force that
//! day with its modifiers (prompt-length band, long context, fast mode, data residency, Batch), and
//! the list, contracted and effective cost. A configured commitment appears as FOCUS describes a
//! spend commitment, amortized by month: a `Purchase` row of the month's share of the commitment,
//! usage it covers marked `Used` (billed through the purchase), usage beyond it billed as it comes,
//! and the month's unused share as an `Unused` row. The effective cost of the usage rows adds up to
//! the review's spend for the month; their list cost to its list cost.
//!
//! Values are written as they are (FOCUS files are loaded by tools): text is never altered.

pub mod contract;

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::config::Config;
use crate::data::write::{Cell, Kind};
use crate::metrics::{Commitment, PricedRow};
use crate::month::Month;
use crate::pricing::Tokens;

/// The FOCUS version of a cost and usage export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// FOCUS 1.2 (the default).
    V1_2,
    /// FOCUS 1.0, for loaders that have not moved on.
    V1_0,
}

impl Version {
    /// The version as FOCUS writes it.
    pub fn label(self) -> &'static str {
        match self {
            Version::V1_2 => "1.2",
            Version::V1_0 => "1.0",
        }
    }

    /// The columns, in order, with their types.
    pub fn columns(self) -> &'static [(&'static str, Kind)] {
        match self {
            Version::V1_2 => &COLUMNS_1_2,
            Version::V1_0 => &COLUMNS_1_0,
        }
    }
}

/// FOCUS 1.2 columns, in order: the mandatory and recommended ones, the conditional ones that
/// apply to a token-priced API with a spend commitment, workspaces and tags, and two of our own.
/// Not here: AvailabilityZone, CapacityReservation*, Region*, Resource* (nothing is provisioned).
pub const COLUMNS_1_2: [(&str, Kind); 51] = [
    ("BilledCost", Kind::Dec),
    ("BillingAccountId", Kind::Text),
    ("BillingAccountName", Kind::Text),
    ("BillingAccountType", Kind::Text),
    ("BillingCurrency", Kind::Text),
    ("BillingPeriodEnd", Kind::Time),
    ("BillingPeriodStart", Kind::Time),
    ("ChargeCategory", Kind::Text),
    ("ChargeClass", Kind::Text),
    ("ChargeDescription", Kind::Text),
    ("ChargeFrequency", Kind::Text),
    ("ChargePeriodEnd", Kind::Time),
    ("ChargePeriodStart", Kind::Time),
    ("CommitmentDiscountCategory", Kind::Text),
    ("CommitmentDiscountId", Kind::Text),
    ("CommitmentDiscountName", Kind::Text),
    ("CommitmentDiscountQuantity", Kind::Dec),
    ("CommitmentDiscountStatus", Kind::Text),
    ("CommitmentDiscountType", Kind::Text),
    ("CommitmentDiscountUnit", Kind::Text),
    ("ConsumedQuantity", Kind::Dec),
    ("ConsumedUnit", Kind::Text),
    ("ContractedCost", Kind::Dec),
    ("ContractedUnitPrice", Kind::Dec),
    ("EffectiveCost", Kind::Dec),
    ("InvoiceId", Kind::Text),
    ("InvoiceIssuerName", Kind::Text),
    ("ListCost", Kind::Dec),
    ("ListUnitPrice", Kind::Dec),
    ("PricingCategory", Kind::Text),
    ("PricingCurrency", Kind::Text),
    ("PricingCurrencyContractedUnitPrice", Kind::Dec),
    ("PricingCurrencyEffectiveCost", Kind::Dec),
    ("PricingCurrencyListUnitPrice", Kind::Dec),
    ("PricingQuantity", Kind::Dec),
    ("PricingUnit", Kind::Text),
    ("ProviderName", Kind::Text),
    ("PublisherName", Kind::Text),
    ("ServiceCategory", Kind::Text),
    ("ServiceName", Kind::Text),
    ("ServiceSubcategory", Kind::Text),
    ("SkuId", Kind::Text),
    ("SkuMeter", Kind::Text),
    ("SkuPriceDetails", Kind::Text),
    ("SkuPriceId", Kind::Text),
    ("SubAccountId", Kind::Text),
    ("SubAccountName", Kind::Text),
    ("SubAccountType", Kind::Text),
    ("Tags", Kind::Text),
    ("x_Requests", Kind::Int),
    ("x_ServiceTier", Kind::Text),
];

/// FOCUS 1.0 columns, in order (the shape of earlier exports).
pub const COLUMNS_1_0: [(&str, Kind); 45] = [
    ("AvailabilityZone", Kind::Text),
    ("BilledCost", Kind::Dec),
    ("BillingAccountId", Kind::Text),
    ("BillingAccountName", Kind::Text),
    ("BillingCurrency", Kind::Text),
    ("BillingPeriodEnd", Kind::Time),
    ("BillingPeriodStart", Kind::Time),
    ("ChargeCategory", Kind::Text),
    ("ChargeClass", Kind::Text),
    ("ChargeDescription", Kind::Text),
    ("ChargeFrequency", Kind::Text),
    ("ChargePeriodEnd", Kind::Time),
    ("ChargePeriodStart", Kind::Time),
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
    ("x_Requests", Kind::Int),
];

const PROVIDER: &str = "Anthropic";
const SERVICE: &str = "Claude API";
const CATEGORY: &str = "AI and Machine Learning";
const SUBCATEGORY: &str = "Generative AI";
const COMMITMENT_TYPE: &str = "Committed Spend";

/// A token class: its SKU suffix, its meter, its words.
struct Class {
    key: &'static str,
    meter: &'static str,
    words: &'static str,
}

const CLASSES: [Class; 5] = [
    Class {
        key: "input",
        meter: "Input Tokens",
        words: "input tokens",
    },
    Class {
        key: "cache_write_5m",
        meter: "Cache Write Tokens (5 minutes)",
        words: "5-minute cache write tokens",
    },
    Class {
        key: "cache_write_1h",
        meter: "Cache Write Tokens (1 hour)",
        words: "1-hour cache write tokens",
    },
    Class {
        key: "cache_read",
        meter: "Cache Read Tokens",
        words: "cache read tokens",
    },
    Class {
        key: "output",
        meter: "Output Tokens",
        words: "output tokens",
    },
];

/// The tokens of one class alone.
fn only(t: &Tokens, class: usize) -> Tokens {
    let mut o = Tokens::default();
    match class {
        0 => o.uncached_input = t.uncached_input,
        1 => o.cache_write_5m = t.cache_write_5m,
        2 => o.cache_write_1h = t.cache_write_1h,
        3 => o.cache_read = t.cache_read,
        _ => o.output = t.output,
    }
    o
}

fn count(t: &Tokens, class: usize) -> u64 {
    match class {
        0 => t.uncached_input,
        1 => t.cache_write_5m,
        2 => t.cache_write_1h,
        3 => t.cache_read,
        _ => t.output,
    }
}

/// A date as FOCUS writes date-times: midnight UTC.
pub fn ts(d: NaiveDate) -> String {
    format!("{d}T00:00:00Z")
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// The billing account: the organisation, by name (its ID `org-<slug>`, with a hash of the name
/// when the slug does not say it all: letters beyond ASCII, or none at all).
pub fn account(cfg: &Config) -> (String, String) {
    (
        format!("org-{}", crate::fmt::stable_id(&cfg.org_name)),
        cfg.org_name.clone(),
    )
}

/// A month's share of the commitment, when the month lies in its term.
pub fn month_share(c: &Commitment, m: Month) -> Option<f64> {
    let term_days = (c.end - c.start).num_days() + 1;
    let from = m.first_day().max(c.start);
    let to = m.last_day().min(c.end);
    (to >= from).then(|| c.amount * ((to - from).num_days() + 1) as f64 / term_days as f64)
}

/// The commitment's identity in FOCUS: its ID (the same in both datasets) and its name.
pub fn commitment_id(c: &Commitment) -> (String, String) {
    (
        format!("anthropic:commitment:spend:{}", c.start),
        c.name
            .clone()
            .unwrap_or_else(|| format!("Claude API committed spend from {}", c.start)),
    )
}

type Emit<'a> = dyn FnMut(Vec<Cell>) -> crate::error::Result<()> + 'a;

struct Writer<'a, 'e> {
    cfg: &'a Config,
    version: Version,
    account: (String, String),
    commitment: Option<(String, String)>,
    emit: &'a mut Emit<'e>,
}

impl Writer<'_, '_> {
    /// Emits a row: the columns every row shares, those `set` fills, in the version's order.
    fn row(
        &mut self,
        month: Month,
        set: impl FnOnce(&mut BTreeMap<&'static str, Cell>),
    ) -> crate::error::Result<()> {
        let mut r: BTreeMap<&'static str, Cell> = BTreeMap::new();
        r.insert("BillingAccountId", text(&self.account.0));
        r.insert("BillingAccountName", text(&self.account.1));
        r.insert("BillingAccountType", text("Organization"));
        r.insert("BillingCurrency", text("USD"));
        r.insert("BillingPeriodStart", Cell::Day(month.first_day()));
        r.insert("BillingPeriodEnd", Cell::Day(month.next().first_day()));
        r.insert("InvoiceIssuerName", text(PROVIDER));
        r.insert("PricingCurrency", text("USD"));
        r.insert("ProviderName", text(PROVIDER));
        r.insert("PublisherName", text(PROVIDER));
        r.insert("ServiceCategory", text(CATEGORY));
        r.insert("ServiceName", text(SERVICE));
        r.insert("ServiceSubcategory", text(SUBCATEGORY));
        set(&mut r);
        // Prices and costs in the pricing currency: the same dollars (Anthropic prices in USD).
        for (to, from) in [
            ("PricingCurrencyContractedUnitPrice", "ContractedUnitPrice"),
            ("PricingCurrencyEffectiveCost", "EffectiveCost"),
            ("PricingCurrencyListUnitPrice", "ListUnitPrice"),
        ] {
            if let Some(v) = r.get(from).cloned() {
                r.insert(to, v);
            }
        }
        let cells = self
            .version
            .columns()
            .iter()
            .map(|(name, _)| match r.remove(name) {
                Some(Cell::Dec(v)) => Cell::Dec(round(v)),
                Some(c) => c,
                None => Cell::Null,
            })
            .collect();
        (self.emit)(cells)
    }
}

/// Every FOCUS row of `months`, in a fixed order, each handed to `emit` (so that a year's rows are
/// never all in memory). `rows` are day-level priced rows.
pub fn rows(
    cfg: &Config,
    version: Version,
    rows: &[PricedRow],
    months: &[Month],
    emit: &mut Emit,
) -> crate::error::Result<()> {
    let mut w = Writer {
        cfg,
        version,
        account: account(cfg),
        commitment: cfg.commitment.as_ref().map(commitment_id),
        emit,
    };
    for &m in months {
        let mut month_rows: Vec<&PricedRow> = rows.iter().filter(|r| r.month == m).collect();
        month_rows.sort_by(|a, b| {
            (
                a.day,
                &a.workspace,
                &a.model,
                &a.tier,
                &a.variant,
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
                    &b.variant,
                    &b.team,
                    &b.app,
                    &b.api_key,
                    b.file,
                ))
        });
        let share = cfg.commitment.as_ref().and_then(|c| month_share(c, m));
        // What is left of the month's share, used by in-term usage in row order.
        let mut left = share.unwrap_or(0.0);
        for r in month_rows {
            let in_term = share.is_some() && r.in_term;
            let lines = lines(cfg, r);
            for (k, line) in lines.iter().enumerate() {
                let covered = if in_term {
                    let c = line.effective.min(left).max(0.0);
                    left -= c;
                    c
                } else {
                    0.0
                };
                w.usage(m, r, line, k + 1 == lines.len(), covered)?;
            }
        }
        if let (Some(c), Some(s)) = (&cfg.commitment, share) {
            w.commitment(c, m, s, left.max(0.0))?;
        }
    }
    Ok(())
}

/// One usage row's figures: its class (None: billed without tokens), tokens, prices per million
/// tokens (None: the model has no price) and costs.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Index into the token classes.
    pub class: Option<usize>,
    /// Tokens consumed.
    pub tokens: u64,
    /// List price per million tokens, modifiers and Batch applied.
    pub unit_price: Option<f64>,
    /// List cost.
    pub list: f64,
    /// Effective cost: the row's spend, shared by list cost.
    pub effective: f64,
}

/// A priced row's lines, one per token class it has, priced as the review prices them; their
/// list costs add up to the row's list cost and their effective costs to its spend.
pub fn lines(cfg: &Config, r: &PricedRow) -> Vec<Line> {
    let model = cfg.prices.lookup(&r.model);
    let month_start = r.month.first_day();
    let quote = |t: &Tokens| {
        model.map(|m| {
            crate::pricing::quote(m, r.first_day, month_start, &r.variant, t, &r.tier)
                .0
                .total
        })
    };
    let spend = r.spend();
    let mut out: Vec<Line> = (0..CLASSES.len())
        .filter(|&i| count(&r.tokens, i) > 0)
        .map(|i| {
            let per_million = {
                let mut t = Tokens::default();
                match i {
                    0 => t.uncached_input = 1_000_000,
                    1 => t.cache_write_5m = 1_000_000,
                    2 => t.cache_write_1h = 1_000_000,
                    3 => t.cache_read = 1_000_000,
                    _ => t.output = 1_000_000,
                }
                quote(&t)
            };
            Line {
                class: Some(i),
                tokens: count(&r.tokens, i),
                unit_price: per_million,
                list: quote(&only(&r.tokens, i)).unwrap_or(0.0),
                effective: 0.0,
            }
        })
        .collect();
    if out.is_empty() {
        // A cost without tokens (a billed cell without usage), or requests without tokens.
        if spend != 0.0 || r.requests > 0 {
            out.push(Line {
                class: None,
                tokens: 0,
                unit_price: None,
                list: 0.0,
                effective: spend,
            });
        }
        return out;
    }
    let list: f64 = out.iter().map(|l| l.list).sum();
    let n = out.len();
    let mut left = spend;
    for (k, l) in out.iter_mut().enumerate() {
        // The last class takes what is left, so that the classes add up to the row's spend.
        l.effective = if k + 1 == n {
            left
        } else if list > 0.0 {
            spend * l.list / list
        } else {
            0.0
        };
        left -= l.effective;
    }
    out
}

/// The parts of a row's price variant that set its price (a modifier the model prices): their
/// SkuPriceDetails key, their value in IDs, their words in descriptions.
fn variant_parts(
    model: Option<&crate::pricing::Model>,
    r: &PricedRow,
) -> Vec<(&'static str, String, String)> {
    let v = &r.variant;
    let mut parts = Vec::new();
    let Some(model) = model else {
        return parts;
    };
    if let Some(g) = v.geo.as_deref().map(str::trim)
        && model.geo.get(g).is_some_and(|m| *m != 1.0)
    {
        parts.push((
            "x_InferenceGeo",
            g.to_owned(),
            format!("{g}-only inference"),
        ));
    }
    if v.speed.as_deref().map(str::trim) == Some("fast") && model.fast.is_some_and(|f| f != 1.0) {
        parts.push(("x_Speed", "fast".to_owned(), "fast mode".to_owned()));
    }
    if let Some(w) = v.context_window.as_deref()
        && model.long_context.is_some()
        && matches!(
            w.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_lowercase()
                .as_str(),
            "200k-1m" | ">200k"
        )
    {
        parts.push((
            "x_ContextWindow",
            "200k-1M".to_owned(),
            "long context".to_owned(),
        ));
    }
    if v.prompt_band.as_deref().map(str::trim) == Some("long") && model.band.is_some() {
        parts.push((
            "x_PromptBand",
            "long".to_owned(),
            "long-prompt band".to_owned(),
        ));
    }
    parts
}

/// The day the price of token class `class` in force on `day` took effect, when a dated row
/// changed it (None: the model's first price).
fn price_since(model: &crate::pricing::Model, class: usize, day: NaiveDate) -> Option<NaiveDate> {
    let of = |p: &crate::pricing::Price| match class {
        0 => p.input,
        1 => p.cache_write_5m,
        2 => p.cache_write_1h,
        3 => p.cache_read,
        _ => p.output,
    };
    let mut price = of(&model.price);
    let mut since = None;
    for d in model.dated.iter().take_while(|d| d.from <= day) {
        if of(&d.price) != price {
            price = of(&d.price);
            since = Some(d.from);
        }
    }
    since
}

impl Writer<'_, '_> {
    /// The row of one line of a priced row; `covered` of its effective cost is paid by the
    /// commitment.
    fn usage(
        &mut self,
        m: Month,
        r: &PricedRow,
        line: &Line,
        last: bool,
        covered: f64,
    ) -> crate::error::Result<()> {
        let cfg = self.cfg;
        let (from, to) = match r.day {
            Some(d) => (d, d + chrono::Duration::days(1)),
            None => (m.first_day(), m.next().first_day()),
        };
        let workspace = r.workspace.clone().unwrap_or_else(|| "default".to_owned());
        let key = crate::costing::model_key(cfg, &r.model);
        let mut tags = BTreeMap::new();
        tags.insert("app", r.app.as_str());
        tags.insert("team", r.team.as_str());
        let tags = serde_json::to_string(&tags).expect("tags are text");
        let model = cfg.prices.lookup(&r.model);
        let parts = variant_parts(model, r);
        let (class_key, meter, words) = match line.class {
            Some(i) => (CLASSES[i].key, CLASSES[i].meter, CLASSES[i].words),
            None => ("billed", "Billed Usage", "billed usage"),
        };
        let sku = format!("{key}:{class_key}");
        let mut price_id = format!("{sku}:{}", r.tier);
        for (_, value, _) in &parts {
            price_id.push(':');
            price_id.push_str(value);
        }
        // A dated price is a price point of its own, for the classes whose price it changed.
        if let (Some(model), Some(i)) = (model, line.class)
            && let Some(from) = price_since(model, i, r.first_day)
        {
            price_id.push_str(&format!("@{from}"));
        }
        let mut details = serde_json::Map::new();
        details.insert("x_Model".into(), key.clone().into());
        details.insert("x_ModelFamily".into(), r.family.clone().into());
        details.insert("x_TokenClass".into(), class_key.into());
        details.insert("x_ServiceTier".into(), r.tier.clone().into());
        for (name, value, _) in &parts {
            details.insert((*name).into(), value.clone().into());
        }
        let details = serde_json::Value::Object(details).to_string();
        let mut description = format!("{} {words} ({} tier", r.model, r.tier);
        for (_, _, w) in &parts {
            description.push_str(", ");
            description.push_str(w);
        }
        description.push(')');
        let n = line.tokens as f64;
        let discount = cfg.discount;
        let list = match line.unit_price {
            Some(_) => line.list,
            // No price: the billed amount is all that is known.
            None => line.effective,
        };
        let commitment = self.commitment.clone();
        self.row(m, |c| {
            c.insert("BilledCost", Cell::Dec(line.effective - covered));
            c.insert("ChargeCategory", text("Usage"));
            c.insert("ChargeDescription", text(description));
            c.insert("ChargeFrequency", text("Usage-Based"));
            c.insert("ChargePeriodStart", Cell::Day(from));
            c.insert("ChargePeriodEnd", Cell::Day(to));
            c.insert("ConsumedQuantity", Cell::Dec(n));
            c.insert("ConsumedUnit", text("Tokens"));
            c.insert("ContractedCost", Cell::Dec(list * (1.0 - discount)));
            if let Some(p) = line.unit_price {
                c.insert("ContractedUnitPrice", Cell::Dec(p * (1.0 - discount)));
                c.insert("ListUnitPrice", Cell::Dec(p));
            }
            c.insert("EffectiveCost", Cell::Dec(line.effective));
            c.insert("ListCost", Cell::Dec(list));
            c.insert("PricingQuantity", Cell::Dec(n / 1e6));
            c.insert("PricingUnit", text("1000000 Tokens"));
            c.insert(
                "PricingCategory",
                text(if covered > 0.0 {
                    "Committed"
                } else {
                    "Standard"
                }),
            );
            c.insert("SkuId", text(sku));
            c.insert("SkuMeter", text(meter));
            c.insert("SkuPriceDetails", text(details));
            c.insert("SkuPriceId", text(price_id));
            c.insert("SubAccountId", text(workspace.clone()));
            c.insert("SubAccountName", text(workspace));
            c.insert("SubAccountType", text("Workspace"));
            c.insert("Tags", text(tags));
            c.insert("x_ServiceTier", text(r.tier.clone()));
            // Requests belong to the whole call: carried once, on the row's last line (its output
            // tokens, when it has them).
            if last && r.requests > 0 {
                c.insert(
                    "x_Requests",
                    Cell::Int(i64::try_from(r.requests).unwrap_or(i64::MAX)),
                );
            }
            if covered > 0.0
                && let Some((id, name)) = commitment
            {
                c.insert("CommitmentDiscountCategory", text("Spend"));
                c.insert("CommitmentDiscountId", text(id));
                c.insert("CommitmentDiscountName", text(name));
                c.insert("CommitmentDiscountQuantity", Cell::Dec(covered));
                c.insert("CommitmentDiscountStatus", text("Used"));
                c.insert("CommitmentDiscountType", text(COMMITMENT_TYPE));
                c.insert("CommitmentDiscountUnit", text("USD"));
            }
        })
    }

    /// The month's purchase of its share of the commitment, and the share left unused.
    fn commitment(
        &mut self,
        c: &Commitment,
        m: Month,
        share: f64,
        unused: f64,
    ) -> crate::error::Result<()> {
        let (id, name) = commitment_id(c);
        let from = m.first_day().max(c.start);
        let to = m.last_day().min(c.end) + chrono::Duration::days(1);
        let label = m.first_day().format("%B %Y").to_string();
        let v1_0 = self.version == Version::V1_0;
        let fill = |r: &mut BTreeMap<&'static str, Cell>| {
            r.insert("ChargePeriodStart", Cell::Day(from));
            r.insert("ChargePeriodEnd", Cell::Day(to));
            r.insert("CommitmentDiscountCategory", text("Spend"));
            r.insert("CommitmentDiscountId", text(id.clone()));
            r.insert("CommitmentDiscountName", text(name.clone()));
            r.insert("CommitmentDiscountType", text(COMMITMENT_TYPE));
            r.insert("CommitmentDiscountUnit", text("USD"));
            r.insert("PricingCategory", text("Committed"));
            r.insert("ResourceId", text(id.clone()));
            r.insert("ResourceName", text(name.clone()));
            r.insert("ResourceType", text("Commitment"));
            r.insert("SkuId", text("anthropic:commitment:spend"));
            r.insert("SkuMeter", text(COMMITMENT_TYPE));
            r.insert("SkuPriceDetails", text("{}"));
            r.insert("SkuPriceId", text("anthropic:commitment:spend:usd"));
            r.insert("Tags", text("{}"));
        };
        self.row(m, |r| {
            fill(r);
            r.insert("BilledCost", Cell::Dec(share));
            r.insert("ChargeCategory", text("Purchase"));
            r.insert(
                "ChargeDescription",
                text(format!("{label} share of the committed spend")),
            );
            r.insert("ChargeFrequency", text("Recurring"));
            r.insert("CommitmentDiscountQuantity", Cell::Dec(share));
            r.insert("ContractedCost", Cell::Dec(share));
            r.insert("ContractedUnitPrice", Cell::Dec(share));
            r.insert("EffectiveCost", Cell::Dec(0.0));
            r.insert("ListCost", Cell::Dec(share));
            r.insert("ListUnitPrice", Cell::Dec(share));
            // Since FOCUS 1.1 the purchase itself is not a committed-price charge.
            if !v1_0 {
                r.insert("PricingCategory", text("Standard"));
            }
            r.insert("PricingQuantity", Cell::Dec(1.0));
            r.insert("PricingUnit", text("Months"));
        })?;
        if unused > 0.0 {
            self.row(m, |r| {
                fill(r);
                r.insert("BilledCost", Cell::Dec(0.0));
                r.insert("ChargeCategory", text("Usage"));
                r.insert(
                    "ChargeDescription",
                    text(format!("Unused portion of the {label} committed spend")),
                );
                r.insert("ChargeFrequency", text("Usage-Based"));
                r.insert("CommitmentDiscountQuantity", Cell::Dec(unused));
                r.insert("CommitmentDiscountStatus", text("Unused"));
                // Since FOCUS 1.1 nothing is consumed on an unused row.
                if v1_0 {
                    r.insert("ConsumedQuantity", Cell::Dec(unused));
                    r.insert("ConsumedUnit", text("USD"));
                }
                r.insert("ContractedCost", Cell::Dec(unused));
                r.insert("ContractedUnitPrice", Cell::Dec(1.0));
                r.insert("EffectiveCost", Cell::Dec(unused));
                r.insert("ListCost", Cell::Dec(unused));
                r.insert("ListUnitPrice", Cell::Dec(1.0));
                r.insert("PricingQuantity", Cell::Dec(unused));
                r.insert("PricingUnit", text("USD"));
            })?;
        }
        Ok(())
    }
}

/// A value to ten decimal places: what float arithmetic adds past them (`0.44000000000000006`)
/// is noise, and a tenth of a nano-dollar is below any price or cost.
pub fn round(v: f64) -> f64 {
    let r = (v * 1e10).round() / 1e10;
    if r.is_finite() { r + 0.0 } else { v }
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
mod tests;
