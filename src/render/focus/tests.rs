//! FOCUS rows against hand-computed values.

use super::*;
use crate::month::{day, ym};
use crate::pricing::Variant;

const M: u64 = 1_000_000;

fn config(extra: &str) -> Config {
    Config::parse(
        &format!("[organization]\nname = \"Acme, Inc.\"\nreview_owner = \"Ann Lee\"\n{extra}"),
        std::path::Path::new("g.toml"),
    )
    .unwrap()
}

/// A day's priced row of `model`, its list cost and spend as the review computes them (or a
/// billed `spend`).
fn row(cfg: &Config, on: &str, model: &str, tokens: Tokens, variant: Variant) -> PricedRow {
    let d = day(on);
    let m = Month::of(d);
    let family = cfg.family(model);
    let (quote, _) = crate::pricing::quote(
        cfg.prices.lookup(model).unwrap(),
        d,
        m.first_day(),
        &variant,
        &tokens,
        "standard",
    );
    PricedRow {
        month: m,
        team: "search".into(),
        app: "=HYPERLINK(\"x\")".into(),
        model: model.into(),
        workspace: Some("wrkspc_1".into()),
        api_key: None,
        premium: cfg.premium(&family),
        family,
        tier: "standard".into(),
        in_term: true,
        tokens,
        requests: 10,
        output_with_requests: tokens.output,
        web_search_requests: 0,
        list_cost: quote.list(),
        computed_net: quote.list() * (1.0 - cfg.discount),
        uncached_input_net: 0.0,
        billed: None,
        file: 0,
        day: Some(d),
        first_day: d,
        variant,
        quote,
    }
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

/// Every row of `months` as column → cell maps.
fn export(
    cfg: &Config,
    version: Version,
    priced: &[PricedRow],
    months: &[&str],
) -> Vec<BTreeMap<&'static str, Cell>> {
    let months: Vec<Month> = months.iter().map(|m| ym(m)).collect();
    let mut out = Vec::new();
    rows(cfg, version, priced, &months, &mut |cells| {
        out.push(
            version
                .columns()
                .iter()
                .map(|(n, _)| *n)
                .zip(cells)
                .collect(),
        );
        Ok(())
    })
    .unwrap();
    out
}

fn dec(r: &BTreeMap<&str, Cell>, column: &str) -> f64 {
    match &r[column] {
        Cell::Dec(v) => *v,
        other => panic!("{column}: {other:?}"),
    }
}

fn txt<'a>(r: &'a BTreeMap<&str, Cell>, column: &str) -> &'a str {
    match &r[column] {
        Cell::Text(s) => s,
        other => panic!("{column}: {other:?}"),
    }
}

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

#[test]
fn each_token_class_is_priced_with_the_row_s_modifiers() {
    // Opus 5.5 in fast mode with US-only inference: every price x 2 x 1.1.
    // Input $4 -> $8.80, cache read $0.20 -> $0.44, output $20 -> $44 per million.
    // 1M input = $8.80, 2M reads = $0.88, 0.5M output = $22.00: $31.68 in all.
    let cfg = config("");
    let variant = Variant {
        geo: Some("us".into()),
        speed: Some("fast".into()),
        ..Variant::default()
    };
    let mut r = row(
        &cfg,
        "2026-10-05",
        "claude-opus-5-5",
        Tokens::new(M, 0, 0, 2 * M, M / 2),
        variant,
    );
    close(r.list_cost, 31.68);
    // A bill of $30 is shared by list cost: 30 x 8.80 / 31.68, 30 x 0.88 / 31.68, the rest.
    r.billed = Some(30.0);
    let l = lines(&cfg, &r);
    assert_eq!(
        l.iter().map(|l| l.class).collect::<Vec<_>>(),
        [Some(0), Some(3), Some(4)]
    );
    for (line, (price, list, effective)) in l.iter().zip([
        (8.8, 8.8, 8.333_333_333_333),
        (0.44, 0.88, 0.833_333_333_333),
        (44.0, 22.0, 20.833_333_333_333),
    ]) {
        close(line.unit_price.unwrap(), price);
        close(line.list, list);
        assert!((line.effective - effective).abs() < 1e-9, "{line:?}");
    }
    close(l.iter().map(|l| l.list).sum(), r.list_cost);
    assert_eq!(l.iter().map(|l| l.effective).sum::<f64>(), 30.0);

    let rows = export(&cfg, Version::V1_2, &[r], &["2026-10"]);
    assert_eq!(rows.len(), 3);
    let out = &rows[2];
    assert_eq!(
        txt(out, "ChargeDescription"),
        "claude-opus-5-5 output tokens (standard tier, us-only inference, fast mode)"
    );
    assert_eq!(txt(out, "SkuId"), "claude-opus-5-5:output");
    assert_eq!(
        txt(out, "SkuPriceId"),
        "claude-opus-5-5:output:standard:us:fast"
    );
    assert_eq!(txt(out, "SkuMeter"), "Output Tokens");
    let details: serde_json::Value = serde_json::from_str(txt(out, "SkuPriceDetails")).unwrap();
    assert_eq!(
        details,
        serde_json::json!({"x_Model": "claude-opus-5-5", "x_ModelFamily": "opus",
            "x_TokenClass": "output", "x_ServiceTier": "standard", "x_InferenceGeo": "us",
            "x_Speed": "fast"})
    );
    close(dec(out, "ListUnitPrice"), 44.0);
    close(dec(out, "PricingQuantity"), 0.5);
    close(dec(out, "ConsumedQuantity"), 500_000.0);
    assert_eq!(out["x_Requests"], Cell::Int(10));
    assert!(rows[..2].iter().all(|r| r["x_Requests"] == Cell::Null));
    assert_eq!(out["ChargePeriodStart"], Cell::Day(day("2026-10-05")));
    assert_eq!(out["ChargePeriodEnd"], Cell::Day(day("2026-10-06")));
    // Text stays as it is: the app's formula-like name is the tag's value.
    let tags: serde_json::Value = serde_json::from_str(txt(out, "Tags")).unwrap();
    assert_eq!(tags["app"], "=HYPERLINK(\"x\")");
    assert_eq!(out["InvoiceId"], Cell::Null);
    assert_eq!(txt(out, "BillingAccountName"), "Acme, Inc.");
}

#[test]
fn a_dated_price_is_its_own_price_point() {
    // Sonnet 5.5's cache reads went from $0.20 to $0.10 on 2026-10-07.
    let cfg = config("");
    let t = Tokens::new(0, 0, 0, M, 0);
    let before = row(
        &cfg,
        "2026-10-06",
        "claude-sonnet-5-5",
        t,
        Variant::default(),
    );
    let after = row(
        &cfg,
        "2026-10-07",
        "claude-sonnet-5-5",
        t,
        Variant::default(),
    );
    let rows = export(&cfg, Version::V1_2, &[before, after], &["2026-10"]);
    assert_eq!(
        txt(&rows[0], "SkuPriceId"),
        "claude-sonnet-5-5:cache_read:standard"
    );
    close(dec(&rows[0], "ListUnitPrice"), 0.2);
    assert_eq!(
        txt(&rows[1], "SkuPriceId"),
        "claude-sonnet-5-5:cache_read:standard@2026-10-07"
    );
    close(dec(&rows[1], "ListUnitPrice"), 0.1);
    assert_eq!(txt(&rows[0], "SkuId"), txt(&rows[1], "SkuId"));
}

/// Two $60 days against a $100 share: the first is covered whole, the second for $40 and billed
/// for $20; with a $200 share both are covered and $80 is unused.
#[test]
fn the_commitment_covers_usage_in_order_and_bills_what_passes_it() {
    let commitment = |amount: u32| {
        format!("[commitment]\namount = {amount}\nstart = 2026-10-01\nend = 2026-10-31\n")
    };
    let usage = |cfg: &Config| {
        ["2026-10-01", "2026-10-02"].map(|d| {
            let mut r = row(
                cfg,
                d,
                "claude-sonnet-5-5",
                Tokens::new(M, 0, 0, 0, 0),
                Variant::default(),
            );
            r.billed = Some(60.0);
            r
        })
    };
    let cfg = config(&commitment(100));
    let rows = export(&cfg, Version::V1_2, &usage(&cfg), &["2026-10"]);
    assert_eq!(
        rows.len(),
        3,
        "two usage rows and the purchase, nothing unused"
    );
    let (a, b, purchase) = (&rows[0], &rows[1], &rows[2]);
    close(dec(a, "BilledCost"), 0.0);
    close(dec(a, "CommitmentDiscountQuantity"), 60.0);
    assert_eq!(txt(a, "PricingCategory"), "Committed");
    assert_eq!(txt(a, "CommitmentDiscountStatus"), "Used");
    close(dec(b, "BilledCost"), 20.0);
    close(dec(b, "EffectiveCost"), 60.0);
    close(dec(b, "CommitmentDiscountQuantity"), 40.0);
    assert_eq!(txt(b, "CommitmentDiscountUnit"), "USD");
    assert_eq!(txt(purchase, "ChargeCategory"), "Purchase");
    // Since FOCUS 1.1 a purchase is not a committed-price charge, and it has no status.
    assert_eq!(txt(purchase, "PricingCategory"), "Standard");
    assert_eq!(purchase["CommitmentDiscountStatus"], Cell::Null);
    close(dec(purchase, "BilledCost"), 100.0);
    close(dec(purchase, "CommitmentDiscountQuantity"), 100.0);
    close(dec(purchase, "EffectiveCost"), 0.0);

    let cfg = config(&commitment(200));
    let rows = export(&cfg, Version::V1_2, &usage(&cfg), &["2026-10"]);
    assert_eq!(rows.len(), 4);
    assert!(rows[..2].iter().all(|r| dec(r, "BilledCost") == 0.0));
    let unused = &rows[3];
    assert_eq!(txt(unused, "CommitmentDiscountStatus"), "Unused");
    close(dec(unused, "EffectiveCost"), 80.0);
    close(dec(unused, "CommitmentDiscountQuantity"), 80.0);
    // Nothing is consumed on an unused row since FOCUS 1.1; FOCUS 1.0 had the dollars there.
    assert_eq!(unused["ConsumedQuantity"], Cell::Null);
    assert_eq!(unused["ConsumedUnit"], Cell::Null);
    let old = export(&cfg, Version::V1_0, &usage(&cfg), &["2026-10"]);
    assert_eq!(txt(&old[2], "PricingCategory"), "Committed");
    close(dec(&old[3], "ConsumedQuantity"), 80.0);
    assert!(!old[0].contains_key("CommitmentDiscountQuantity"));
    assert_eq!(txt(&old[2], "ResourceType"), "Commitment");
}

#[test]
fn the_versions_name_their_columns_once() {
    for v in [Version::V1_2, Version::V1_0] {
        let mut names: Vec<&str> = v.columns().iter().map(|(n, _)| *n).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "{v:?}");
    }
}

#[test]
fn requests_are_carried_once_whatever_classes_a_row_has() {
    let cfg = config("");
    // Input tokens only: the requests ride on the input row.
    let only_input = row(
        &cfg,
        "2026-10-05",
        "claude-sonnet-5-5",
        Tokens::new(M, 0, 0, 0, 0),
        Variant::default(),
    );
    // No tokens and no cost, but requests: a row of its own carries them.
    let mut none = row(
        &cfg,
        "2026-10-06",
        "claude-sonnet-5-5",
        Tokens::default(),
        Variant::default(),
    );
    none.requests = 5;
    let rows = export(&cfg, Version::V1_2, &[only_input, none], &["2026-10"]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["x_Requests"], Cell::Int(10));
    assert_eq!(rows[1]["x_Requests"], Cell::Int(5));
    close(dec(&rows[1], "EffectiveCost"), 0.0);
    assert_eq!(txt(&rows[1], "SkuMeter"), "Billed Usage");
}

#[test]
fn a_price_variant_the_model_does_not_price_is_not_a_price_point() {
    // Opus 4.5 has no US-only multiplier (the review notes such rows as unpriced by residency):
    // its price is the global one, and so is its SKU price.
    let cfg = config("");
    let us = Variant {
        geo: Some("us".into()),
        ..Variant::default()
    };
    let r = row(
        &cfg,
        "2026-10-05",
        "claude-opus-4-5",
        Tokens::new(M, 0, 0, 0, 0),
        us,
    );
    let rows = export(&cfg, Version::V1_2, &[r], &["2026-10"]);
    assert_eq!(
        txt(&rows[0], "SkuPriceId"),
        "claude-opus-4-5:input:standard"
    );
    close(dec(&rows[0], "ListUnitPrice"), 5.0);
}

#[test]
fn an_organisation_id_keeps_names_apart_that_its_slug_would_merge() {
    let id = |name: &str| {
        let mut cfg = config("");
        cfg.org_name = name.into();
        account(&cfg).0
    };
    assert_eq!(id("Northwind Robotics"), "org-northwind-robotics");
    assert_ne!(id("Zürich AG"), id("Zarich AG"));
    assert!(id("Zürich AG").starts_with("org-z-rich-ag-"));
    let japanese = id("日本株式会社");
    assert!(japanese.len() > "org-".len(), "{japanese}");
    assert_ne!(japanese, id("==="));
}
