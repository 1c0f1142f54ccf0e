#!/usr/bin/env bash
# Builds the release binary, makes sure DuckDB is there, and runs the benchmark.
# Usage: scripts/bench.sh [--sizes 1000000,10000000] [--repeat 3]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/govreview-target}"
cargo build --release --locked
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install --quiet duckdb
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
exec python3 scripts/bench.py --bin "$CARGO_TARGET_DIR/release/govreview" "$@"
