#!/usr/bin/env python3
"""Writes tests/fixtures/parquet/data/: the sample usage (sample-data/usage/*.csv) as Parquet.

Months 2026-01..09 go in one file, dictionary encoded (as DuckDB, Spark and pyarrow write text
columns) in row groups of 2,048 rows that straddle month ends; 2026-10 is written with
dictionary encoding switched off, so the reader's plain-page path is exercised too. Needs python3 with duckdb (`pip install duckdb`).
Deterministic: rerunning gives the same files.
"""
import os

import duckdb

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "tests", "fixtures", "parquet", "data")

COLUMNS = """
  CAST(date AS DATE) AS date, workspace_id, api_key_id, team, app, model, service_tier,
  CAST(uncached_input_tokens AS BIGINT) AS uncached_input_tokens,
  CAST(cache_creation_5m_input_tokens AS BIGINT) AS cache_creation_5m_input_tokens,
  CAST(cache_creation_1h_input_tokens AS BIGINT) AS cache_creation_1h_input_tokens,
  CAST(cache_read_input_tokens AS BIGINT) AS cache_read_input_tokens,
  CAST(output_tokens AS BIGINT) AS output_tokens,
  CAST(requests AS BIGINT) AS requests
"""


def main():
    os.makedirs(OUT, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET threads = 1")
    usage = os.path.join(ROOT, "sample-data", "usage")
    for name, months, options in [
        ("2026-01-09.parquet", "2026-0[1-9].csv", ""),
        ("2026-10.parquet", "2026-10.csv", ", STRING_DICTIONARY_PAGE_SIZE_LIMIT 1"),
    ]:
        src = os.path.join(usage, months)
        dst = os.path.join(OUT, name)
        con.execute(f"""
            COPY (SELECT {COLUMNS} FROM read_csv('{src}', header = true, all_varchar = true)
                  ORDER BY ALL)
            TO '{dst}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 2048{options})
        """)


if __name__ == "__main__":
    main()
