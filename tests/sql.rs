//! `govreview sql` on real engines: the query it writes runs on DuckDB and on Apache Spark in
//! local mode, and the review of what the engine returns equals the review of the raw rows; the
//! other dialects are parsed by sqlglot's parser for that dialect. Engines come from the virtual
//! environments `.ci/run` installs (scripts/sql/requirements*.txt).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{govreview, root, run, stderr, stdout};

fn venv(var: &str, name: &str) -> PathBuf {
    let dir = std::env::var(var).unwrap_or_else(|_| {
        format!(
            "{}/.cache/govreview-venvs/{name}",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let python = Path::new(&dir).join("bin/python");
    assert!(
        python.exists(),
        "{python:?} is missing: run .ci/run, which installs scripts/sql/requirements*.txt there"
    );
    python
}

fn sql_python() -> PathBuf {
    venv("GOVREVIEW_SQL_VENV", "sql")
}

/// Writes `govreview sql` for `dialect` to `dir/q.sql`.
fn write_sql(config: &Path, dialect: &str, table: &str, dir: &Path) -> PathBuf {
    let o = run(govreview(&root()).arg("--config").arg(config).args([
        "sql",
        "--dialect",
        dialect,
        "--table",
        table,
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let q = dir.join(format!("{dialect}.sql"));
    std::fs::write(&q, stdout(&o)).unwrap();
    q
}

/// Runs scripts/sql/run.py.
fn engine(python: &Path, args: &[&str]) -> std::process::Output {
    Command::new(python)
        .arg(root().join("scripts/sql/run.py"))
        .args(args)
        .output()
        .unwrap()
}

/// metrics.json of a review, without what may differ between raw rows and their cube: the files
/// read and the number of rows in them.
fn metrics(config: &Path, month: &str, as_of: &str) -> Value {
    let out = tempfile::tempdir().unwrap();
    let o = run(govreview(&root())
        .arg("--config")
        .arg(config)
        .args(["review", "-q", "--month", month, "--as-of", as_of, "--out"])
        .arg(out.path()));
    assert!(o.status.success(), "{}", stderr(&o));
    let mut m: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join(month).join("metrics.json")).unwrap(),
    )
    .unwrap();
    let data = m["data"].as_object_mut().unwrap();
    data.remove("files");
    data.remove("rows");
    m
}

/// The sample's config, reading `data` instead of its CSVs, written into `dir`.
fn sample_config_reading(dir: &Path, data: &str) -> PathBuf {
    let cfg = std::fs::read_to_string(root().join("sample-data/govreview.toml"))
        .unwrap()
        .replace(
            "paths = [\"usage/*.csv\", \"usage/current/*.csv\"]",
            &format!("paths = [\"{data}\"]"),
        );
    assert!(cfg.contains(data));
    let p = dir.join("govreview.toml");
    std::fs::write(&p, cfg).unwrap();
    p
}

/// The sample's usage as one table, `dir/usage.csv` (its monthly files and October's launches on
/// today's models, whose price columns the others lack), and the sample's config with a
/// `[warehouse]` mapping that names those price columns too, `dir/warehouse.toml`.
fn sample_table(dir: &Path) -> (PathBuf, PathBuf) {
    let mut files: Vec<PathBuf> = ["sample-data/usage", "sample-data/usage/current"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root().join(d)).unwrap().flatten())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    let first =
        std::fs::read_to_string(root().join("sample-data/usage/current/2026-10.csv")).unwrap();
    let header: Vec<String> = first
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let mut out = header.join(",") + "\n";
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let mut lines = text.lines();
        let cols: Vec<&str> = lines.next().unwrap().split(',').collect();
        for line in lines {
            let v: Vec<&str> = line.split(',').collect();
            let row: Vec<&str> = header
                .iter()
                .map(|h| cols.iter().position(|c| c == h).map_or("", |i| v[i]))
                .collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    let table = dir.join("usage.csv");
    std::fs::write(&table, out).unwrap();
    let mut cfg = std::fs::read_to_string(root().join("sample-data/govreview.toml")).unwrap();
    cfg.push_str("\n[warehouse]\n[warehouse.columns]\n");
    for h in header.iter().filter(|h| *h != "date") {
        cfg.push_str(&format!("{h} = \"{h}\"\n"));
    }
    let config = dir.join("warehouse.toml");
    std::fs::write(&config, cfg).unwrap();
    (table, config)
}

fn same(a: &Value, b: &Value, what: &str) {
    assert!(
        a == b,
        "{what}: the review of the engine's cube differs from the direct review"
    );
}

#[test]
fn duckdb_cube_of_the_sample_reviews_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let sample = root().join("sample-data/govreview.toml");
    let (csv, warehouse) = sample_table(dir.path());
    duckdb_cube(&warehouse, &csv, &dir.path().join("cube.csv"));
    let direct = metrics(&sample, "2026-10", "2026-11-10");
    let pushed = metrics(
        &sample_config_reading(dir.path(), "cube.csv"),
        "2026-10",
        "2026-11-10",
    );
    same(&pushed, &direct, "DuckDB over the sample");
}

/// Runs the DuckDB query of `config` over `csv` into `out`.
fn duckdb_cube(config: &Path, csv: &Path, out: &Path) {
    let dir = out.parent().unwrap();
    let q = write_sql(config, "duckdb", "usage", dir);
    let o = engine(
        &sql_python(),
        &[
            "duckdb",
            "--sql",
            q.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A NULL in the warehouse never reads as 0 in the cube: rows without a billed cost stay apart
/// from billed rows of the same day and key (and are priced, as the raw rows are), and a NULL
/// token count leaves its sum empty, which the review refuses as it refuses the raw row.
#[test]
fn a_null_in_the_warehouse_is_never_a_zero_in_the_cube() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, warehouse) = sample_table(dir.path());
    // Every row twice, the same day and key: once billed ($1.25), once without a cost.
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let mut billed = format!("{},cost_usd\n", lines.next().unwrap());
    for line in lines {
        billed.push_str(&format!("{line},1.25\n{line},\n"));
    }
    std::fs::write(&csv, &billed).unwrap();
    let cfg = std::fs::read_to_string(&warehouse).unwrap() + "cost_usd = \"cost_usd\"\n";
    std::fs::write(&warehouse, cfg).unwrap();
    let cubes = dir.path().join("cubes");
    std::fs::create_dir(&cubes).unwrap();
    duckdb_cube(&warehouse, &csv, &cubes.join("cube.csv"));
    let direct = metrics(
        &sample_config_reading(dir.path(), "usage.csv"),
        "2026-10",
        "2026-11-10",
    );
    let pushed = metrics(
        &sample_config_reading(&cubes, "cube.csv"),
        "2026-10",
        "2026-11-10",
    );
    same(&pushed, &direct, "DuckDB over rows billed and not");

    // One empty cache read count: the raw rows and the cube are both refused, naming it.
    let mut lines: Vec<String> = billed.lines().map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let at = header
        .iter()
        .position(|h| *h == "cache_read_input_tokens")
        .unwrap();
    let row = lines
        .iter()
        .position(|l| l.starts_with("2026-10-02,"))
        .unwrap();
    let mut cells: Vec<String> = lines[row].split(',').map(str::to_owned).collect();
    cells[at] = String::new();
    lines[row] = cells.join(",");
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    duckdb_cube(&warehouse, &csv, &cubes.join("cube.csv"));
    for config in [
        sample_config_reading(dir.path(), "usage.csv"),
        sample_config_reading(&cubes, "cube.csv"),
    ] {
        let out = tempfile::tempdir().unwrap();
        let o = run(govreview(&root())
            .arg("--config")
            .arg(&config)
            .args([
                "review",
                "-q",
                "--month",
                "2026-10",
                "--as-of",
                "2026-11-10",
                "--out",
            ])
            .arg(out.path()));
        assert_eq!(o.status.code(), Some(2), "{config:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("cache_read_input_tokens")
                && stderr(&o).contains("is not a token count"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn duckdb_cube_of_the_benchmark_files_reviews_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let bench = dir.path().join("bench");
    let python = sql_python();
    let o = engine(
        &python,
        &["bench", "--dir", bench.to_str().unwrap(), "--rows", "20000"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let config = bench.join("govreview.toml");
    let q = write_sql(&config, "duckdb", "usage", dir.path());
    let cube_dir = dir.path().join("cube");
    std::fs::create_dir(&cube_dir).unwrap();
    let cube = cube_dir.join("cube.csv");
    let files = bench.join("*.parquet");
    let o = engine(
        &python,
        &[
            "duckdb",
            "--sql",
            q.to_str().unwrap(),
            "--parquet",
            files.to_str().unwrap(),
            "--out",
            cube.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let cfg = std::fs::read_to_string(&config)
        .unwrap()
        .replace("paths = [\"*.parquet\"]", "paths = [\"cube.csv\"]");
    std::fs::write(cube_dir.join("govreview.toml"), cfg).unwrap();
    let direct = metrics(&config, "2026-12", "2027-01-10");
    let pushed = metrics(&cube_dir.join("govreview.toml"), "2026-12", "2027-01-10");
    same(
        &pushed,
        &direct,
        "DuckDB over the benchmark's Parquet files",
    );
}

#[test]
fn spark_cube_of_the_sample_reviews_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let sample = root().join("sample-data/govreview.toml");
    let (csv, warehouse) = sample_table(dir.path());
    let q = write_sql(&warehouse, "spark", "usage", dir.path());
    let cube = dir.path().join("cube.csv");
    let python = venv("GOVREVIEW_SPARK_VENV", "spark");
    let o = engine(
        &python,
        &[
            "spark",
            "--sql",
            q.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
            "--out",
            cube.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let direct = metrics(&sample, "2026-10", "2026-11-10");
    let pushed = metrics(
        &sample_config_reading(dir.path(), "cube.csv"),
        "2026-10",
        "2026-11-10",
    );
    same(&pushed, &direct, "Spark over the sample");
}

const GATEWAY: &str = r#"[organization]
name = "Acme"
review_owner = "Dana Whitfield"

[warehouse]
table = "analytics.llm_usage"
time = "startTime"
time_type = "timestamp_tz"
rows_are_requests = true

[warehouse.columns]
team = "team_id"
api_key_id = "api_key"
model = "model"
uncached_input_tokens = "prompt_tokens"
cache_read_input_tokens = "cache_read_input_tokens"
output_tokens = "completion_tokens"
cost_usd = "spend"
"#;

/// Every dialect's query parses with sqlglot for that dialect (strictly: one SELECT, every
/// identifier quoted, every source column read as a column), and the check can fail: Postgres's
/// query read as Spark is caught.
#[test]
fn every_dialect_parses_with_sqlglot() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("govreview.toml");
    std::fs::write(&config, GATEWAY).unwrap();
    let columns = [
        "startTime",
        "team_id",
        "api_key",
        "model",
        "prompt_tokens",
        "cache_read_input_tokens",
        "completion_tokens",
        "spend",
    ];
    let validate = |dialect: &str, q: &Path| {
        Command::new(sql_python())
            .arg(root().join("scripts/sql/validate.py"))
            .arg(dialect)
            .arg(q)
            .args(columns)
            .output()
            .unwrap()
    };
    for dialect in [
        "duckdb",
        "spark",
        "bigquery",
        "snowflake",
        "postgres",
        "trino",
    ] {
        let o = run(govreview(&root()).arg("--config").arg(&config).args([
            "sql",
            "--dialect",
            dialect,
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
        ]));
        assert!(o.status.success(), "{}", stderr(&o));
        let q = dir.path().join(format!("{dialect}.sql"));
        std::fs::write(&q, stdout(&o)).unwrap();
        let v = validate(dialect, &q);
        assert!(
            v.status.success(),
            "{dialect}: {}",
            String::from_utf8_lossy(&v.stdout)
        );
    }
    let wrong = validate("spark", &dir.path().join("postgres.sql"));
    assert!(
        !wrong.status.success(),
        "the validator must catch double-quoted identifiers in Spark"
    );
}

/// A mapping naming a column the table lacks: the engine's error names the column, and the
/// query's header names the configuration key it came from.
#[test]
fn a_missing_column_is_named_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = std::fs::read_to_string(root().join("sample-data/govreview.toml")).unwrap()
        + "\n[warehouse]\ntime = \"date\"\n[warehouse.columns]\nmodel = \"model\"\nteam = \"team\"\noutput_tokens = \"completion_tokens\"\n";
    let config = dir.path().join("govreview.toml");
    std::fs::write(&config, cfg).unwrap();
    let q = write_sql(&config, "duckdb", "usage", dir.path());
    let csv = root().join("sample-data/usage/*.csv");
    let o = engine(
        &sql_python(),
        &[
            "duckdb",
            "--sql",
            q.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
            "--out",
            dir.path().join("cube.csv").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("completion_tokens"), "{err}");
    assert!(
        err.contains("`completion_tokens` comes from [warehouse.columns] output_tokens"),
        "{err}"
    );
}

#[test]
fn bad_sql_requests_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("govreview.toml");
    std::fs::write(&config, GATEWAY).unwrap();
    let sql = |args: &[&str]| {
        run(govreview(&root())
            .arg("--config")
            .arg(&config)
            .arg("sql")
            .args(args))
    };
    let o = sql(&["--dialect", "oracle"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid value 'oracle'"),
        "{}",
        stderr(&o)
    );
    let o = sql(&[
        "--dialect",
        "duckdb",
        "--from",
        "2026-10-31",
        "--to",
        "2026-10-01",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--from 2026-10-31 is after --to 2026-10-01"),
        "{}",
        stderr(&o)
    );
    let o = sql(&["--dialect", "postgres", "--table", "x\".y"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("quote character"), "{}", stderr(&o));
    std::fs::write(
        &config,
        GATEWAY.replace("team = \"team_id\"", "teem = \"team_id\""),
    )
    .unwrap();
    let o = sql(&["--dialect", "duckdb"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `team`?"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());
}
