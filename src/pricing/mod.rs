//! Prices as Anthropic bills them: the price table (data, `assets/prices.toml`, with the
//! configuration's `[pricing.models]` on top), model IDs matched to its entries, and a row's list
//! cost walked step by step from the base price through dated prices, prompt-length bands, long
//! context, fast mode, data residency and the Batch API.
//!
//! A model the table does not price is an error that names it, never a silent $0.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

pub mod table;

pub use table::{RawModel, builtin};

/// Token counts by class, as the metric contract names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tokens {
    /// Uncached input tokens (U).
    pub uncached_input: u64,
    /// 5-minute cache writes (W5).
    pub cache_write_5m: u64,
    /// 1-hour cache writes (W1).
    pub cache_write_1h: u64,
    /// Cache reads (R).
    pub cache_read: u64,
    /// Output tokens (O).
    pub output: u64,
}

impl Tokens {
    /// Counts in the contract's order: U, W5, W1, R, O.
    #[cfg(test)]
    pub const fn new(u: u64, w5: u64, w1: u64, r: u64, o: u64) -> Tokens {
        Tokens {
            uncached_input: u,
            cache_write_5m: w5,
            cache_write_1h: w1,
            cache_read: r,
            output: o,
        }
    }

    /// All input tokens: U + W5 + W1 + R.
    pub fn input(&self) -> u64 {
        self.uncached_input + self.cache_write_5m + self.cache_write_1h + self.cache_read
    }

    /// All tokens: U + W5 + W1 + R + O.
    pub fn total(&self) -> u64 {
        self.input() + self.output
    }

    /// Adds another set of counts to this one.
    pub fn add(&mut self, other: &Tokens) {
        self.uncached_input += other.uncached_input;
        self.cache_write_5m += other.cache_write_5m;
        self.cache_write_1h += other.cache_write_1h;
        self.cache_read += other.cache_read;
        self.output += other.output;
    }
}

/// Prices of one model in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Price {
    /// Uncached input.
    pub input: f64,
    /// 5-minute cache write.
    pub cache_write_5m: f64,
    /// 1-hour cache write.
    pub cache_write_1h: f64,
    /// Cache read.
    pub cache_read: f64,
    /// Output.
    pub output: f64,
}

impl Price {
    /// Prices in the contract's order: input, 5-minute write, 1-hour write, read, output.
    pub const fn new(input: f64, w5: f64, w1: f64, read: f64, output: f64) -> Self {
        Price {
            input,
            cache_write_5m: w5,
            cache_write_1h: w1,
            cache_read: read,
            output,
        }
    }

    /// The five prices in the contract's order.
    pub fn as_array(&self) -> [f64; 5] {
        [
            self.input,
            self.cache_write_5m,
            self.cache_write_1h,
            self.cache_read,
            self.output,
        ]
    }

    /// List cost in USD of these tokens at this price, before the batch discount.
    ///
    /// Computed in integer pico-dollars (prices are held to 1e-6 USD per million tokens), so a sum
    /// of many rows is exact until the final conversion.
    pub fn cost(&self, t: &Tokens) -> f64 {
        let micro = |p: f64| (p * 1e6).round() as i128;
        let pico = t.uncached_input as i128 * micro(self.input)
            + t.cache_write_5m as i128 * micro(self.cache_write_5m)
            + t.cache_write_1h as i128 * micro(self.cache_write_1h)
            + t.cache_read as i128 * micro(self.cache_read)
            + t.output as i128 * micro(self.output);
        pico as f64 / 1e12
    }

    /// The input prices times `input`, the output price times `output`.
    fn scaled(&self, input: f64, output: f64) -> Price {
        Price::new(
            self.input * input,
            self.cache_write_5m * input,
            self.cache_write_1h * input,
            self.cache_read * input,
            self.output * output,
        )
    }
}

/// The largest price per million tokens the price table accepts: $10,000 (no model comes close;
/// larger values are prices per token or per thousand written as per million).
pub const MAX_PRICE: f64 = 10_000.0;

/// The batch discount: rows of the `batch` service tier cost half the list price.
pub const BATCH_FACTOR: f64 = 0.5;

/// A prompt-length band: a request whose prompt passes `above` tokens pays `price` on every token.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    /// Prompt tokens (input, cache reads and writes) above which the band applies.
    pub above: u64,
    /// The band's prices.
    pub price: Price,
}

/// Long-context pricing: requests over `above` input tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LongContext {
    /// Input tokens above which a request is long.
    pub above: u64,
    /// Multiplier of the four input classes.
    pub input: f64,
    /// Multiplier of output.
    pub output: f64,
}

/// Prices in force from a day on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dated {
    /// The first day these prices apply.
    pub from: NaiveDate,
    /// The five prices from that day.
    pub price: Price,
    /// The page they were checked against.
    pub source: String,
    /// Where a figure came from other than the source page.
    pub note: Option<String>,
}

/// One model of the price table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// The key IDs are matched to (`claude-opus-5-5`).
    pub key: String,
    /// Model-mix family.
    pub family: String,
    /// Tokenizer generation (1: before Claude 4.7; 2: Claude 4.7 and later).
    pub tokenizer: u8,
    /// Prices before the first dated row.
    pub price: Price,
    /// Prices from later days, in order.
    pub dated: Vec<Dated>,
    /// A prompt-length band, if the model has one.
    pub band: Option<Band>,
    /// Multipliers by `inference_geo`.
    pub geo: BTreeMap<String, f64>,
    /// Fast-mode multiplier.
    pub fast: Option<f64>,
    /// Long-context pricing.
    pub long_context: Option<LongContext>,
    /// The page the prices were checked against.
    pub source: String,
    /// Where a figure came from other than the source page.
    pub note: Option<String>,
}

impl Model {
    /// The prices in force on `day`.
    pub fn price_on(&self, day: NaiveDate) -> Price {
        self.dated
            .iter()
            .rev()
            .find(|d| d.from <= day)
            .map_or(self.price, |d| d.price)
    }
}

/// The dimensions of usage that change its price, as the data gives them (`None`: not given).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Variant {
    /// `inference_geo`: `global`, `us`, `not_available`.
    pub geo: Option<String>,
    /// `speed`: `standard`, `fast`.
    pub speed: Option<String>,
    /// `context_window`: `0-200k`, `200k-1M`.
    pub context_window: Option<String>,
    /// `prompt_band`: `base`, `long` (the prompt passed the model's band).
    pub prompt_band: Option<String>,
}

/// A row's list cost in steps: each is what its modifier added (or, for the batch tier, took
/// off) on top of the ones before. They add up to [`Quote::list`] (within float rounding).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Quote {
    /// Tokens at the model's base prices in force on the first day of the row's month.
    pub base: f64,
    /// Prices changed during the month (a dated row in force on the row's day).
    pub dated: f64,
    /// The prompt-length band.
    pub band: f64,
    /// Long context.
    pub long_context: f64,
    /// Fast mode.
    pub fast: f64,
    /// Data residency (US-only inference).
    pub geo: f64,
    /// The Batch API's half price (negative).
    pub batch: f64,
    /// The list cost, computed at once (the steps add up to it within rounding).
    pub total: f64,
}

impl Quote {
    /// The list cost.
    pub fn list(&self) -> f64 {
        self.total
    }

    /// Adds another quote's steps.
    pub fn add(&mut self, o: &Quote) {
        self.total += o.total;
        self.base += o.base;
        self.dated += o.dated;
        self.band += o.band;
        self.long_context += o.long_context;
        self.fast += o.fast;
        self.geo += o.geo;
        self.batch += o.batch;
    }
}

/// A value of a price dimension the table has no price for: priced without it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unpriced {
    /// The dimension (`speed`, `inference_geo`, `context_window`, `prompt_band`).
    pub dimension: &'static str,
    /// The value as given.
    pub value: String,
}

/// The list cost of `tokens` of `model` on `day` (a day of the month that starts on
/// `month_start`), in `variant` and `tier`, with the values it could not price.
pub fn quote(
    model: &Model,
    day: NaiveDate,
    month_start: NaiveDate,
    variant: &Variant,
    tokens: &Tokens,
    tier: &str,
) -> (Quote, Vec<Unpriced>) {
    let mut unpriced = Vec::new();
    let mut miss = |dimension: &'static str, value: &str| {
        unpriced.push(Unpriced {
            dimension,
            value: value.to_owned(),
        })
    };
    let base = model.price_on(month_start).cost(tokens);
    let mut price = model.price_on(day);
    let dated_cost = price.cost(tokens);
    // Prompt-length band.
    match variant.prompt_band.as_deref().map(str::trim) {
        None | Some("" | "base") => {}
        Some("long") => match &model.band {
            Some(b) => price = b.price,
            None => miss("prompt_band", "long"),
        },
        Some(other) => miss("prompt_band", other),
    }
    let band_cost = price.cost(tokens);
    // Long context.
    // The API says `0-200k` / `200k-1M`; Console exports `≤ 200k` / `> 200k`.
    let window: Option<String> = variant.context_window.as_deref().map(|w| {
        w.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase()
    });
    match window.as_deref() {
        None | Some("" | "0-200k" | "≤200k" | "<=200k") => {}
        Some("200k-1m" | ">200k") => {
            // Models without a surcharge bill long requests at their usual prices.
            if let Some(l) = &model.long_context {
                price = price.scaled(l.input, l.output);
            }
        }
        Some(other) => miss("context_window", other),
    }
    let long_cost = price.cost(tokens);
    // Fast mode.
    let mut factor = 1.0;
    match variant.speed.as_deref().map(str::trim) {
        None | Some("" | "standard") => {}
        Some("fast") => match model.fast {
            Some(f) => factor = f,
            None => miss("speed", "fast"),
        },
        Some(other) => miss("speed", other),
    }
    let fast_cost = long_cost * factor;
    // Data residency.
    match variant.geo.as_deref().map(str::trim) {
        None | Some("" | "global" | "not_available") => {}
        Some(g) => match model.geo.get(g) {
            Some(m) => factor *= m,
            None => miss("inference_geo", g),
        },
    }
    let geo_cost = long_cost * factor;
    let batch_cost = if tier == "batch" {
        geo_cost * BATCH_FACTOR
    } else {
        geo_cost
    };
    (
        Quote {
            base,
            dated: dated_cost - base,
            band: band_cost - dated_cost,
            long_context: long_cost - band_cost,
            fast: fast_cost - long_cost,
            geo: geo_cost - fast_cost,
            batch: batch_cost - geo_cost,
            total: batch_cost,
        },
        unpriced,
    )
}

/// The price table: models by key, and the tokenizer generations' ratio.
#[derive(Debug, Clone)]
pub struct PriceTable {
    models: BTreeMap<String, Model>,
    /// Tokens generation 2 counts for one token of generation 1.
    pub tokenizer_ratio: f64,
}

/// Provider prefixes before an ID (`anthropic.`, `us.anthropic.`, ...), and suffixes after it
/// that do not change the price (`-v1:0` on Bedrock, `[1m]` in Claude Code's logs).
fn normalise(id: &str) -> &str {
    let id = id.trim();
    let id = match id.find("claude-") {
        Some(i) if id[..i].ends_with('.') || i == 0 => &id[i..],
        _ => id,
    };
    id.strip_suffix("[1m]").unwrap_or(id)
}

/// Whether what follows a key in an ID leaves the key's price in force: nothing, a date
/// (`-20251101`, `@20251101`), a provider's suffix (see [`provider_suffix`]), or a date and a
/// provider's suffix. A further version number (`-5` of `claude-opus-5-5`) never does.
fn same_model(rest: &str) -> bool {
    let date = |s: &str| {
        s.len() >= 8
            && s.as_bytes()[..8].iter().all(u8::is_ascii_digit)
            && !s.as_bytes().get(8).is_some_and(u8::is_ascii_digit)
    };
    if rest.is_empty() || provider_suffix(rest) {
        return true;
    }
    match rest.split_at(1) {
        ("@" | "-", r) => date(r) && provider_suffix(&r[8..]),
        _ => false,
    }
}

/// What may end an ID without changing its price: nothing, a Bedrock version (`-v1:0`, `:0`),
/// `-latest`, or Foundry's `-fast` (fast mode named in the ID).
fn provider_suffix(s: &str) -> bool {
    s.is_empty()
        || s == "-latest"
        || s == "-fast"
        || s.starts_with(':')
        || s.strip_prefix("-v")
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
}

impl PriceTable {
    /// A table from its models.
    pub fn new(models: Vec<Model>, tokenizer_ratio: f64) -> Self {
        PriceTable {
            models: models.into_iter().map(|m| (m.key.clone(), m)).collect(),
            tokenizer_ratio,
        }
    }

    /// The model an ID is priced as: the longest key the ID starts with where what follows is
    /// nothing, a date suffix or a provider's suffix (see [`same_model`]).
    pub fn lookup(&self, id: &str) -> Option<&Model> {
        let id = normalise(id);
        self.models
            .values()
            .filter(|m| id.strip_prefix(m.key.as_str()).is_some_and(same_model))
            .max_by_key(|m| m.key.len())
    }

    /// Whether an ID says fast mode itself (Foundry's `-fast` IDs).
    pub fn fast_id(id: &str) -> bool {
        normalise(id).ends_with("-fast")
    }

    /// Every model, by key.
    pub fn models(&self) -> impl Iterator<Item = &Model> {
        self.models.values()
    }

    /// Days on which some price changes (dated rows): a month holding one is summed in parts.
    pub fn price_changes(&self) -> Vec<NaiveDate> {
        let mut days: Vec<NaiveDate> = self
            .models
            .values()
            .flat_map(|m| m.dated.iter().map(|d| d.from))
            .collect();
        days.sort();
        days.dedup();
        days
    }

    /// How many tokens `to` counts for one token of `from` (the tokenizer generations' ratio,
    /// 1 within a generation).
    pub fn token_ratio(&self, from: &Model, to: &Model) -> f64 {
        self.generation_ratio(from.tokenizer, to.tokenizer)
    }

    /// How many tokens tokenizer generation `to` counts for one token of generation `from`.
    pub fn generation_ratio(&self, from: u8, to: u8) -> f64 {
        match to.cmp(&from) {
            std::cmp::Ordering::Equal => 1.0,
            std::cmp::Ordering::Greater => self.tokenizer_ratio,
            std::cmp::Ordering::Less => 1.0 / self.tokenizer_ratio,
        }
    }
}

/// Maps a model ID to its family: a configured prefix rule first, then the price table's
/// family, then the family its name says (opus, sonnet, haiku, fable, mythos), else `other`.
#[derive(Debug, Clone, Default)]
pub struct FamilyRules {
    /// Configured prefix → family rules; the longest matching prefix wins.
    prefixes: BTreeMap<String, String>,
}

/// The family of models that match no rule.
pub const OTHER_FAMILY: &str = "other";

/// Families a model's name can say.
const NAMED_FAMILIES: [&str; 5] = ["opus", "sonnet", "haiku", "fable", "mythos"];

impl FamilyRules {
    /// Rules from configured prefix → family pairs.
    pub fn new(prefixes: BTreeMap<String, String>) -> Self {
        FamilyRules { prefixes }
    }

    /// The family of a model.
    pub fn family(&self, model: &str, table: &PriceTable) -> String {
        if let Some((_, fam)) = self
            .prefixes
            .iter()
            .filter(|(p, _)| model.starts_with(p.as_str()))
            .max_by_key(|(p, _)| p.len())
        {
            return fam.clone();
        }
        if let Some(m) = table.lookup(model) {
            return m.family.clone();
        }
        let lower = model.to_ascii_lowercase();
        NAMED_FAMILIES
            .iter()
            .find(|f| lower.contains(*f))
            .map_or_else(|| OTHER_FAMILY.to_owned(), |f| (*f).to_owned())
    }
}

#[cfg(test)]
mod tests;
