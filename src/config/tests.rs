use super::*;

const MINIMAL: &str = r#"
[organization]
name = "Acme"
review_owner = "Dana Whitfield"
"#;

fn parse(s: &str) -> Result<Config> {
    Config::parse(s, Path::new("govreview.toml"))
}

fn problems(s: &str) -> Vec<Problem> {
    match parse(s) {
        Err(Error::Config { problems, .. }) => problems,
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn minimal_config_takes_documented_defaults() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.review_day, 10);
    assert_eq!(c.discount, 0.0);
    assert_eq!(c.targets.drift_tolerance, 0.02);
    assert!(c.commitment.is_none());
    assert_eq!(c.base_dir, PathBuf::from(""));
}

#[test]
fn unknown_key_is_located() {
    let p = problems(&format!("{MINIMAL}colour = \"red\"\n"));
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].line, p[0].column), (Some(5), Some(1)));
    assert_eq!(p[0].key.as_deref(), Some("organization.colour"));
    assert!(
        p[0].message
            .contains("unknown key (keys here: name, review_owner"),
        "{}",
        p[0].message
    );
}

#[test]
fn an_unknown_key_deep_in_dotted_tables_is_located_and_the_rest_still_checked() {
    let text = format!(
        "{MINIMAL}\n[backlog]\nwave_items = 0\n\n[backlog.effort.apps.\"growth/chat\"]\nrouting = 2\nteleport = 3\n"
    );
    let p = problems(&text);
    let keys: Vec<&str> = p.iter().filter_map(|p| p.key.as_deref()).collect();
    assert!(
        keys.contains(&"backlog.effort.apps.growth/chat.teleport")
            && keys.contains(&"backlog.wave_items"),
        "{p:?}"
    );
    let tele = p
        .iter()
        .find(|p| p.message.contains("unknown key"))
        .unwrap();
    assert_eq!((tele.line, tele.column), (Some(11), Some(1)), "{p:?}");
}

#[test]
fn an_empty_family_prefix_is_refused() {
    let p = problems(&format!("{MINIMAL}\n[families]\n\"\" = \"haiku\"\n"));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].message.contains("empty model-ID prefix"), "{p:?}");
    assert_eq!(p[0].line, Some(7), "{p:?}");
}

#[test]
fn a_mistyped_price_is_one_problem_not_two() {
    let p = problems(&format!(
        "{MINIMAL}\n[pricing.models.claude-opus-4-5]\ninput = \"5\"\n"
    ));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        p[0].key.as_deref(),
        Some("pricing.models.claude-opus-4-5.input")
    );
}

#[test]
fn syntax_error_has_line_and_column() {
    let p = problems("[organization\nname = 1\n");
    assert_eq!(p[0].line, Some(1));
    assert!(p[0].column.is_some());
}

#[test]
fn people_are_listed_by_name_once_each() {
    let text = MINIMAL.replace(
        "review_owner = \"Dana Whitfield\"",
        "review_owner = \"Dana Whitfield\"\npeople = [\"Dana Whitfield\", \" \", \"dana whitfield \"]",
    );
    let p = problems(&text);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].message.contains("is blank"), "{p:?}");
    assert!(p[1].message.contains("listed twice"), "{p:?}");
}

#[test]
fn a_table_or_key_given_twice_is_named_with_its_first_line() {
    let p = problems(&format!("{MINIMAL}\n[organization]\nname = \"B\"\n"));
    assert!(
        p[0].message
            .contains("the table `[organization]` is defined twice (first at line 2)"),
        "{p:?}"
    );
    let p = problems("[organization]\nname = \"A\"\nreview_owner = \"D\"\nname = \"B\"\n");
    assert_eq!(p[0].line, Some(4));
    assert!(
        p[0].message
            .contains("the key `name` is given twice in its table (first at line 2); keep one"),
        "{p:?}"
    );
}

#[test]
fn every_validation_problem_is_reported_at_once() {
    let text = format!(
        "{MINIMAL}[targets]\nmin_cache_hit_rate = 55\nmin_batch_share = -0.1\n[commitment]\namount = 1000\nstart = 2026-12-31\nend = 2026-01-01\n"
    );
    let p = problems(&text);
    assert_eq!(p.len(), 3, "{p:?}");
    assert_eq!(p[0].key.as_deref(), Some("targets.min_cache_hit_rate"));
    assert_eq!(p[0].line, Some(6));
    assert_eq!(p[1].key.as_deref(), Some("targets.min_batch_share"));
    assert_eq!(p[2].key.as_deref(), Some("commitment.end"));
    assert_eq!(p[2].line, Some(11));
}

#[test]
fn type_errors_and_typos_are_all_reported_with_their_keys() {
    let text = format!(
        "{MINIMAL}review_dya = 10\n[targets]\nmin_cache_hit_rate = \"high\"\nmin_batch_share = -0.1\nmax_opus_shar = 0.3\n[commitment]\namount = \"lots\"\nstart = 2026-01-01\nend = 2026-12-31\n"
    );
    let p = problems(&text);
    let keys: Vec<&str> = p.iter().filter_map(|p| p.key.as_deref()).collect();
    assert_eq!(
        keys,
        [
            "organization.review_dya",
            "targets.min_cache_hit_rate",
            "targets.min_batch_share",
            "targets.max_opus_shar",
            "commitment.amount"
        ],
        "{p:#?}"
    );
    assert_eq!(p[1].line, Some(7));
    assert!(
        p[1].message.contains("wrong type") && p[1].message.contains("expected a number"),
        "{}",
        p[1].message
    );
    assert!(
        p[0].message.contains("did you mean `review_day`?"),
        "{}",
        p[0].message
    );
    assert_eq!((p[0].line, p[0].column), (Some(5), Some(1)));
    assert!(
        p[3].message.contains("did you mean `max_opus_share`?"),
        "{}",
        p[3].message
    );
    assert!(p[4].message.contains("wrong type"), "{}", p[4].message);
}

#[test]
fn placeholder_owner_is_rejected() {
    let text = format!("{MINIMAL}[teams.support]\nowner = \"TBD\"\n");
    let p = problems(&text);
    assert_eq!(p[0].key.as_deref(), Some("teams.support.owner"));
}

#[test]
fn new_model_needs_all_prices_and_override_merges() {
    let text = format!(
        "{MINIMAL}[pricing.models.\"claude-mythos-1\"]\ninput = 4\n[pricing.models.\"claude-opus-4-5\"]\noutput = 20\n"
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1);
    assert!(p[0].message.contains("cache_write_5m"), "{}", p[0].message);

    let ok = format!("{MINIMAL}[pricing.models.\"claude-opus-4-5\"]\noutput = 20\n");
    let c = parse(&ok).unwrap();
    let m = c.prices.lookup("claude-opus-4-5-20251101").unwrap();
    assert_eq!((m.price.input, m.price.output), (5.0, 20.0));
}

#[test]
fn team_targets_inherit_org_targets() {
    let text = format!(
        "{MINIMAL}[targets]\nmax_opus_share = 0.3\nmin_cache_hit_rate = 0.5\n[targets.teams.support]\nmin_cache_hit_rate = 0.7\n"
    );
    let c = parse(&text).unwrap();
    let fams = vec!["opus".to_owned()];
    let kpis = crate::kpi::instances(crate::kpi::Scope::Team, &fams);
    let get = |key: &str, team: &str| {
        let k = kpis.iter().find(|k| k.key() == key).unwrap();
        c.targets.get(k, Some(team), None)
    };
    use crate::kpi::Goal;
    assert_eq!(get("cache_hit_rate", "support"), Some(Goal::AtLeast(0.7)));
    assert_eq!(get("model_mix.opus", "support"), Some(Goal::AtMost(0.3)));
    assert_eq!(get("cache_hit_rate", "other"), Some(Goal::AtLeast(0.5)));
}

#[test]
fn person_rules() {
    let teams: BTreeMap<String, String> = [("support".to_owned(), "Ann".to_owned())].into();
    assert!(is_person("Ann Lee", &teams, &[]));
    assert!(!is_person(" TBD ", &teams, &[]));
    assert!(!is_person("support", &teams, &[]));
    assert!(!is_person("Bob", &teams, &["Ann Lee".to_owned()]));
}
/// An override of a built-in price is the price on every day: the built-in dated row of Sonnet
/// 5.5 (its cache-read cut of 2026-10-07) does not undo it.
#[test]
fn an_override_of_a_price_holds_on_every_day() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("govreview.toml");
    std::fs::write(
        &p,
        "[organization]\nname = \"A\"\nreview_owner = \"Ann Example\"\n\n[pricing.models.\"claude-sonnet-5-5\"]\ncache_read = 0.25\n",
    )
    .unwrap();
    let cfg = Config::load(&p).unwrap();
    let m = cfg.prices.lookup("claude-sonnet-5-5").unwrap();
    let read = crate::pricing::Tokens::new(0, 0, 0, 1_000_000, 0);
    for d in ["2026-10-01", "2026-10-07", "2026-11-30"] {
        assert!(
            (m.price_on(d.parse().unwrap()).cost(&read) - 0.25).abs() < 1e-12,
            "{d}"
        );
    }
    // Without an override the cut applies from its day.
    let (models, ratio) = crate::pricing::builtin().unwrap();
    let tb = crate::pricing::PriceTable::new(models, ratio);
    let b = tb.lookup("claude-sonnet-5-5").unwrap();
    let on = |d: &str| b.price_on(d.parse().unwrap()).cost(&read);
    assert!(on("2026-10-01") > on("2026-10-07"));
}

/// A term date of the wrong type is one problem: its stand-in does not make the other date's
/// term look ten years long.
#[test]
fn a_term_date_of_the_wrong_type_is_one_problem() {
    for (start, end) in [
        ("\"2026-01-01\"", "2026-12-31"),
        ("2026-01-01", "\"2026-12-31\""),
    ] {
        let text = format!(
            "{MINIMAL}[commitment]\nname = \"c\"\namount = 1000.0\nstart = {start}\nend = {end}\n"
        );
        let p = problems(&text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].message.contains("wrong type"), "{p:?}");
    }
}

/// A price far out of range is shown as written in short (`1e300`), not in 301 digits.
#[test]
fn a_huge_price_is_shown_short() {
    let text = format!("{MINIMAL}[pricing.models.\"claude-opus-4-5\"]\noutput = 1e300\n");
    let p = problems(&text);
    assert!(
        p[0].message
            .starts_with("1e300 is above $10,000 per million tokens"),
        "{p:?}"
    );
}

/// A model column named with a control character is one problem, not also "has no model".
#[test]
fn a_bad_model_column_name_is_one_problem() {
    let text = format!(
        "{MINIMAL}[warehouse]\ntime = \"ts\"\n[warehouse.columns]\nmodel = \"m\\u0085x\"\n"
    );
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].message.contains("control character"), "{p:?}");
}
