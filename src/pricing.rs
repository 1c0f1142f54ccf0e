//! Prices and model families.
//!
//! Built-in list prices (USD per million tokens) are matched by the longest model-ID prefix, so a
//! dated ID (`claude-sonnet-4-5-20250929`) and its undated alias (`claude-sonnet-4-5`) price alike.
//! Every entry can be overridden and new models added in the configuration. A model without a
//! price is an error, never a silent $0.

use std::collections::BTreeMap;

use serde::Serialize;

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
    const fn new(input: f64, w5: f64, w1: f64, read: f64, output: f64) -> Self {
        Price {
            input,
            cache_write_5m: w5,
            cache_write_1h: w1,
            cache_read: read,
            output,
        }
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
}

/// The batch discount: rows of the `batch` service tier cost half the list price.
pub const BATCH_FACTOR: f64 = 0.5;

/// List cost of a row: token cost at the model's price, times 0.5 for the `batch` tier.
pub fn list_cost(price: &Price, tokens: &Tokens, tier: &str) -> f64 {
    let cost = price.cost(tokens);
    if tier == "batch" {
        cost * BATCH_FACTOR
    } else {
        cost
    }
}

/// Built-in list prices, USD per million tokens, by model-ID prefix.
pub fn builtin_prices() -> BTreeMap<String, Price> {
    let opus_new = Price::new(5.0, 6.25, 10.0, 0.50, 25.0);
    let opus_old = Price::new(15.0, 18.75, 30.0, 1.50, 75.0);
    let sonnet = Price::new(3.0, 3.75, 6.0, 0.30, 15.0);
    let sonnet5 = Price::new(2.0, 2.50, 4.0, 0.20, 10.0);
    let haiku45 = Price::new(1.0, 1.25, 2.0, 0.10, 5.0);
    let haiku35 = Price::new(0.80, 1.0, 1.60, 0.08, 4.0);
    let haiku3 = Price::new(0.25, 0.30, 0.50, 0.03, 1.25);
    let table: [(&str, Price); 19] = [
        ("claude-opus-4-5", opus_new),
        ("claude-opus-4-6", opus_new),
        ("claude-opus-4-7", opus_new),
        ("claude-opus-4-8", opus_new),
        ("claude-opus-5", opus_new),
        ("claude-opus-4-1", opus_old),
        ("claude-opus-4-0", opus_old),
        ("claude-opus-4-20250514", opus_old),
        ("claude-3-opus", opus_old),
        ("claude-sonnet-4-5", sonnet),
        ("claude-sonnet-4-6", sonnet),
        ("claude-sonnet-4-0", sonnet),
        ("claude-sonnet-4-20250514", sonnet),
        ("claude-3-7-sonnet", sonnet),
        ("claude-sonnet-5", sonnet5),
        ("claude-haiku-4-5", haiku45),
        ("claude-3-5-haiku", haiku35),
        ("claude-3-haiku", haiku3),
        ("claude-haiku-3", haiku3),
    ];
    table.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// A price table: built-in entries merged with the configuration's.
#[derive(Debug, Clone)]
pub struct PriceTable {
    entries: BTreeMap<String, Price>,
}

impl PriceTable {
    /// A table from prefix entries.
    pub fn new(entries: BTreeMap<String, Price>) -> Self {
        PriceTable { entries }
    }

    /// The price of `model`, by the longest prefix that matches, with the prefix that matched.
    pub fn lookup(&self, model: &str) -> Option<(&str, &Price)> {
        self.entries
            .iter()
            .filter(|(prefix, _)| model.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(k, v)| (k.as_str(), v))
    }
}

/// Maps a model ID to its family (opus, sonnet, haiku, or one the configuration names).
#[derive(Debug, Clone, Default)]
pub struct FamilyRules {
    /// Configured prefix → family rules; the longest matching prefix wins over the built-in rules.
    prefixes: BTreeMap<String, String>,
}

/// The family of models that match no rule.
pub const OTHER_FAMILY: &str = "other";

impl FamilyRules {
    /// Rules from configured prefix → family pairs.
    pub fn new(prefixes: BTreeMap<String, String>) -> Self {
        FamilyRules { prefixes }
    }

    /// The family of a model: a configured prefix first, then `opus` / `sonnet` / `haiku` by name,
    /// else [`OTHER_FAMILY`].
    pub fn family(&self, model: &str) -> String {
        if let Some((_, fam)) = self
            .prefixes
            .iter()
            .filter(|(p, _)| model.starts_with(p.as_str()))
            .max_by_key(|(p, _)| p.len())
        {
            return fam.clone();
        }
        let lower = model.to_ascii_lowercase();
        for fam in ["opus", "sonnet", "haiku"] {
            if lower.contains(fam) {
                return fam.to_owned();
            }
        }
        OTHER_FAMILY.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(u: u64, w5: u64, w1: u64, r: u64, o: u64) -> Tokens {
        Tokens::new(u, w5, w1, r, o)
    }

    #[test]
    fn sonnet_cost_by_token_class() {
        // 1M uncached at $3 + 1M 5m writes at $3.75 + 1M 1h writes at $6 + 1M reads at $0.30
        // + 1M output at $15 = $28.05
        let table = PriceTable::new(builtin_prices());
        let (_, p) = table.lookup("claude-sonnet-4-5-20250929").unwrap();
        let c = list_cost(
            p,
            &t(1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000),
            "standard",
        );
        assert!((c - 28.05).abs() < 1e-12, "{c}");
    }

    #[test]
    fn cache_write_prices_differ_from_input() {
        // Opus 4.5: 200k 5m writes at $6.25/M = $1.25; 100k 1h writes at $10/M = $1.00.
        let table = PriceTable::new(builtin_prices());
        let (_, p) = table.lookup("claude-opus-4-5").unwrap();
        assert!((p.cost(&t(0, 200_000, 0, 0, 0)) - 1.25).abs() < 1e-12);
        assert!((p.cost(&t(0, 0, 100_000, 0, 0)) - 1.00).abs() < 1e-12);
        // claude-3-haiku does not follow the 1.25x rule of thumb: $0.30, not $0.3125.
        let (_, h) = table.lookup("claude-3-haiku-20240307").unwrap();
        assert!((h.cost(&t(0, 1_000_000, 0, 0, 0)) - 0.30).abs() < 1e-12);
    }

    #[test]
    fn batch_tier_is_half_price() {
        // Haiku 4.5: 2M input at $1 + 400k output at $5 = $2 + $2 = $4; batch: $2.
        let table = PriceTable::new(builtin_prices());
        let (_, p) = table.lookup("claude-haiku-4-5-20251001").unwrap();
        let tokens = t(2_000_000, 0, 0, 0, 400_000);
        assert!((list_cost(p, &tokens, "standard") - 4.0).abs() < 1e-12);
        assert!((list_cost(p, &tokens, "batch") - 2.0).abs() < 1e-12);
        assert!((list_cost(p, &tokens, "priority") - 4.0).abs() < 1e-12);
    }

    #[test]
    fn longest_prefix_wins() {
        let table = PriceTable::new(builtin_prices());
        // claude-opus-4-1 is the old $15 price; claude-opus-4-5 the new $5 one.
        assert_eq!(
            table.lookup("claude-opus-4-1-20250805").unwrap().1.input,
            15.0
        );
        assert_eq!(
            table.lookup("claude-opus-4-5-20251101").unwrap().1.input,
            5.0
        );
        assert_eq!(
            table.lookup("claude-opus-4-20250514").unwrap().1.input,
            15.0
        );
        assert_eq!(
            table.lookup("claude-3-5-haiku-20241022").unwrap().0,
            "claude-3-5-haiku"
        );
        // A configured, longer prefix overrides a built-in one.
        let mut entries = builtin_prices();
        entries.insert(
            "claude-sonnet-4-5-20250929".into(),
            Price::new(2.4, 3.0, 4.8, 0.24, 12.0),
        );
        let table = PriceTable::new(entries);
        assert_eq!(
            table.lookup("claude-sonnet-4-5-20250929").unwrap().1.input,
            2.4
        );
        assert_eq!(table.lookup("claude-sonnet-4-5").unwrap().1.input, 3.0);
    }

    #[test]
    fn unknown_model_has_no_price() {
        let table = PriceTable::new(builtin_prices());
        assert!(table.lookup("claude-mythos-1").is_none());
        // A future Opus 4.x minor is not silently priced as the old Opus 4.
        assert!(table.lookup("claude-opus-4-9").is_none());
    }

    #[test]
    fn cost_is_exact_for_large_sums() {
        // 123,456,789,012 cache reads at $0.08/M... use claude-3-5-haiku read price $0.08:
        // 123456789012 * 0.08 / 1e6 = 9876.54312096
        let table = PriceTable::new(builtin_prices());
        let (_, p) = table.lookup("claude-3-5-haiku").unwrap();
        let c = p.cost(&t(0, 0, 0, 123_456_789_012, 0));
        assert!((c - 9_876.543_120_96).abs() < 1e-9, "{c}");
    }

    #[test]
    fn families_by_name_and_config() {
        let mut rules = BTreeMap::new();
        rules.insert("claude-mythos".to_owned(), "mythos".to_owned());
        rules.insert("claude-haiku-4-5-tuned".to_owned(), "tuned".to_owned());
        let f = FamilyRules::new(rules);
        assert_eq!(f.family("claude-opus-4-5"), "opus");
        assert_eq!(f.family("claude-3-5-haiku-20241022"), "haiku");
        assert_eq!(f.family("claude-sonnet-5"), "sonnet");
        assert_eq!(f.family("claude-mythos-1"), "mythos");
        assert_eq!(f.family("claude-haiku-4-5-tuned-7"), "tuned");
        assert_eq!(f.family("gpt-9"), OTHER_FAMILY);
    }
}
