//! `govreview sql`: the query that computes the daily usage cube in the engine that holds the
//! data, printed for the user to run there.

use std::io::Write;

use crate::cli::{GlobalArgs, SqlArgs, SqlDialect};
use crate::error::{Error, Result};
use crate::pipeline;
use crate::sql::{Dialect, Request, daily_cube_sql};

/// Prints the query.
pub fn run(global: &GlobalArgs, args: &SqlArgs, out: &mut dyn Write) -> Result<()> {
    let cfg = pipeline::load_config(&global.config)?;
    let dialect = match args.dialect {
        SqlDialect::Duckdb => Dialect::DuckDb,
        SqlDialect::Spark => Dialect::Spark,
        SqlDialect::Bigquery => Dialect::BigQuery,
        SqlDialect::Snowflake => Dialect::Snowflake,
        SqlDialect::Postgres => Dialect::Postgres,
        SqlDialect::Trino => Dialect::Trino,
    };
    let table = args
        .table
        .as_deref()
        .or(cfg.warehouse.table.as_deref())
        .ok_or_else(|| {
            Error::Usage(format!(
                "no table: pass --table NAME or set table under [warehouse] in {}",
                cfg.path.display()
            ))
        })?;
    let sql = daily_cube_sql(
        &cfg.warehouse,
        &Request {
            dialect,
            table,
            from: args.from,
            to: args.to,
        },
    )?;
    out.write_all(sql.as_bytes())
        .map_err(|e| Error::io("stdout", "cannot write", e))
}
