#!/usr/bin/env python3
"""Checks a query written by `govreview sql` with sqlglot's parser for its dialect: it must
parse strictly, be exactly one SELECT, quote every identifier, and read every source column as a
column (in Spark and BigQuery a double-quoted "x" would be a string, which parses but is wrong).
Snowflake is the exception to quoting: plain one-case names are written unquoted on purpose (so
they resolve as Snowflake resolves unquoted names), so there only those may be unquoted.

  validate.py DIALECT FILE COLUMN...      exit 0 when it holds, 1 with the problems
"""
import re
import sys

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, TokenError

DIALECTS = {"duckdb": "duckdb", "spark": "spark", "bigquery": "bigquery",
            "snowflake": "snowflake", "postgres": "postgres", "trino": "trino"}


def problems(sql, dialect, columns):
    try:
        stmts = [s for s in sqlglot.parse(sql, read=DIALECTS[dialect], error_level=ErrorLevel.RAISE) if s is not None]
    except (ParseError, TokenError) as e:
        return [f"does not parse as {dialect}: {str(e).splitlines()[0]}"]
    if len(stmts) != 1 or not isinstance(stmts[0], exp.Select):
        return [f"is not exactly one SELECT: {[type(s).__name__ for s in stmts]}"]
    tree, out = stmts[0], []
    unquoted = sorted({i.name for i in tree.find_all(exp.Identifier) if not i.quoted})
    if dialect == "snowflake":
        unquoted = [n for n in unquoted
                    if not (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) and n in (n.lower(), n.upper()))]
    if unquoted:
        out.append(f"unquoted identifiers: {unquoted}")
    missing = set(columns) - {c.name for c in tree.find_all(exp.Column)}
    if missing:
        out.append(f"not read as columns: {sorted(missing)}")
    return out


if __name__ == "__main__":
    dialect, path, columns = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(path) as f:
        found = problems(f.read(), dialect, columns)
    for p in found:
        print(p)
    sys.exit(1 if found else 0)
