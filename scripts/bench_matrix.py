#!/usr/bin/env python3
"""Benchmark matrix: the whole govreview review against DuckDB's best cube query, on the same
year of per-request usage written in several realistic Parquet layouts (and as CSV).

Layouts (12 months; ROWS rows a month; every layout but `nested` holds the same rows):
  nested        the original benchmark: 40 apps nested in 8 teams, DuckDB-written
  crossed       12 teams x 40 apps crossed freely, every row's day drawn at random within its
                month, high-entropy token counts (DuckDB-written, 122,880-row row groups)
  sorted        `crossed` sorted by day
  rg10k         `crossed` in row groups of 10,000 rows
  rg1m          `crossed` in row groups of 1,000,000 rows
  plain         `crossed` with every column plain-encoded (no dictionaries), as some writers do
  daily         `crossed` as one file per day (365 files)
  pyarrow       `crossed` written by pyarrow with its defaults
  spark         `crossed` written by Apache Spark (local mode) with its defaults
  csv           `crossed` at CSV_ROWS rows a month as CSV (the general query; DuckDB reads the
                same CSV)
  duckdb        a warehouse's export as DuckDB writes it (COPY ... (FORMAT parquet), its defaults,
                one file a month): real-looking IDs (`wrkspc_01...`, `apikey_01...`; 300 keys, each
                in one of 30 workspaces and serving one of 120 apps in 25 teams), columns in the
                warehouse's own order, token counts drawn from long-tailed distributions
  wide          `duckdb` with 25 more columns the review never reads, as real exports carry them:
                request and trace IDs (unique per row), user and session IDs, region, endpoint,
                status, stop reason, SDK and version, latencies, timestamps, prices and costs
The peer is DuckDB's fastest formulation of the month x team x app x model x tier cube:
`date_trunc('month', date) ... GROUP BY ALL`. Each layout runs PAIRS alternating pairs (govreview,
then DuckDB, each in a fresh process under /usr/bin/time -v); reported: median wall, median user
and system CPU seconds, largest peak RSS. The review's December totals are checked against
DuckDB's sums for every layout.

Usage: scripts/bench_matrix.py --bin target/release/govreview [--rows 10000000] [--csv-rows
1000000] [--pairs 5] [--layouts crossed,sorted,...] [--data bench-data/matrix]
Needs: a Python with duckdb and pyarrow (the `spark` layout: --spark-python, a Python with
pyspark, and Java 17), /usr/bin/time.
"""

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (the original generator, config and check)

MODELS = bench.MODELS
LAYOUTS = ["nested", "crossed", "sorted", "rg10k", "rg1m", "plain", "daily", "pyarrow", "spark", "csv",
           "duckdb", "wide"]


def days_in(month):
    return 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31


def crossed_query(month, rows):
    """12 teams x 40 apps crossed freely, random days, high-entropy counts."""
    seed = month * 1_000_000_007
    models = "[" + ", ".join(f"'{m}'" for m in MODELS) + "]"
    return f"""
        SELECT
          make_date(2026, {month}, 1) + CAST(hash(i + {seed * 2}) % {days_in(month)} AS INTEGER) AS date,
          'wrkspc_' || CAST(hash(i + {seed * 23}) % 12 AS INTEGER) AS workspace_id,
          'apikey_' || CAST(hash(i + {seed * 29}) % 40 AS INTEGER) AS api_key_id,
          'team-' || CAST(hash(i + {seed * 23}) % 12 AS INTEGER) AS team,
          'app-' || CAST(hash(i + {seed * 29}) % 40 AS INTEGER) AS app,
          list_element({models}, CAST(hash(i + {seed * 3}) % 6 AS INTEGER) + 1) AS model,
          CASE WHEN hash(i + {seed * 5}) % 4 = 0 THEN 'batch' ELSE 'standard' END AS service_tier,
          CAST(hash(i + {seed * 7}) % 1000003 AS BIGINT) AS uncached_input_tokens,
          CAST(hash(i + {seed * 11}) % 300007 AS BIGINT) AS cache_creation_5m_input_tokens,
          CAST(hash(i + {seed * 13}) % 100003 AS BIGINT) AS cache_creation_1h_input_tokens,
          CAST(hash(i + {seed * 17}) % 8000009 AS BIGINT) AS cache_read_input_tokens,
          CAST(hash(i + {seed * 19}) % 150001 AS BIGINT) AS output_tokens,
          CAST(1 AS BIGINT) AS requests
        FROM range({rows}) t(i)
    """


def export_query(month, rows, wide):
    """A warehouse export: real-looking IDs, long-tailed counts; `wide` adds 25 unread columns."""
    seed = month * 7_919_000_003
    models = "[" + ", ".join(f"'{m}'" for m in MODELS) + "]"
    h = lambda k: f"hash(i + {seed * k})"  # noqa: E731
    extra = ""
    if wide:
        extra = f""",
          'req_' || lpad(to_hex({h(31)}), 16, '0') || lpad(to_hex(i), 8, '0') AS request_id,
          'trace-' || to_hex({h(37)}) AS trace_id,
          'user_' || CAST({h(41)} % 20000 AS INTEGER) AS user_id,
          'sess_' || to_hex({h(43)} % 5000000) AS session_id,
          list_element(['us-east-1', 'us-west-2', 'eu-west-1', 'ap-northeast-1'],
                       CAST({h(47)} % 4 AS INTEGER) + 1) AS region,
          '/v1/messages' AS endpoint,
          CAST(200 + (CASE WHEN {h(53)} % 500 = 0 THEN 229 ELSE 0 END) AS INTEGER) AS http_status,
          list_element(['end_turn', 'max_tokens', 'tool_use', 'stop_sequence'],
                       CAST({h(59)} % 4 AS INTEGER) + 1) AS stop_reason,
          list_element(['anthropic-python', 'anthropic-typescript', 'anthropic-java', 'http'],
                       CAST({h(61)} % 4 AS INTEGER) + 1) AS sdk,
          '0.' || CAST(40 + {h(67)} % 30 AS INTEGER) || '.' || CAST({h(71)} % 5 AS INTEGER) AS sdk_version,
          CAST({h(73)} % 60000 AS INTEGER) AS latency_ms,
          CAST({h(79)} % 5000 AS INTEGER) AS time_to_first_token_ms,
          TIMESTAMP '2026-01-01' + to_microseconds(CAST({h(83)} % 31536000000000 AS BIGINT)) AS started_at,
          TIMESTAMP '2026-01-01' + to_microseconds(CAST({h(89)} % 31536000000000 AS BIGINT)) AS finished_at,
          CAST({h(97)} % 1000000 AS DOUBLE) / 1e8 AS input_price_per_token,
          CAST({h(101)} % 1000000 AS DOUBLE) / 1e8 AS output_price_per_token,
          CAST({h(103)} % 10000000 AS DOUBLE) / 1e9 AS estimated_cost_usd,
          CAST({h(107)} % 100 AS DOUBLE) / 100 AS sampling_temperature,
          CAST({h(109)} % 8 AS INTEGER) AS tool_calls,
          CAST({h(113)} % 3 AS INTEGER) AS retries,
          {h(127)} % 10 = 0 AS streamed,
          'org_' || '01JQ8Z3K7V2M4N6P8R0T2W4Y6A' AS organization_id,
          'proj-' || CAST({h(131)} % 300 AS INTEGER) AS project,
          'cc-' || CAST({h(137)} % 60 AS INTEGER) AS cost_center,
          'tag:' || CAST({h(139)} % 1000 AS INTEGER) AS labels"""
    return f"""
        SELECT
          'wrkspc_01JQ' || lpad(CAST({h(29)} % 300 % 30 AS VARCHAR), 22, 'X') AS workspace_id,
          'apikey_01JQ' || lpad(CAST({h(29)} % 300 AS VARCHAR), 22, 'K') AS api_key_id,
          make_date(2026, {month}, 1) + CAST({h(2)} % {days_in(month)} AS INTEGER) AS date,
          list_element({models}, CAST({h(3)} % 6 AS INTEGER) + 1) AS model,
          'team-' || CAST({h(29)} % 300 % 25 AS INTEGER) AS team,
          'app-' || CAST({h(29)} % 300 % 120 AS INTEGER) AS app,
          CASE WHEN {h(5)} % 5 = 0 THEN 'batch' ELSE 'standard' END AS service_tier,
          CAST(pow(CAST({h(7)} % 1000003 AS DOUBLE) / 1000003, 3) * 400000 AS BIGINT) AS uncached_input_tokens,
          CAST(pow(CAST({h(11)} % 300007 AS DOUBLE) / 300007, 4) * 90000 AS BIGINT) AS cache_creation_5m_input_tokens,
          CAST(pow(CAST({h(13)} % 100003 AS DOUBLE) / 100003, 6) * 50000 AS BIGINT) AS cache_creation_1h_input_tokens,
          CAST(pow(CAST({h(17)} % 8000009 AS DOUBLE) / 8000009, 2) * 900000 AS BIGINT) AS cache_read_input_tokens,
          CAST(pow(CAST({h(19)} % 150001 AS DOUBLE) / 150001, 3) * 32000 AS BIGINT) AS output_tokens,
          CAST(1 AS BIGINT) AS requests{extra}
        FROM range({rows}) t(i)
    """


def write_config(d, pattern):
    with open(os.path.join(d, "govreview.toml"), "w") as f:
        f.write(bench.CONFIG.replace('paths = ["*.parquet"]', f'paths = ["{pattern}"]'))


def generate(layout, root, rows, csv_rows, spark_python):
    """Writes the layout under root/layout (once); returns (folder, glob relative to it)."""
    d = os.path.join(root, layout)
    pattern = "*.parquet"
    if layout == "nested":
        bench.generate(d, rows)
        return d, pattern
    if layout == "spark":
        pattern = "**/*.parquet"
    if layout == "csv":
        pattern = "*.csv"
    done = os.path.join(d, ".done")
    if os.path.exists(done):
        return d, pattern
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    con = duckdb.connect()
    base = os.path.join(root, "crossed")
    if layout == "crossed":
        for m in range(1, 13):
            con.execute(f"COPY ({crossed_query(m, rows)}) TO '{d}/2026-{m:02d}.parquet' (FORMAT parquet)")
    elif layout in ("sorted", "rg10k", "rg1m"):
        generate("crossed", root, rows, csv_rows, spark_python)
        for m in range(1, 13):
            src = f"{base}/2026-{m:02d}.parquet"
            q = f"SELECT * FROM read_parquet('{src}')" + (" ORDER BY date" if layout == "sorted" else "")
            opts = {"rg10k": ", ROW_GROUP_SIZE 10000", "rg1m": ", ROW_GROUP_SIZE 1000000"}.get(layout, "")
            con.execute(f"COPY ({q}) TO '{d}/2026-{m:02d}.parquet' (FORMAT parquet{opts})")
    elif layout in ("plain", "pyarrow"):
        import pyarrow.parquet as pq
        generate("crossed", root, rows, csv_rows, spark_python)
        for m in range(1, 13):
            t = con.sql(f"SELECT * FROM read_parquet('{base}/2026-{m:02d}.parquet')").to_arrow_table()
            if layout == "plain":
                pq.write_table(t, f"{d}/2026-{m:02d}.parquet", use_dictionary=False)
            else:
                pq.write_table(t, f"{d}/2026-{m:02d}.parquet")
    elif layout == "daily":
        generate("crossed", root, rows, csv_rows, spark_python)
        for m in range(1, 13):
            con.execute(f"CREATE OR REPLACE TEMP TABLE month AS SELECT * FROM read_parquet('{base}/2026-{m:02d}.parquet')")
            for day in range(1, days_in(m) + 1):
                con.execute(f"COPY (SELECT * FROM month WHERE date = make_date(2026, {m}, {day})) "
                            f"TO '{d}/2026-{m:02d}-{day:02d}.parquet' (FORMAT parquet)")
    elif layout == "spark":
        generate("crossed", root, rows, csv_rows, spark_python)
        code = f"""
from pyspark.sql import SparkSession
s = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
     .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
     .config("spark.driver.memory", "4g").getOrCreate())
s.sparkContext.setLogLevel("ERROR")
s.read.parquet("{base}/*.parquet").write.mode("overwrite").parquet("{d}/spark")
s.stop()
"""
        subprocess.run([spark_python, "-c", code], check=True)
    elif layout in ("duckdb", "wide"):
        for m in range(1, 13):
            q = export_query(m, rows, layout == "wide")
            con.execute(f"COPY ({q}) TO '{d}/2026-{m:02d}.parquet' (FORMAT parquet)")
    elif layout == "csv":
        for m in range(1, 13):
            con.execute(f"COPY ({crossed_query(m, csv_rows)}) TO '{d}/2026-{m:02d}.csv' (HEADER)")
    else:
        sys.exit(f"unknown layout {layout}")
    write_config(d, pattern)
    open(done, "w").close()
    return d, pattern


def timed(cmd):
    """Runs cmd under /usr/bin/time -v: (wall s, user s, system s, peak RSS MiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        start = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        if p.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
        stats = {}
        for line in tf.read().splitlines():
            k, _, v = line.strip().rpartition(": ")
            stats[k] = v
        return (wall, float(stats["User time (seconds)"]), float(stats["System time (seconds)"]),
                int(stats["Maximum resident set size (kbytes)"]) / 1024)


def summary(runs):
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
            statistics.median(r[2] for r in runs), max(r[3] for r in runs))


def describe(d, pattern):
    files = sorted(glob.glob(os.path.join(d, pattern), recursive=True))
    if pattern.endswith(".csv"):
        return len(files), "-"
    groups = duckdb.connect().execute(
        f"SELECT count(DISTINCT (file_name, row_group_id)) FROM parquet_metadata('{os.path.join(d, pattern)}')").fetchone()[0]
    return len(files), groups


def check(out, d, pattern):
    """The review's December totals and row count must equal DuckDB's sums over the same files."""
    import json
    with open(os.path.join(out, "2026-12", "metrics.json")) as f:
        m = json.load(f)
    reader = f"read_csv('{os.path.join(d, pattern)}', header = true)" if pattern.endswith(".csv") \
        else f"read_parquet('{os.path.join(d, pattern)}')"
    dec = "FILTER (WHERE month(date) = 12)"
    row = duckdb.connect().execute(f"""
        SELECT sum(uncached_input_tokens) {dec}, sum(cache_creation_5m_input_tokens) {dec},
               sum(cache_creation_1h_input_tokens) {dec}, sum(cache_read_input_tokens) {dec},
               sum(output_tokens) {dec}, sum(requests) {dec}, count(*)
        FROM {reader}""").fetchone()
    want = tuple(int(x) for x in row)
    t = m["tokens"]
    got = (t["uncached_input"], t["cache_write_5m"], t["cache_write_1h"], t["cache_read"],
           t["output"], m["requests"], m["data"]["rows"])
    if got != want:
        sys.exit(f"{d}: govreview's December totals and row count {got} differ from DuckDB's {want}")


PEER = """import duckdb
duckdb.connect().execute(\"\"\"
SELECT date_trunc('month', date) AS month, team, app, model, service_tier,
       sum(uncached_input_tokens), sum(cache_creation_5m_input_tokens),
       sum(cache_creation_1h_input_tokens), sum(cache_read_input_tokens),
       sum(output_tokens), sum(requests), count(*)
FROM {reader} GROUP BY ALL\"\"\").fetchall()
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--csv-rows", type=int, default=1_000_000)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--layouts", default=",".join(LAYOUTS))
    ap.add_argument("--data", default="bench-data/matrix")
    ap.add_argument("--spark-python", default=os.path.expanduser("~/.cache/govreview-venvs/spark/bin/python"))
    ap.add_argument("--generate-only", action="store_true")
    args = ap.parse_args()
    root = os.path.join(args.data, str(args.rows))
    print(f"govreview {args.bin}; DuckDB {duckdb.__version__}; {os.cpu_count()} cores; "
          f"{args.pairs} alternating pairs, medians (peak RSS: the largest); {args.rows * 12:,} "
          f"Parquet rows, {args.csv_rows * 12:,} CSV rows\n")
    print("| layout | files | row groups | govreview | user | sys | peak RSS | DuckDB | user | sys | peak RSS | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for layout in args.layouts.split(","):
        t0 = time.perf_counter()
        d, pattern = generate(layout, root, args.rows, args.csv_rows, args.spark_python)
        print(f"<!-- {layout}: ready in {time.perf_counter() - t0:.0f} s -->", file=sys.stderr, flush=True)
        if args.generate_only:
            continue
        files, groups = describe(d, pattern)
        reader = (f"read_csv('{os.path.join(d, pattern)}', header = true)" if pattern.endswith(".csv")
                  else f"read_parquet('{os.path.join(d, pattern)}')")
        peer_cmd = [sys.executable, "-c", PEER.format(reader=reader)]
        out = tempfile.mkdtemp(prefix="govreview-matrix-")
        ours_cmd = [args.bin, "review", "--config", os.path.join(d, "govreview.toml"), "--month",
                    "2026-12", "--as-of", "2027-01-10", "--out", out, "--quiet"]
        ours, peer = [], []
        for _ in range(args.pairs):
            ours.append(timed(ours_cmd))
            peer.append(timed(peer_cmd))
        check(out, d, pattern)
        shutil.rmtree(out, ignore_errors=True)
        o, p = summary(ours), summary(peer)
        print(f"| {layout} | {files} | {groups} | {o[0]:.2f} s | {o[1]:.1f} | {o[2]:.1f} | {o[3]:.0f} MiB | "
              f"{p[0]:.2f} s | {p[1]:.1f} | {p[2]:.1f} | {p[3]:.0f} MiB | {o[0] / p[0]:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
