//! The daily usage cube as one SQL query for the engine that holds the data (`govreview sql`).
//!
//! The query is built as a syntax tree with the `sqlparser` crate and printed by it, not pasted
//! together from strings: identifiers are quoted for the dialect (`"x"`, or `` `x` `` for Spark
//! and BigQuery), dates are typed literals from validated dates, and nothing from the
//! configuration or the command line reaches the SQL except as a quoted identifier that holds no
//! quote or control character. The dialects differ in three places, chosen while the tree is
//! built: the quote character, the expression for a row's UTC day, and nothing else; every engine
//! gets the same shape:
//!
//! ```sql
//! SELECT <utc day> AS "date", <dimensions>,
//!        CAST(CASE WHEN COUNT(<count>) = COUNT(*) THEN SUM(<count>) END AS BIGINT) AS ...,
//!        CAST(SUM("requests") AS BIGINT) AS "requests", SUM(<cost>) AS "cost_usd"
//! FROM <table> AS "u" WHERE <utc day> BETWEEN DATE '...' AND DATE '...'
//! GROUP BY <utc day>, <dimensions>, "u"."requests" IS NULL, <cost> IS NULL ORDER BY ...
//! ```
//!
//! Grouping by `requests IS NULL` keeps rows with and without a request count apart, so output
//! per request downstream counts only rows that have one, as it does on the raw rows; grouping
//! by `<cost> IS NULL` keeps rows without a billed cost apart, so they are priced as raw rows
//! are. A NULL token count leaves its group's sum empty (the `CASE`), never a partial sum or 0:
//! the review refuses that cell as it refuses the raw row. Sums are cast to BIGINT because
//! DuckDB sums BIGINT to HUGEINT and Postgres to NUMERIC.

use chrono::NaiveDate;
use sqlparser::ast::helpers::attached_token::AttachedToken;
use sqlparser::ast::*;

use crate::config::warehouse::{
    COST, COUNTS, DIMENSIONS, PRICE_DIMENSIONS, REQUESTS, bad_identifier,
};
use crate::config::{TimeType, Warehouse};
use crate::error::{Error, Result};

/// The engines `govreview sql` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// DuckDB.
    DuckDb,
    /// Apache Spark SQL (and Databricks).
    Spark,
    /// Google BigQuery (GoogleSQL).
    BigQuery,
    /// Snowflake.
    Snowflake,
    /// PostgreSQL.
    Postgres,
    /// Trino (and Presto, Athena).
    Trino,
}

impl Dialect {
    /// Every dialect.
    #[cfg(test)]
    pub const ALL: [Dialect; 6] = [
        Dialect::DuckDb,
        Dialect::Spark,
        Dialect::BigQuery,
        Dialect::Snowflake,
        Dialect::Postgres,
        Dialect::Trino,
    ];

    fn quote(self) -> char {
        match self {
            Dialect::Spark | Dialect::BigQuery => '`',
            _ => '"',
        }
    }

    /// The dialect's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Spark => "spark",
            Dialect::BigQuery => "bigquery",
            Dialect::Snowflake => "snowflake",
            Dialect::Postgres => "postgres",
            Dialect::Trino => "trino",
        }
    }
}

/// The table alias source columns are qualified with: a qualified name never resolves to an
/// output alias (several engines let GROUP BY see aliases, and `requests` is both).
const SRC: &str = "u";

/// Snowflake's reserved words: never written unquoted.
const SNOWFLAKE_RESERVED: [&str; 92] = [
    "ACCOUNT",
    "ALL",
    "ALTER",
    "AND",
    "ANY",
    "AS",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "CHECK",
    "COLUMN",
    "CONNECT",
    "CONNECTION",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "CURRENT_USER",
    "DATABASE",
    "DELETE",
    "DISTINCT",
    "DROP",
    "ELSE",
    "EXISTS",
    "FALSE",
    "FOLLOWING",
    "FOR",
    "FROM",
    "FULL",
    "GRANT",
    "GROUP",
    "GSCLUSTER",
    "HAVING",
    "ILIKE",
    "IN",
    "INCREMENT",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTO",
    "IS",
    "ISSUE",
    "JOIN",
    "LATERAL",
    "LEFT",
    "LIKE",
    "LOCALTIME",
    "LOCALTIMESTAMP",
    "MINUS",
    "NATURAL",
    "NOT",
    "NULL",
    "OF",
    "ON",
    "OR",
    "ORDER",
    "ORGANIZATION",
    "QUALIFY",
    "REGEXP",
    "REVOKE",
    "RIGHT",
    "RLIKE",
    "ROW",
    "ROWS",
    "SAMPLE",
    "SCHEMA",
    "SELECT",
    "SET",
    "SOME",
    "START",
    "TABLE",
    "TABLESAMPLE",
    "THEN",
    "TO",
    "TRIGGER",
    "TRUE",
    "TRY_CAST",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VALUES",
    "VIEW",
    "WHEN",
    "WHENEVER",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// Whether Snowflake gets the name unquoted: Snowflake stores unquoted names in upper case and a
/// quoted name must match that case exactly, so a plain name in one case (`llm_usage`,
/// `PROMPT_TOKENS`) is written unquoted and resolves as Snowflake resolves it; a mixed-case
/// name (`startTime`, created quoted) and anything else is quoted.
fn snowflake_plain(name: &str) -> bool {
    let simple = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    let one_case = name == name.to_ascii_lowercase() || name == name.to_ascii_uppercase();
    simple && one_case && !SNOWFLAKE_RESERVED.contains(&name.to_ascii_uppercase().as_str())
}

fn ident(d: Dialect, name: &str, key: &str) -> Result<Ident> {
    // Inside BigQuery's backticks a backslash starts an escape: a name ending in one would
    // leave the identifier open.
    let bad = bad_identifier(name).or_else(|| {
        (d == Dialect::BigQuery && name.contains('\\')).then_some(
            "contains a backslash, which BigQuery reads as an escape inside a quoted name",
        )
    });
    match bad {
        Some(why) => Err(Error::Usage(format!(
            "{key} `{}` {why}; give the name as the engine knows it",
            name.escape_debug()
        ))),
        None if d == Dialect::Snowflake && snowflake_plain(name) => Ok(Ident::new(name)),
        None => Ok(Ident::with_quote(d.quote(), name)),
    }
}

fn alias(d: Dialect, name: &str) -> Ident {
    Ident::with_quote(d.quote(), name)
}

fn col(d: Dialect, name: &str, key: &str) -> Result<Expr> {
    Ok(Expr::CompoundIdentifier(vec![
        alias(d, SRC),
        ident(d, name, key)?,
    ]))
}

fn func(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

fn cast(e: Expr, data_type: DataType) -> Expr {
    Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(e),
        data_type,
        array: false,
        format: None,
    }
}

fn text(v: &str) -> Expr {
    Expr::Value(Value::SingleQuotedString(v.to_owned()).into())
}

fn num(v: &str) -> Expr {
    Expr::Value(Value::Number(v.to_owned(), false).into())
}

fn bin(l: Expr, op: BinaryOperator, r: Expr) -> Expr {
    Expr::BinaryOp {
        left: Box::new(l),
        op,
        right: Box::new(r),
    }
}

fn at_utc(e: Expr) -> Expr {
    Expr::AtTimeZone {
        timestamp: Box::new(e),
        time_zone: Box::new(text("UTC")),
    }
}

/// `DATE 'YYYY-MM-DD'` from a date: no text from the user reaches the SQL.
fn date_literal(d: NaiveDate) -> Expr {
    Expr::TypedString(TypedString {
        data_type: DataType::Date,
        value: Value::SingleQuotedString(d.format("%Y-%m-%d").to_string()).into(),
        uses_odbc_syntax: false,
    })
}

/// The UTC calendar day of the time column, per dialect and what the column holds. None of them
/// depends on the session's time zone.
pub fn day_expr(d: Dialect, kind: TimeType, c: Expr) -> Expr {
    use Dialect::*;
    use TimeType::*;
    let days_since_epoch = |e: Expr, unit: &str| {
        func(
            "DATE_FROM_UNIX_DATE",
            vec![cast(
                func("FLOOR", vec![bin(e, BinaryOperator::Divide, num(unit))]),
                DataType::Int(None),
            )],
        )
    };
    match (kind, d) {
        (Date, _) => c,
        // A wall clock without a zone, in UTC: its date is its day everywhere.
        (Timestamp, _) => cast(c, DataType::Date),
        (TimestampTz, DuckDb | Postgres | Trino) => cast(at_utc(c), DataType::Date),
        (TimestampTz, BigQuery) => func("DATE", vec![c, text("UTC")]),
        (TimestampTz, Snowflake) => cast(
            func("CONVERT_TIMEZONE", vec![text("UTC"), c]),
            DataType::Date,
        ),
        // Spark's CAST(timestamp AS DATE) uses the session's time zone: count days from the
        // epoch instead.
        (TimestampTz, Spark) => days_since_epoch(func("UNIX_SECONDS", vec![c]), "86400"),
        (EpochMillis, DuckDb) => cast(func("EPOCH_MS", vec![c]), DataType::Date),
        (EpochMillis, Spark) => days_since_epoch(c, "86400000"),
        (EpochMillis, BigQuery) => {
            func("DATE", vec![func("TIMESTAMP_MILLIS", vec![c]), text("UTC")])
        }
        (EpochMillis, Snowflake) => {
            cast(func("TO_TIMESTAMP_NTZ", vec![c, num("3")]), DataType::Date)
        }
        (EpochMillis, Postgres) => cast(
            at_utc(func(
                "TO_TIMESTAMP",
                vec![bin(c, BinaryOperator::Divide, num("1000.0"))],
            )),
            DataType::Date,
        ),
        (EpochMillis, Trino) => cast(
            func(
                "FROM_UNIXTIME",
                vec![bin(c, BinaryOperator::Divide, num("1000")), text("UTC")],
            ),
            DataType::Date,
        ),
    }
}

/// What to query: the table (dotted parts quoted one by one) and the days.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The dialect.
    pub dialect: Dialect,
    /// The table (`schema.table`, `project.dataset.table`, ...).
    pub table: &'a str,
    /// First day, inclusive.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub to: Option<NaiveDate>,
}

/// The config key that names a canonical column's source.
fn key_of(w: &Warehouse, canonical: &str) -> String {
    if w.configured {
        format!("[warehouse.columns] {canonical}")
    } else {
        format!("the canonical column {canonical} (no [warehouse] in the configuration)")
    }
}

/// The query that turns the table into the canonical daily cube, with a comment header that says
/// which configuration key each source column comes from (an engine's "column not found" error
/// names the column; the header names the key to fix).
pub fn daily_cube_sql(w: &Warehouse, req: &Request<'_>) -> Result<String> {
    let d = req.dialect;
    if let (Some(f), Some(t)) = (req.from, req.to)
        && f > t
    {
        return Err(Error::Usage(format!(
            "--from {f} is after --to {t}; give the first day first"
        )));
    }
    let time_key = if w.configured {
        "[warehouse] time"
    } else {
        "the canonical column date (no [warehouse] in the configuration)"
    };
    let day = day_expr(d, w.time_type, col(d, &w.time, time_key)?);
    let mut projection = vec![SelectItem::ExprWithAlias {
        expr: day.clone(),
        alias: alias(d, "date"),
    }];
    let mut group_by = vec![day.clone()];
    let mut order_by = vec![alias(d, "date")];
    let mut header = vec![format!(
        "-- {} <- {} ({})",
        "date",
        w.time,
        match w.time_type {
            TimeType::Date => "a date",
            TimeType::Timestamp => "a UTC timestamp without zone, to its day",
            TimeType::TimestampTz => "an instant, to its UTC day",
            TimeType::EpochMillis => "epoch milliseconds, to their UTC day",
        }
    )];
    // Without [warehouse], every column is its canonical name: said once, above the list.
    let note = |canonical: &str, source: &str| {
        if w.configured {
            format!("-- {canonical} <- {source} ({})", key_of(w, canonical))
        } else {
            format!("-- {canonical} <- {source}")
        }
    };
    for c in DIMENSIONS.iter().chain(&PRICE_DIMENSIONS) {
        let Some(src) = w.columns.get(*c) else {
            continue;
        };
        header.push(note(c, src));
        projection.push(SelectItem::ExprWithAlias {
            expr: col(d, src, &key_of(w, c))?,
            alias: alias(d, c),
        });
        group_by.push(col(d, src, &key_of(w, c))?);
        order_by.push(alias(d, c));
    }
    let bigint = || DataType::BigInt(None);
    for c in COUNTS {
        let Some(src) = w.columns.get(c) else {
            continue;
        };
        header.push(note(c, src));
        // A NULL count leaves the group's sum empty (never a partial sum or 0), which the
        // review refuses with the cube's row, as it refuses the raw row.
        let v = col(d, src, &key_of(w, c))?;
        let e = cast(
            Expr::Case {
                case_token: AttachedToken::empty(),
                end_token: AttachedToken::empty(),
                operand: None,
                conditions: vec![CaseWhen {
                    condition: bin(
                        func("COUNT", vec![v.clone()]),
                        BinaryOperator::Eq,
                        func("COUNT", vec![Expr::Wildcard(AttachedToken::empty())]),
                    ),
                    result: func("SUM", vec![v]),
                }],
                else_result: None,
            },
            bigint(),
        );
        projection.push(SelectItem::ExprWithAlias {
            expr: e,
            alias: alias(d, c),
        });
    }
    if let Some(src) = w.columns.get(REQUESTS) {
        header.push(note(REQUESTS, src));
        let c = col(d, src, &key_of(w, REQUESTS))?;
        projection.push(SelectItem::ExprWithAlias {
            expr: cast(func("SUM", vec![c.clone()]), bigint()),
            alias: alias(d, REQUESTS),
        });
        group_by.push(Expr::IsNull(Box::new(c)));
        order_by.push(alias(d, REQUESTS));
    }
    if w.rows_are_requests {
        header.push(format!(
            "-- {REQUESTS} <- the number of rows ([warehouse] rows_are_requests)"
        ));
        projection.push(SelectItem::ExprWithAlias {
            expr: cast(
                func("COUNT", vec![Expr::Wildcard(AttachedToken::empty())]),
                bigint(),
            ),
            alias: alias(d, REQUESTS),
        });
    }
    if let Some(src) = w.columns.get(COST) {
        header.push(note(COST, src));
        let c = col(d, src, &key_of(w, COST))?;
        projection.push(SelectItem::ExprWithAlias {
            expr: func("SUM", vec![c.clone()]),
            alias: alias(d, COST),
        });
        // Rows without a billed cost are priced from the price list, as raw rows are: kept
        // apart from billed rows of the same day and key, never summed in as 0.
        group_by.push(Expr::IsNull(Box::new(c)));
        order_by.push(alias(d, COST));
    }
    let selection = match (req.from, req.to) {
        (Some(f), Some(t)) => Some(Expr::Between {
            expr: Box::new(day.clone()),
            negated: false,
            low: Box::new(date_literal(f)),
            high: Box::new(date_literal(t)),
        }),
        (Some(f), None) => Some(bin(day.clone(), BinaryOperator::GtEq, date_literal(f))),
        (None, Some(t)) => Some(bin(day.clone(), BinaryOperator::LtEq, date_literal(t))),
        (None, None) => None,
    };
    if req.table.split('.').count() > 1 && req.table.split('.').any(|p| p.trim().is_empty()) {
        return Err(Error::Usage(format!(
            "--table `{}` has an empty part (a dot at an end, or two dots together); give the table as name, schema.name or catalog.schema.name",
            req.table.escape_debug()
        )));
    }
    let parts = req
        .table
        .split('.')
        .map(|p| ident(d, p, "the table name"))
        .collect::<Result<Vec<_>>>()?;
    let select = Select {
        select_token: AttachedToken::empty(),
        optimizer_hints: vec![],
        distinct: None,
        select_modifiers: None,
        top: None,
        top_before_distinct: false,
        projection,
        exclude: None,
        into: None,
        from: vec![TableWithJoins {
            relation: TableFactor::Table {
                name: ObjectName::from(parts),
                alias: Some(TableAlias {
                    explicit: true,
                    name: alias(d, SRC),
                    columns: vec![],
                    at: None,
                }),
                args: None,
                with_hints: vec![],
                version: None,
                with_ordinality: false,
                partitions: vec![],
                json_path: None,
                sample: None,
                index_hints: vec![],
            },
            joins: vec![],
        }],
        lateral_views: vec![],
        prewhere: None,
        selection,
        connect_by: vec![],
        group_by: GroupByExpr::Expressions(group_by, vec![]),
        cluster_by: vec![],
        distribute_by: vec![],
        sort_by: vec![],
        having: None,
        named_window: vec![],
        qualify: None,
        window_before_qualify: false,
        value_table_mode: None,
        flavor: SelectFlavor::Standard,
    };
    let query = Query {
        with: None,
        body: Box::new(SetExpr::Select(Box::new(select))),
        order_by: Some(OrderBy {
            kind: OrderByKind::Expressions(
                order_by
                    .into_iter()
                    .map(|i| OrderByExpr {
                        expr: Expr::Identifier(i),
                        options: OrderByOptions {
                            asc: None,
                            nulls_first: Some(false),
                        },
                        with_fill: None,
                    })
                    .collect(),
            ),
            interpolate: None,
        }),
        limit_clause: None,
        fetch: None,
        locks: vec![],
        for_clause: None,
        settings: None,
        format_clause: None,
        pipe_operators: vec![],
    };
    let range = match (req.from, req.to) {
        (None, None) => "every day".to_owned(),
        (f, t) => format!(
            "{} to {}",
            f.map_or("the first day".to_owned(), |d| d.to_string()),
            t.map_or("the last day".to_owned(), |d| d.to_string())
        ),
    };
    // The sort on lines of its own, as the grouping above it.
    let sql = format!("{:#}", Statement::Query(Box::new(query)));
    let sql = match sql.rfind(" ORDER BY ") {
        Some(i) => format!("{}\nORDER BY\n  {}", &sql[..i], &sql[i + 10..]),
        None => sql,
    };
    Ok(format!(
        "-- The canonical daily usage cube of {} ({}, {range}), written by govreview {} for {}.\n-- Export the result as CSV or Parquet and give it to govreview review --data.\n-- {}\n{}\n{sql};\n",
        req.table,
        if w.configured {
            "mapped by [warehouse]"
        } else {
            "canonical columns"
        },
        env!("CARGO_PKG_VERSION"),
        d.name(),
        if w.configured {
            "Columns, and the configuration key each comes from:"
        } else {
            "Columns (the canonical names; no [warehouse] in the configuration):"
        },
        header.join("\n"),
    ))
}

#[cfg(test)]
mod tests;
