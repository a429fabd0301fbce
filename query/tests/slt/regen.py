#!/usr/bin/env python3
"""Fills the expected results of .slt files with what ClickHouse itself prints.

Each file runs, record by record, in a fresh chdb session (ClickHouse in-process, with a
temporary data path so MergeTree tables work):

  * `query` records get their expected block (after `----`) replaced by ClickHouse's
    TabSeparated output (an empty line is written `(empty)`);
  * `statement error [N]` records get N set to ClickHouse's error code;
  * a `statement ok` that fails in ClickHouse is reported (the file is still written).

Usage (chdb is a pip package):

    python3 -m venv /tmp/fmtvenv && /tmp/fmtvenv/bin/pip install chdb
    /tmp/fmtvenv/bin/python query/tests/slt/regen.py query/tests/slt/*.slt query/tests/slt/pending/*.slt

Review the diff: the expectations are ClickHouse's, so a mismatch in `cargo test --test slt`
is a Granary bug (or a file that belongs in pending/).
"""

import re
import sys
import tempfile

from chdb import session as chs

CODE_RE = re.compile(r"Code: (\d+)\.")


def run(sess, sql):
    """Returns (output text, None) or (None, (code, message))."""
    try:
        res = sess.query(sql, "TSV")
        data = res.bytes() if hasattr(res, "bytes") else bytes(res)
        return data.decode("utf-8", "replace"), None
    except Exception as e:  # chdb raises with ClickHouse's message
        msg = str(e)
        m = CODE_RE.search(msg)
        return None, (int(m.group(1)) if m else -1, msg)


def regen(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = []
    problems = 0
    with tempfile.TemporaryDirectory() as tmp:
        sess = chs.Session(tmp)
        i = 0
        while i < len(lines):
            line = lines[i].rstrip()
            if not line or line.startswith("#"):
                out.append(lines[i])
                i += 1
                continue
            words = line.split()
            start = i + 1
            i += 1
            sql_lines = []
            while i < len(lines) and lines[i].strip() and lines[i].rstrip() != "----":
                sql_lines.append(lines[i])
                i += 1
            sql = "\n".join(sql_lines)
            if words[0] == "statement":
                text, err = run(sess, sql)
                if words[1] == "ok":
                    out.append(line)
                    if err:
                        problems += 1
                        print(f"{path}:{start}: statement failed in ClickHouse: {err[1]}")
                else:
                    if err:
                        out.append(f"statement error {err[0]}")
                    else:
                        problems += 1
                        print(f"{path}:{start}: statement succeeded in ClickHouse")
                        out.append(line)
                out.extend(sql_lines)
            elif words[0] == "query":
                # Skip the old expected block.
                if i < len(lines) and lines[i].rstrip() == "----":
                    i += 1
                    while i < len(lines) and lines[i] != "":
                        i += 1
                text, err = run(sess, sql)
                out.append(line)
                out.extend(sql_lines)
                out.append("----")
                if err:
                    problems += 1
                    print(f"{path}:{start}: query failed in ClickHouse: {err[1]}")
                else:
                    rows = text.split("\n")
                    if rows and rows[-1] == "":
                        rows.pop()
                    out.extend("(empty)" if r == "" else r for r in rows)
            else:
                raise SystemExit(f"{path}:{start}: unknown record {line!r}")
        sess.close()
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return problems


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    total = sum(regen(p) for p in sys.argv[1:])
    if total:
        print(f"{total} record(s) behaved unexpectedly in ClickHouse; see above")
        sys.exit(1)


if __name__ == "__main__":
    main()
