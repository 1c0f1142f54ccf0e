#!/usr/bin/env python3
"""Benchmark: the daily cube pushed down to DuckDB with `govreview sql`, then the review of that
cube, against the direct review of the raw rows, on the original benchmark's files.

Each of PAIRS alternating pairs runs, in fresh processes under /usr/bin/time -v:
  pushed  DuckDB runs the query `govreview sql --dialect duckdb` writes and exports the cube as
          Parquet, then `govreview review` reads the cube (the two times and CPU added up);
  direct  `govreview review` on the raw Parquet files.
Both packs' metrics.json must agree in every number (only the data notes' files and row count
differ).

Usage: scripts/bench_pushdown.py --bin target/release/govreview [--rows 10000000] [--pairs 5]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
from bench_matrix import timed  # noqa: E402


def metrics(out):
    with open(os.path.join(out, "2026-12", "metrics.json")) as f:
        m = json.load(f)
    m["data"].pop("files")
    m["data"].pop("rows")
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--data", default="bench-data")
    args = ap.parse_args()
    d = os.path.join(args.data, str(args.rows))
    bench.generate(d, args.rows)
    work = tempfile.mkdtemp(prefix="govreview-pushdown-")
    sql = subprocess.run([args.bin, "--config", os.path.join(d, "govreview.toml"), "sql",
                          "--dialect", "duckdb", "--table", "usage"],
                         check=True, capture_output=True, text=True).stdout
    body = "\n".join(l for l in sql.splitlines() if not l.startswith("--")).rstrip().rstrip(";")
    cube = os.path.join(work, "cube.parquet")
    push = ("import duckdb\ncon = duckdb.connect()\n"
            f"con.execute(\"CREATE VIEW usage AS SELECT * FROM read_parquet('{d}/*.parquet')\")\n"
            f"con.execute('''COPY ({body}) TO '{cube}' (FORMAT parquet)''')\n")
    with open(os.path.join(work, "govreview.toml"), "w") as f:
        f.write(bench.CONFIG.replace('paths = ["*.parquet"]', 'paths = ["cube.parquet"]'))
    review = lambda cfg, out: [args.bin, "review", "--config", cfg, "--month", "2026-12",
                               "--as-of", "2027-01-10", "--out", out, "--quiet"]
    pushed, engine, direct = [], [], []
    for _ in range(args.pairs):
        e = timed([sys.executable, "-c", push])
        r = timed(review(os.path.join(work, "govreview.toml"), os.path.join(work, "pushed")))
        engine.append(e)
        pushed.append((e[0] + r[0], e[1] + r[1], e[2] + r[2], max(e[3], r[3]), r))
        direct.append(timed(review(os.path.join(d, "govreview.toml"), os.path.join(work, "direct"))))
    if metrics(os.path.join(work, "pushed")) != metrics(os.path.join(work, "direct")):
        sys.exit("the review of the pushed-down cube differs from the direct review")
    med = lambda rs, i: statistics.median(r[i] for r in rs)
    cube_rows = subprocess.run([sys.executable, "-c", f"import duckdb; print(duckdb.connect().execute(\"SELECT count(*) FROM '{cube}'\").fetchone()[0])"],
                               check=True, capture_output=True, text=True).stdout.strip()
    print(f"{args.rows * 12:,} rows -> a daily cube of {int(cube_rows):,} rows; {args.pairs} alternating pairs, medians\n")
    print("| path | wall | user | sys | peak RSS |")
    print("|---|---:|---:|---:|---:|")
    print(f"| DuckDB runs `govreview sql`'s query, exports the cube | {med(engine, 0):.2f} s | {med(engine, 1):.1f} | {med(engine, 2):.1f} | {max(r[3] for r in engine):.0f} MiB |")
    print(f"| then `govreview review` of the cube | {med([p[4] for p in pushed], 0):.2f} s | {med([p[4] for p in pushed], 1):.1f} | {med([p[4] for p in pushed], 2):.1f} | {max(p[4][3] for p in pushed):.0f} MiB |")
    print(f"| pushed down, in all | {med(pushed, 0):.2f} s | {med(pushed, 1):.1f} | {med(pushed, 2):.1f} | {max(p[3] for p in pushed):.0f} MiB |")
    print(f"| direct `govreview review` of the raw rows | {med(direct, 0):.2f} s | {med(direct, 1):.1f} | {med(direct, 2):.1f} | {max(r[3] for r in direct):.0f} MiB |")


if __name__ == "__main__":
    main()
