#!/usr/bin/env python3
"""Regenerates query/tests/clickbench/expected/*.tsv from ClickHouse (chdb).

1. Dumps the generated `hits` rows as TSV through the ignored test `dump_hits_tsv`.
2. Loads them into an in-process ClickHouse (chdb) table created from create.sql.
3. Runs every case of cases.tsv with FORMAT TSV and stores the outputs; for `any:N` cases
   (LIMIT without ORDER BY) also the full result without the LIMIT as NAME.full.tsv.
4. Warns when an ORDER BY ... LIMIT result has ties at the cut (`LIMIT ... WITH TIES` returns
   more rows), since then the rows returned are not determined.

Setup: python3 -m venv /tmp/cbvenv && /tmp/cbvenv/bin/pip install chdb
Usage: /tmp/cbvenv/bin/python query/tests/clickbench/regen.py [--check-only]
"""

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CREATE = os.path.join(HERE, "..", "common", "clickbench_create.sql")


def cases():
    out = []
    with open(os.path.join(HERE, "cases.tsv"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            name, cmp, sql = line.split("\t", 2)
            out.append((name, cmp, sql))
    return out


def main():
    check_only = "--check-only" in sys.argv
    os.environ["TZ"] = "UTC"
    from chdb import session as chs

    work = tempfile.mkdtemp(prefix="clickbench-regen-")
    tsv = os.path.join(work, "hits.tsv")
    env = dict(os.environ, CLICKBENCH_TSV=tsv)
    subprocess.run(
        ["cargo", "test", "-q", "-p", "granary-query", "--test", "clickbench", "--",
         "--ignored", "--exact", "dump_hits_tsv"],
        cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL,
    )
    s = chs.Session(os.path.join(work, "db"))
    s.query("SET session_timezone = 'UTC'")
    with open(CREATE, encoding="utf-8") as f:
        s.query(f.read())
    structure = str(s.query(
        "SELECT arrayStringConcat(groupArray(name || ' ' || type), ', ') FROM "
        "(SELECT name, type FROM system.columns WHERE database = currentDatabase() "
        "AND table = 'hits' ORDER BY position)", "TSV")).strip()
    s.query(f"INSERT INTO hits SELECT * FROM file('{tsv}', 'TSV', '{structure}')")
    n = str(s.query("SELECT count() FROM hits", "TSV")).strip()
    print(f"loaded {n} rows")

    expected = os.path.join(HERE, "expected")
    os.makedirs(expected, exist_ok=True)
    warnings = 0
    for name, cmp, sql in cases():
        q = sql.rstrip().rstrip(";")
        res = s.query(q, "TSV")
        text = res.bytes().decode("utf-8") if hasattr(res, "bytes") else str(res)
        rows = text.count("\n")
        if not check_only:
            with open(os.path.join(expected, f"{name}.tsv"), "w", encoding="utf-8") as f:
                f.write(text)
        if cmp.startswith("any:"):
            full = re.sub(r"\s+LIMIT\s+\d+\s*$", "", q)
            ft = s.query(full, "TSV")
            ft = ft.bytes().decode("utf-8") if hasattr(ft, "bytes") else str(ft)
            if not check_only:
                with open(os.path.join(expected, f"{name}.full.tsv"), "w", encoding="utf-8") as f:
                    f.write(ft)
        elif re.search(r"ORDER BY", q) and re.search(r"LIMIT\s+\d+(\s+OFFSET\s+\d+)?\s*$", q):
            t = s.query(q + " WITH TIES", "TSV")
            t = t.bytes().decode("utf-8") if hasattr(t, "bytes") else str(t)
            if t.count("\n") != rows:
                warnings += 1
                print(f"WARNING {name}: ties at the LIMIT cut ({rows} rows, {t.count(chr(10))} with ties)")
        print(f"{name}: {rows} rows")
    print(f"{warnings} warnings")


if __name__ == "__main__":
    main()
