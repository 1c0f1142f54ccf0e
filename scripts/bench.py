#!/usr/bin/env python3
"""Benchmark: the whole govreview review against DuckDB building the same cube.

For each size (rows per month), generate 12 months of per-request usage rows as Parquet (one
file per month; deterministic, hash-based), then, in the same run:
  * govreview: `govreview review` on all 12 files (load, aggregate, price, report, render, write);
  * DuckDB (the peer): the month x team x app x model x tier cube with token sums over the same files.
Each is run REPEAT times in a fresh process under /usr/bin/time; the median wall time and the
largest peak RSS are reported, with the ratios.

Usage: scripts/bench.py [--sizes 1000000,10000000] [--repeat 3] [--bin target/release/govreview]
Needs: python3 with duckdb (`pip install duckdb`), /usr/bin/time (Debian package `time`).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import duckdb

MODELS = [
    "claude-opus-4-5-20251101", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001",
    "claude-sonnet-4-6", "claude-opus-4-6", "claude-3-5-haiku-20241022",
]

CONFIG = """[organization]
name = "Benchmark Org"
review_owner = "Bench Owner"

[data]
paths = ["*.parquet"]

[targets]
max_opus_share = 0.3
min_cache_hit_rate = 0.5
min_batch_share = 0.25
commitment_pacing = { min = 0.9, max = 1.1 }

[commitment]
amount = 5_000_000.0
start = 2026-01-01
end = 2026-12-31
"""

PEER_QUERY = """
SELECT date_trunc('month', date) AS month, team, app, model, service_tier,
       sum(uncached_input_tokens), sum(cache_creation_5m_input_tokens),
       sum(cache_creation_1h_input_tokens), sum(cache_read_input_tokens),
       sum(output_tokens), sum(requests), count(*)
FROM read_parquet('{glob}')
GROUP BY ALL
"""


def generate(dirname, rows):
    os.makedirs(dirname, exist_ok=True)
    con = duckdb.connect()
    models = "[" + ", ".join(f"'{m}'" for m in MODELS) + "]"
    for month in range(1, 13):
        path = os.path.join(dirname, f"2026-{month:02d}.parquet")
        if os.path.exists(path):
            continue
        days = 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31
        seed = month * 1_000_000_007
        con.execute(f"""
            COPY (
              SELECT
                make_date(2026, {month}, 1) + CAST((i * 7919) % {days} AS INTEGER) AS date,
                'wrkspc_' || (a % 8) AS workspace_id,
                'apikey_' || a AS api_key_id,
                'team-' || (a % 8) AS team,
                'app-' || a AS app,
                list_element({models}, CAST(hash(i + {seed * 3}) % 6 AS INTEGER) + 1) AS model,
                CASE WHEN hash(i + {seed * 5}) % 4 = 0 THEN 'batch' ELSE 'standard' END AS service_tier,
                CAST(hash(i + {seed * 7}) % 5000 AS BIGINT) AS uncached_input_tokens,
                CAST(hash(i + {seed * 11}) % 300 AS BIGINT) AS cache_creation_5m_input_tokens,
                CAST(hash(i + {seed * 13}) % 100 AS BIGINT) AS cache_creation_1h_input_tokens,
                CAST(hash(i + {seed * 17}) % 8000 AS BIGINT) AS cache_read_input_tokens,
                CAST(hash(i + {seed * 19}) % 1500 AS BIGINT) AS output_tokens,
                CAST(1 AS BIGINT) AS requests
              FROM (SELECT i, CAST(hash(i + {seed}) % 40 AS INTEGER) AS a FROM range({rows}) t(i))
            ) TO '{path}' (FORMAT parquet)
        """)
    with open(os.path.join(dirname, "govreview.toml"), "w") as f:
        f.write(CONFIG)


def timed(cmd):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, peak RSS in MiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        start = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        if p.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
        rss_kb = 0
        for line in tf.read().splitlines():
            if "Maximum resident set size" in line:
                rss_kb = int(line.split(":")[1])
        return wall, rss_kb / 1024


def measure(cmd, repeat):
    runs = [timed(cmd) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def check(out, d):
    """The review's December token and request totals, and its row count, must equal DuckDB's
    sums over the same files."""
    import json
    with open(os.path.join(out, "2026-12", "metrics.json")) as f:
        m = json.load(f)
    dec = "FILTER (WHERE month(date) = 12)"
    row = duckdb.connect().execute(f"""
        SELECT sum(uncached_input_tokens) {dec}, sum(cache_creation_5m_input_tokens) {dec},
               sum(cache_creation_1h_input_tokens) {dec}, sum(cache_read_input_tokens) {dec},
               sum(output_tokens) {dec}, sum(requests) {dec}, count(*)
        FROM read_parquet('{os.path.join(d, "*.parquet")}')
    """).fetchone()
    want = tuple(int(x) for x in row)
    t = m["tokens"]
    got = (t["uncached_input"], t["cache_write_5m"], t["cache_write_1h"], t["cache_read"],
           t["output"], m["requests"], m["data"]["rows"])
    if got != want:
        sys.exit(f"govreview's December totals and row count {got} differ from DuckDB's {want}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--bin", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "release", "govreview"))
    ap.add_argument("--data", default="bench-data")
    args = ap.parse_args()

    print(f"govreview: {args.bin}; DuckDB {duckdb.__version__}; {os.cpu_count()} cores; "
          f"median of {args.repeat} runs, peak RSS = largest of them\n")
    print("| rows/month | rows | govreview review | peak RSS | DuckDB cube | peak RSS | time ratio | memory ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in [int(s) for s in args.sizes.split(",")]:
        d = os.path.join(args.data, f"{size}")
        t0 = time.perf_counter()
        generate(d, size)
        gen = time.perf_counter() - t0
        out = tempfile.mkdtemp(prefix="govreview-bench-")
        ours = measure([args.bin, "review", "--config", os.path.join(d, "govreview.toml"),
                        "--month", "2026-12", "--as-of", "2027-01-10", "--out", out, "--quiet"],
                       args.repeat)
        peer_code = ("import duckdb; duckdb.connect().execute(\"\"\"" +
                     PEER_QUERY.format(glob=os.path.join(d, "*.parquet")) + "\"\"\").fetchall()")
        peer = measure([sys.executable, "-c", peer_code], args.repeat)
        check(out, d)
        print(f"| {size:,} | {size * 12:,} | {ours[0]:.2f} s | {ours[1]:,.0f} MiB | "
              f"{peer[0]:.2f} s | {peer[1]:,.0f} MiB | {ours[0] / peer[0]:.2f}x | {ours[1] / peer[1]:.2f}x |",
              flush=True)
        print(f"<!-- generated {size * 12:,} rows in {gen:.0f} s -->", file=sys.stderr)


if __name__ == "__main__":
    main()
