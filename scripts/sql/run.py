#!/usr/bin/env python3
"""Runs a query written by `govreview sql` on a real engine and exports its result as CSV, the
way a user would before `govreview review --data cube.csv`. Used by the tests; loopback and local
files only.

  run.py duckdb --sql Q.sql --csv 'usage/*.csv' --out cube.csv      # the table `usage` from CSVs
  run.py duckdb --sql Q.sql --parquet 'dir/*.parquet' --out cube.csv
  run.py spark  --sql Q.sql --csv 'usage/*.csv' --out cube.csv      # Spark local[2]
  run.py bench  --dir DIR --rows N                                 # the benchmark's Parquet files

The table is registered as `usage` (a view over the files). The session time zone is set away
from UTC on purpose: the query's days must not depend on it. When the engine refuses the query,
its error is printed with the configuration key of any column it names (from the query's
header), and the exit code is 2.
"""
import argparse
import glob
import os
import re
import shutil
import sys

CANONICAL_TYPES = {
    "date": "DATE", "team": "VARCHAR", "app": "VARCHAR", "workspace_id": "VARCHAR",
    "api_key_id": "VARCHAR", "model": "VARCHAR", "service_tier": "VARCHAR",
    "uncached_input_tokens": "BIGINT", "cache_creation_5m_input_tokens": "BIGINT",
    "cache_creation_1h_input_tokens": "BIGINT", "cache_read_input_tokens": "BIGINT",
    "output_tokens": "BIGINT", "requests": "BIGINT", "web_search_requests": "BIGINT",
    "cost_usd": "DOUBLE",
}


def header_columns(path):
    with open(sorted(glob.glob(path))[0]) as f:
        return f.readline().strip().split(",")


def explain(sql, error):
    """The engine's error, with the configuration key of each column it names."""
    keys = dict(re.findall(r"^-- \w+ <- (\S+) \((.+)\)$", sql, re.M))
    named = [f"`{col}` comes from {key}" for col, key in keys.items()
             if re.search(r"(?<![\w])" + re.escape(col) + r"(?![\w])", error)]
    return error + ("\n" + "; ".join(named) if named else "")


def run_duckdb(args, sql):
    import duckdb
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/Los_Angeles'")
    if args.csv:
        cols = header_columns(args.csv)
        types = ", ".join(f"'{c}': '{CANONICAL_TYPES.get(c, 'VARCHAR')}'" for c in cols)
        con.execute(f"CREATE VIEW usage AS SELECT * FROM read_csv('{args.csv}', header = true, columns = {{{types}}})")
    else:
        con.execute(f"CREATE VIEW usage AS SELECT * FROM read_parquet('{args.parquet}')")
    try:
        con.execute(f"COPY ({sql.rstrip().rstrip(';')}) TO '{args.out}' (HEADER, DELIMITER ',')")
    except duckdb.Error as e:
        sys.exit(print(explain(sql, str(e)), file=sys.stderr) or 2)


def run_spark(args, sql):
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[2]").appName("govreview-sql")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.sql.shuffle.partitions", "2")
             .config("spark.sql.session.timeZone", "America/Los_Angeles")
             .config("spark.sql.warehouse.dir", os.path.join(os.path.dirname(os.path.abspath(args.out)), "spark-warehouse"))
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        cols = header_columns(args.csv)
        schema = ", ".join(f"{c} {CANONICAL_TYPES.get(c, 'VARCHAR').replace('VARCHAR', 'STRING')}" for c in cols)
        spark.read.option("header", True).option("mode", "FAILFAST").schema(schema) \
            .csv(sorted(glob.glob(args.csv))).createOrReplaceTempView("usage")
        try:
            df = spark.sql(sql.rstrip().rstrip(";"))
        except Exception as e:  # AnalysisException and friends
            sys.exit(print(explain(sql, str(e).splitlines()[0]), file=sys.stderr) or 2)
        tmp = args.out + ".parts"
        df.coalesce(1).write.mode("overwrite").option("header", True).csv(tmp)
        parts = glob.glob(os.path.join(tmp, "part-*.csv"))
        shutil.move(parts[0], args.out)
        shutil.rmtree(tmp)
    finally:
        spark.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["duckdb", "spark", "bench"])
    ap.add_argument("--sql")
    ap.add_argument("--csv")
    ap.add_argument("--parquet")
    ap.add_argument("--out")
    ap.add_argument("--dir")
    ap.add_argument("--rows", type=int)
    args = ap.parse_args()
    if args.engine == "bench":
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
        import bench
        bench.generate(args.dir, args.rows)
        return
    with open(args.sql) as f:
        sql = f.read()
    (run_duckdb if args.engine == "duckdb" else run_spark)(args, sql)


if __name__ == "__main__":
    main()
