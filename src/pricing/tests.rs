use super::*;

fn t(u: u64, w5: u64, w1: u64, r: u64, o: u64) -> Tokens {
    Tokens::new(u, w5, w1, r, o)
}

fn table() -> PriceTable {
    let (models, ratio) = builtin().unwrap();
    PriceTable::new(models, ratio)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn quote_of(id: &str, on: &str, v: Variant, tokens: Tokens, tier: &str) -> (Quote, Vec<Unpriced>) {
    let tb = table();
    let m = tb.lookup(id).unwrap_or_else(|| panic!("{id} has a price"));
    let d = day(on);
    let start = crate::month::Month::of(d).first_day();
    quote(m, d, start, &v, &tokens, tier)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// One million tokens of each class of every model in the table, against the five prices of its
/// cited page added by hand (input + 5m write + 1h write + read + output).
#[test]
fn every_model_prices_a_million_of_each_class_as_its_page_gives() {
    let m = 1_000_000;
    let each = t(m, m, m, m, m);
    let expected: &[(&str, f64)] = &[
        // Fable 5.2: 8 + 10 + 16 + 0.20 + 40
        ("claude-fable-5-2", 74.20),
        // Fable 5.1: 10 + 12.50 + 20 + 0.25 + 50
        ("claude-fable-5-1", 92.75),
        // Fable 5: 10 + 12.50 + 20 + 1 + 50
        ("claude-fable-5", 93.50),
        ("claude-mythos-5-2", 74.20),
        ("claude-mythos-5-1", 92.75),
        ("claude-mythos-5", 93.50),
        // Opus 5.5: 4 + 5 + 8 + 0.20 + 20
        ("claude-opus-5-5", 37.20),
        // Opus 4.5 to 5: 5 + 6.25 + 10 + 0.50 + 25
        ("claude-opus-5", 46.75),
        ("claude-opus-4-8", 46.75),
        ("claude-opus-4-7", 46.75),
        ("claude-opus-4-6", 46.75),
        ("claude-opus-4-5-20251101", 46.75),
        // Opus 4 / 4.1 / 3: 15 + 18.75 + 30 + 1.50 + 75
        ("claude-opus-4-1-20250805", 140.25),
        ("claude-opus-4-20250514", 140.25),
        ("claude-opus-4-0", 140.25),
        ("claude-3-opus-20240229", 140.25),
        // Sonnet 5.5 after its cut of 2026-10-07: 2 + 2.50 + 4 + 0.10 + 10
        ("claude-sonnet-5-5", 18.60),
        // Sonnet 5: 2 + 2.50 + 4 + 0.20 + 10
        ("claude-sonnet-5", 18.70),
        // Sonnet 4 to 4.6 and 3.7: 3 + 3.75 + 6 + 0.30 + 15
        ("claude-sonnet-4-6", 28.05),
        ("claude-sonnet-4-5-20250929", 28.05),
        ("claude-sonnet-4-20250514", 28.05),
        ("claude-sonnet-4-0", 28.05),
        ("claude-3-7-sonnet-20250219", 28.05),
        // Haiku 5.5 (its base band): 0.10 + 0.125 + 0.20 + 0.01 + 0.50
        ("claude-haiku-5-5", 0.935),
        // Haiku 4.5: 1 + 1.25 + 2 + 0.10 + 5
        ("claude-haiku-4-5-20251001", 9.35),
        // Haiku 3.5: 0.80 + 1 + 1.60 + 0.08 + 4
        ("claude-3-5-haiku-20241022", 7.48),
        // Haiku 3: 0.25 + 0.30 + 0.50 + 0.03 + 1.25
        ("claude-3-haiku-20240307", 2.33),
    ];
    let tb = table();
    for (id, usd) in expected {
        let model = tb.lookup(id).unwrap_or_else(|| panic!("{id}"));
        let got = model.price_on(day("2026-11-01")).cost(&each);
        assert!(close(got, *usd), "{id}: {got} != {usd}");
    }
    // Every model of the table is in the list above (by the key it matched).
    let covered: std::collections::BTreeSet<&str> = expected
        .iter()
        .map(|(id, _)| tb.lookup(id).unwrap().key.as_str())
        .collect();
    for m in tb.models() {
        assert!(
            covered.contains(m.key.as_str()),
            "{} has no hand-computed row",
            m.key
        );
    }
}

#[test]
fn sonnet_5_5_cache_reads_follow_the_cut_of_2026_10_07() {
    // 10M cache reads: $0.20/M on the 6th = $2.00, $0.10/M from the 7th = $1.00.
    let reads = t(0, 0, 0, 10_000_000, 0);
    let (q6, _) = quote_of(
        "claude-sonnet-5-5",
        "2026-10-06",
        Variant::default(),
        reads,
        "standard",
    );
    let (q7, _) = quote_of(
        "claude-sonnet-5-5",
        "2026-10-07",
        Variant::default(),
        reads,
        "standard",
    );
    assert!(close(q6.list(), 2.00) && close(q6.dated, 0.0), "{q6:?}");
    assert!(close(q7.list(), 1.00), "{q7:?}");
    // The month's first-day price is the base; the cut is its own step.
    assert!(close(q7.base, 2.00) && close(q7.dated, -1.00), "{q7:?}");
    // Sonnet 5.5 a million of each class after the cut: 2 + 2.50 + 4 + 0.10 + 10.
    let m = 1_000_000;
    let (q, _) = quote_of(
        "claude-sonnet-5-5",
        "2026-11-02",
        Variant::default(),
        t(m, m, m, m, m),
        "standard",
    );
    assert!(close(q.list(), 18.60), "{q:?}");
}

#[test]
fn haiku_5_5_prices_long_prompts_at_its_upper_band_on_every_token() {
    // 2M input + 1M output in the base band: 2 x 0.10 + 1 x 0.50 = $0.70.
    let tokens = t(2_000_000, 0, 0, 400_000, 1_000_000);
    let (base, _) = quote_of(
        "claude-haiku-5-5",
        "2026-11-02",
        Variant::default(),
        tokens,
        "standard",
    );
    // + 0.4M reads at $0.01 = $0.004.
    assert!(close(base.list(), 0.704), "{base:?}");
    let long = Variant {
        prompt_band: Some("long".into()),
        ..Variant::default()
    };
    let (q, unpriced) = quote_of("claude-haiku-5-5", "2026-11-02", long, tokens, "standard");
    // 2 x 0.50 + 0.4 x 0.05 + 1 x 2.50 = $3.52; the band adds $2.816.
    assert!(close(q.list(), 3.52) && close(q.band, 2.816), "{q:?}");
    assert!(unpriced.is_empty());
}

#[test]
fn opus_5_5_reads_cache_at_a_twentieth_of_input() {
    // 10M cache reads at $0.20 = $2.00 (Opus 5 would be $5.00).
    let (q, _) = quote_of(
        "claude-opus-5-5",
        "2026-11-02",
        Variant::default(),
        t(0, 0, 0, 10_000_000, 0),
        "standard",
    );
    assert!(close(q.list(), 2.00), "{q:?}");
}

#[test]
fn residency_fast_mode_long_context_and_batch_are_each_a_step() {
    let m = 1_000_000;
    // Opus 4.6, US-only: (5 + 25) x 1.1 = $33.00 for 1M input and 1M output.
    let us = Variant {
        geo: Some("us".into()),
        ..Variant::default()
    };
    let (q, _) = quote_of(
        "claude-opus-4-6",
        "2026-11-02",
        us,
        t(m, 0, 0, 0, m),
        "standard",
    );
    assert!(close(q.list(), 33.0) && close(q.geo, 3.0), "{q:?}");
    // Opus 4.6 in fast mode: 6 x $30 = $180; the fast step is $150.
    let fast = Variant {
        speed: Some("fast".into()),
        ..Variant::default()
    };
    let (q, _) = quote_of(
        "claude-opus-4-6",
        "2026-11-02",
        fast.clone(),
        t(m, 0, 0, 0, m),
        "standard",
    );
    assert!(close(q.list(), 180.0) && close(q.fast, 150.0), "{q:?}");
    // Opus 5.5 fast and US-only: (4 + 20) x 2 x 1.1 = $52.80.
    let both = Variant {
        speed: Some("fast".into()),
        geo: Some("us".into()),
        ..Variant::default()
    };
    let (q, _) = quote_of(
        "claude-opus-5-5",
        "2026-11-02",
        both,
        t(m, 0, 0, 0, m),
        "standard",
    );
    assert!(
        close(q.list(), 52.8) && close(q.fast, 24.0) && close(q.geo, 4.8),
        "{q:?}"
    );
    // Sonnet 4.5 over 200K: input x2, output x1.5: 2 x 3 + 1.5 x 15 = $28.50; batch halves it.
    let long = Variant {
        context_window: Some("200k-1M".into()),
        ..Variant::default()
    };
    let (q, _) = quote_of(
        "claude-sonnet-4-5",
        "2026-11-02",
        long.clone(),
        t(m, 0, 0, 0, m),
        "batch",
    );
    assert!(
        close(q.list(), 14.25) && close(q.long_context, 10.5) && close(q.batch, -14.25),
        "{q:?}"
    );
    // The Console's spellings mean the same: `> 200k` is long context, `≤ 200k` the usual price.
    for (window, want) in [("> 200k", 28.5), ("≤ 200k", 18.0), ("<= 200k", 18.0)] {
        let (q, u) = quote_of(
            "claude-sonnet-4-5",
            "2026-11-02",
            Variant {
                context_window: Some(window.into()),
                ..Variant::default()
            },
            t(m, 0, 0, 0, m),
            "standard",
        );
        assert!(
            close(q.list(), want) && u.is_empty(),
            "{window}: {q:?} {u:?}"
        );
    }
    // Sonnet 5.5 has no long-context surcharge.
    let (q, u) = quote_of(
        "claude-sonnet-5-5",
        "2026-11-02",
        long,
        t(m, 0, 0, 0, m),
        "standard",
    );
    assert!(close(q.list(), 12.0) && u.is_empty(), "{q:?}");
    // A value the table has no price for is priced without it, and named.
    let odd = Variant {
        speed: Some("turbo".into()),
        geo: Some("eu".into()),
        ..Variant::default()
    };
    let (q, u) = quote_of(
        "claude-opus-4-6",
        "2026-11-02",
        odd,
        t(m, 0, 0, 0, m),
        "standard",
    );
    assert!(close(q.list(), 30.0), "{q:?}");
    assert_eq!(
        u.iter()
            .map(|x| (x.dimension, x.value.as_str()))
            .collect::<Vec<_>>(),
        [("speed", "turbo"), ("inference_geo", "eu")]
    );
    // Fast mode on Sonnet (which has none) is named too.
    let (_, u) = quote_of(
        "claude-sonnet-4-6",
        "2026-11-02",
        fast,
        t(m, 0, 0, 0, m),
        "standard",
    );
    assert_eq!(u.len(), 1);
}

#[test]
fn ids_match_the_longest_key_that_ends_at_a_separator_or_a_date() {
    let tb = table();
    let key = |id: &str| tb.lookup(id).map(|m| m.key.clone());
    assert_eq!(
        key("claude-opus-5-5-20261015").as_deref(),
        Some("claude-opus-5-5")
    );
    assert_eq!(key("claude-opus-5-5").as_deref(), Some("claude-opus-5-5"));
    assert_eq!(key("claude-opus-5").as_deref(), Some("claude-opus-5"));
    assert_eq!(
        key("claude-sonnet-5-5").as_deref(),
        Some("claude-sonnet-5-5")
    );
    assert_eq!(key("claude-fable-5-2").as_deref(), Some("claude-fable-5-2"));
    assert_eq!(
        key("claude-opus-4-5-20251101").as_deref(),
        Some("claude-opus-4-5")
    );
    assert_eq!(
        key("claude-opus-4-20250514").as_deref(),
        Some("claude-opus-4-20250514")
    );
    assert_eq!(
        key("claude-3-5-haiku-20241022").as_deref(),
        Some("claude-3-5-haiku")
    );
    assert_eq!(
        key("anthropic.claude-sonnet-4-5-20250929-v1:0").as_deref(),
        Some("claude-sonnet-4-5")
    );
    assert_eq!(
        key("us.anthropic.claude-haiku-4-5-20251001-v1:0").as_deref(),
        Some("claude-haiku-4-5")
    );
    assert_eq!(
        key("claude-sonnet-4-5@20250929").as_deref(),
        Some("claude-sonnet-4-5")
    );
    assert_eq!(
        key("claude-opus-5-5[1m]").as_deref(),
        Some("claude-opus-5-5")
    );
    assert_eq!(
        key("claude-3-7-sonnet-latest").as_deref(),
        Some("claude-3-7-sonnet")
    );
    // A further version never falls back to an older model's price.
    assert_eq!(key("claude-opus-4-9"), None);
    assert_eq!(key("claude-opus-5-6"), None);
    assert_eq!(key("claude-sonnet-5-5-1"), None);
    assert_eq!(key("claude-haiku-4-5-tuned"), None);
    assert_eq!(key("gpt-9"), None);
    assert!(PriceTable::fast_id("claude-opus-5-5-fast"));
    assert_eq!(
        key("claude-opus-5-5-fast").as_deref(),
        Some("claude-opus-5-5")
    );
}

#[test]
fn families_come_from_the_table_then_the_name() {
    let tb = table();
    let mut rules = BTreeMap::new();
    rules.insert("claude-haiku-4-5-tuned".to_owned(), "tuned".to_owned());
    let f = FamilyRules::new(rules);
    assert_eq!(f.family("claude-opus-5-5", &tb), "opus");
    assert_eq!(f.family("claude-fable-5-2", &tb), "fable");
    assert_eq!(f.family("claude-mythos-5-1", &tb), "mythos");
    assert_eq!(f.family("claude-haiku-4-5-tuned-7", &tb), "tuned");
    assert_eq!(f.family("claude-mythos-9", &tb), "mythos");
    assert_eq!(f.family("gpt-9", &tb), OTHER_FAMILY);
}

#[test]
fn tokenizer_generations_scale_moved_tokens() {
    let tb = table();
    let opus55 = tb.lookup("claude-opus-5-5").unwrap();
    let sonnet46 = tb.lookup("claude-sonnet-4-6").unwrap();
    let sonnet55 = tb.lookup("claude-sonnet-5-5").unwrap();
    assert!(close(tb.token_ratio(opus55, sonnet55), 1.0));
    assert!(close(tb.token_ratio(opus55, sonnet46), 1.0 / 1.3));
    assert!(close(tb.token_ratio(sonnet46, opus55), 1.3));
}

#[test]
fn bad_table_rows_are_named() {
    let head = "[tokenizers]\nratio = 1.3\nsource = \"x\"\n";
    let problems = |body: &str| -> String {
        table::parse_table(&format!("{head}{body}"))
            .err()
            .map(|p| {
                p.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    };
    let row = "input = 1.0\ncache_write_5m = 1.25\ncache_write_1h = 2.0\ncache_read = 0.1\noutput = 5.0\n";
    let e = problems(&format!("[models.\"claude-x-1\"]\n{row}"));
    assert!(e.contains("`claude-x-1` has no source"), "{e}");
    let e = problems(&format!(
        "[models.\"claude-x-1\"]\n{row}source = \"s\"\n[models.\"claude-x-1\".band]\n{row}"
    ));
    assert!(e.contains("has no threshold"), "{e}");
    let e = problems(&format!(
        "[models.\"claude-x-1\"]\n{row}source = \"s\"\n[[models.\"claude-x-1\".dated]]\nfrom = 2026-10-07\ncache_read = 0.05\nsource = \"s\"\n[[models.\"claude-x-1\".dated]]\nfrom = 2026-10-07\ncache_read = 0.02\nsource = \"s\"\n"
    ));
    assert!(e.contains("two dated rows start on 2026-10-07"), "{e}");
    let e = problems(&format!(
        "[models.\"claude-x-1\"]\n{row}source = \"s\"\ntokenizer = 3\n"
    ));
    assert!(e.contains("not a tokenizer generation"), "{e}");
    assert!(problems(&format!("[models.\"claude-x-1\"]\n{row}source = \"s\"\n")).is_empty());
}
