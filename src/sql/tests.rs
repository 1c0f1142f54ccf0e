use super::*;

fn gateway() -> Warehouse {
    let mut w = Warehouse {
        table: Some("analytics.llm_usage".into()),
        time: "startTime".into(),
        time_type: TimeType::TimestampTz,
        columns: Default::default(),
        rows_are_requests: false,
        configured: true,
    };
    for (k, v) in [
        ("team", "team_id"),
        ("api_key_id", "api_key"),
        ("model", "model"),
        ("uncached_input_tokens", "prompt_tokens"),
        ("cache_read_input_tokens", "cache_read_input_tokens"),
        ("output_tokens", "completion_tokens"),
        ("requests", "requests"),
        ("cost_usd", "spend"),
    ] {
        w.columns.insert(k.into(), v.into());
    }
    w
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn sql(d: Dialect, w: &Warehouse) -> String {
    daily_cube_sql(
        w,
        &Request {
            dialect: d,
            table: "analytics.llm_usage",
            from: day("2026-10-01"),
            to: day("2026-10-31"),
        },
    )
    .unwrap()
}

#[test]
fn every_dialect_quotes_its_own_way_and_parses_back() {
    use sqlparser::dialect as sd;
    for d in Dialect::ALL {
        let text = sql(d, &gateway());
        let q = d.quote();
        // Snowflake: plain names unquoted (resolved case-insensitively), mixed case quoted.
        let column = if d == Dialect::Snowflake {
            format!("{q}u{q}.prompt_tokens")
        } else {
            format!("{q}u{q}.{q}prompt_tokens{q}")
        };
        assert!(text.contains(&column), "{text}");
        assert!(text.contains(&format!("{q}startTime{q}")), "{text}");
        assert!(
            text.contains("BETWEEN DATE '2026-10-01' AND DATE '2026-10-31'"),
            "{text}"
        );
        assert!(
            text.contains("requests IS NULL") || text.contains(&format!("requests{q} IS NULL")),
            "{text}"
        );
        assert!(text.contains("-- uncached_input_tokens <- prompt_tokens ([warehouse.columns] uncached_input_tokens)"), "{text}");
        let parser: Box<dyn sd::Dialect> = match d {
            Dialect::DuckDb => Box::new(sd::DuckDbDialect {}),
            Dialect::Spark => Box::new(sd::DatabricksDialect {}),
            Dialect::BigQuery => Box::new(sd::BigQueryDialect),
            Dialect::Snowflake => Box::new(sd::SnowflakeDialect),
            Dialect::Postgres => Box::new(sd::PostgreSqlDialect {}),
            Dialect::Trino => Box::new(sd::GenericDialect {}),
        };
        let parsed = sqlparser::parser::Parser::parse_sql(parser.as_ref(), &text)
            .unwrap_or_else(|e| panic!("{}: {e}\n{text}", d.name()));
        assert_eq!(parsed.len(), 1);
    }
}

#[test]
fn snowflake_names_unquoted_only_when_plain() {
    for plain in ["llm_usage", "PROMPT_TOKENS", "_x1", "date", "usage$2026"] {
        assert!(snowflake_plain(plain), "{plain}");
    }
    for quoted in ["startTime", "select", "Group", "a-b", "1x", "naïve", "$x"] {
        assert!(!snowflake_plain(quoted), "{quoted}");
    }
}

#[test]
fn the_utc_day_per_dialect_and_time_type() {
    let c = |d: Dialect| Expr::Identifier(Ident::with_quote(d.quote(), "ts"));
    let show = |d: Dialect, k: TimeType| day_expr(d, k, c(d)).to_string();
    assert_eq!(
        show(Dialect::DuckDb, TimeType::TimestampTz),
        "CAST(\"ts\" AT TIME ZONE 'UTC' AS DATE)"
    );
    assert_eq!(
        show(Dialect::BigQuery, TimeType::TimestampTz),
        "DATE(`ts`, 'UTC')"
    );
    assert_eq!(
        show(Dialect::Spark, TimeType::TimestampTz),
        "DATE_FROM_UNIX_DATE(CAST(FLOOR(UNIX_SECONDS(`ts`) / 86400) AS INT))"
    );
    assert_eq!(
        show(Dialect::Snowflake, TimeType::EpochMillis),
        "CAST(TO_TIMESTAMP_NTZ(\"ts\", 3) AS DATE)"
    );
    assert_eq!(
        show(Dialect::Trino, TimeType::EpochMillis),
        "CAST(FROM_UNIXTIME(\"ts\" / 1000, 'UTC') AS DATE)"
    );
    assert_eq!(show(Dialect::Postgres, TimeType::Date), "\"ts\"");
    assert_eq!(
        show(Dialect::Postgres, TimeType::Timestamp),
        "CAST(\"ts\" AS DATE)"
    );
}

#[test]
fn hostile_names_and_inverted_ranges_are_refused() {
    let mut w = gateway();
    w.columns
        .insert("team".into(), "team\" ; DROP TABLE x; --".into());
    let e = daily_cube_sql(
        &w,
        &Request {
            dialect: Dialect::Postgres,
            table: "t",
            from: None,
            to: None,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("[warehouse.columns] team") && e.contains("quote character"),
        "{e}"
    );
    let e = daily_cube_sql(
        &gateway(),
        &Request {
            dialect: Dialect::BigQuery,
            table: "proj.data`set.t",
            from: None,
            to: None,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("table name"), "{e}");
    // A BigQuery name ending in a backslash would leave its backticks open.
    for table in ["proj.dataset.t\\", "proj.data\\`set.t"] {
        let e = daily_cube_sql(
            &gateway(),
            &Request {
                dialect: Dialect::BigQuery,
                table,
                from: None,
                to: None,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("table name") && e.contains("quot") || e.contains("backslash"),
            "{e}"
        );
    }
    let mut w = gateway();
    w.columns.insert("team".into(), "team\\".into());
    let e = daily_cube_sql(
        &w,
        &Request {
            dialect: Dialect::BigQuery,
            table: "t",
            from: None,
            to: None,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("backslash"), "{e}");
    // Elsewhere a backslash is an ordinary character of a quoted name.
    assert!(
        daily_cube_sql(
            &w,
            &Request {
                dialect: Dialect::Postgres,
                table: "t",
                from: None,
                to: None,
            },
        )
        .is_ok()
    );
    let e = daily_cube_sql(
        &gateway(),
        &Request {
            dialect: Dialect::DuckDb,
            table: "t",
            from: day("2026-10-31"),
            to: day("2026-10-01"),
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("--from 2026-10-31 is after --to 2026-10-01"),
        "{e}"
    );
}

#[test]
fn without_a_mapping_the_table_holds_the_canonical_columns() {
    let text = sql(Dialect::DuckDb, &Warehouse::default());
    assert!(text.contains("\"u\".\"date\" AS \"date\""), "{text}");
    assert!(text.contains("CAST(CASE WHEN COUNT(\"u\".\"cache_creation_1h_input_tokens\") = COUNT(*) THEN SUM(\"u\".\"cache_creation_1h_input_tokens\") END AS BIGINT) AS \"cache_creation_1h_input_tokens\""), "{text}");
    assert!(!text.contains("cost_usd"), "{text}");
}

#[test]
fn a_table_name_with_an_empty_part_is_named_as_such() {
    for table in ["x.", ".x", "a..b", "."] {
        let e = daily_cube_sql(
            &gateway(),
            &Request {
                dialect: Dialect::DuckDb,
                table,
                from: None,
                to: None,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(&format!("--table `{table}` has an empty part")),
            "{table}: {e}"
        );
    }
}
