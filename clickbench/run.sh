#!/usr/bin/env bash
# ClickBench harness: Granary against ClickHouse (chdb) and DuckDB, in one run.
#
#   clickbench/run.sh --rows N [--seed S] [--tries 3] [--skip-peers] [--data FILE]
#
# Builds granary and hits-gen in release, creates clickbench/.venv with the pinned peers,
# generates (or takes) the data, loads it into each system, runs the 43 queries with
# ClickBench's protocol and writes clickbench/results/ (JSON per system, summary.md,
# ratios.svg). See clickbench/README.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
export TZ=UTC

CHDB_VERSION=4.4.0
DUCKDB_VERSION=2.0.0

cd "$ROOT"
# Two builds, not one: building both packages together would unify their features and
# rebuild the dependencies.
cargo build --release -p granary-server --bin granary >&2
cargo build --release -p granary-clickbench >&2
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"

VENV="$HERE/.venv"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import chdb, duckdb" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet "chdb==$CHDB_VERSION" "duckdb==$DUCKDB_VERSION"
fi

exec "$VENV/bin/python" "$HERE/run.py" --granary "$TARGET/granary" --hits-gen "$TARGET/hits-gen" "$@"
