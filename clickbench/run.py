"""Orchestration of one ClickBench run: data, Granary, the peers, comparison and report.

Invoked by run.sh (which builds the binaries and the venv); see README.md."""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import chart  # noqa: E402
import compare  # noqa: E402
import report  # noqa: E402
from granary import Granary  # noqa: E402
from protocol import drop_page_cache, run_queries  # noqa: E402


def log(msg):
    print(msg, flush=True)


def machine():
    """A short description of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} vCPU {cpu}, {mem:.0f} GiB RAM"


def generate(hits_gen, rows, seed, fmt, data_dir):
    """Generates hits (TSV or Parquet) unless the file already exists; returns its path."""
    ext = "tsv" if fmt == "tsv" else "parquet"
    path = os.path.join(data_dir, f"hits_{rows}_{seed}.{ext}")
    if not os.path.exists(path):
        tmp = path + ".tmp"
        subprocess.run([hits_gen, "--rows", str(rows), "--seed", str(seed), "--format", fmt,
                        "--out", tmp], check=True)
        os.rename(tmp, path)
    return path


def parquet_to_tsv(parquet, create_sql, data_dir):
    """A TSV copy of a Parquet hits file (for Granary when FORMAT Parquet fails), via chdb."""
    import chdb
    from peers import columns
    out = os.path.join(data_dir, os.path.basename(parquet).rsplit(".", 1)[0] + ".tsv")
    if not os.path.exists(out):
        select = ", ".join(
            f"toDateTime({n})" if t == "TIMESTAMP" else f"toDate({n})" if t == "Date" else n
            for n, t in columns(create_sql))
        chdb.query(f"SELECT {select} FROM file('{parquet}', Parquet) "
                   f"INTO OUTFILE '{out}' FORMAT TSV")
    return out


def bench(system, create_sql, data, fmt, queries, tries):
    """Loads and runs the queries on `system`; the per-system record."""
    log(f"{system.name}: loading {os.path.basename(data)} ({fmt})")
    drop_page_cache()
    record = {"load_time": None, "data_size": None, "times": [[None] * tries] * len(queries),
              "errors": ["not loaded"] * len(queries), "outputs": [None] * len(queries),
              "load_error": None}
    try:
        record["load_time"] = system.load(create_sql, data, fmt)
    except Exception as e:
        record["load_error"] = str(e).strip()[:500]
        log(f"{system.name}: load failed: {record['load_error']}")
        return record
    time.sleep(1)
    record["data_size"] = system.data_size()
    log(f"{system.name}: loaded in {record['load_time']:.2f} s, "
        f"{record['data_size'] / 1e6:.1f} MB on disk")
    times, outputs, errors, dropped = run_queries(system, queries, tries, log)
    record.update(times=times, outputs=outputs, errors=errors, dropped=dropped)
    return record


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tries", type=int, default=3)
    p.add_argument("--skip-peers", action="store_true")
    p.add_argument("--data", help="hits.tsv or hits.parquet to load instead of generating")
    p.add_argument("--granary", required=True)
    p.add_argument("--hits-gen", required=True)
    p.add_argument("--results", default=os.path.join(HERE, "results"))
    args = p.parse_args()

    data_dir = os.path.join(HERE, "data")
    os.makedirs(data_dir, exist_ok=True)
    os.makedirs(args.results, exist_ok=True)
    create_sql = open(os.path.join(HERE, "create.sql")).read()
    queries = [q for q in open(os.path.join(HERE, "queries.sql")).read().splitlines()
               if q.strip()]
    duck_queries = [q for q in open(os.path.join(HERE, "duckdb", "queries.sql")).read()
                    .splitlines() if q.strip()]

    if args.data:
        data = os.path.abspath(args.data)
        tsv = data if not data.endswith(".parquet") else None
        parquet = data if data.endswith(".parquet") else None
        rows_desc = f"{os.path.basename(data)}"
    else:
        start = time.perf_counter()
        tsv = generate(args.hits_gen, args.rows, args.seed, "tsv", data_dir)
        parquet = None if args.skip_peers else generate(args.hits_gen, args.rows, args.seed,
                                                         "parquet", data_dir)
        log(f"data ready in {time.perf_counter() - start:.1f} s: {tsv} {parquet or ''}")
        rows_desc = f"{args.rows:,} generated rows (hits-gen --seed {args.seed})"

    notes = []
    if not drop_page_cache():
        notes.append("page cache could not be dropped: cold runs are hot")
    meta = {"data": rows_desc, "machine": machine(),
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "protocol": f"{args.tries} runs per query, the first after dropping the page cache "
                        "(no restart: lukewarm cold run); hot = min of the others; end to end"}

    systems = {}
    granary = Granary(args.granary, log)
    try:
        granary.start()
        g_data, g_fmt = (tsv, "TSV") if tsv else (parquet, "Parquet")
        rec = bench(granary, create_sql, g_data, g_fmt, queries, args.tries)
        if rec["load_error"] and g_fmt == "Parquet":
            notes.append(f"Granary could not load Parquet ({rec['load_error'][:120]}); "
                         "loaded a TSV conversion instead")
            granary.close()
            granary = Granary(args.granary, log)
            granary.start()
            tsv = parquet_to_tsv(parquet, create_sql, data_dir)
            rec = bench(granary, create_sql, tsv, "TSV", queries, args.tries)
        if granary.chunked:
            notes.append("Granary loaded the TSV in 128 MiB INSERTs (its request body limit is "
                         "256 MiB)")
        systems["Granary"] = rec
    finally:
        granary.close()

    versions = {}
    if not args.skip_peers:
        from peers import ClickHouse, DuckDB
        ch = ClickHouse(log)
        versions["ClickHouse"] = f"chdb {ch.version}"
        try:
            src, fmt = (tsv, "TSV") if tsv else (parquet, "Parquet")
            systems["ClickHouse"] = bench(ch, create_sql, src, fmt, queries, args.tries)
        finally:
            ch.close()
        duck = DuckDB(log)
        versions["DuckDB"] = f"duckdb {duck.version}"
        try:
            src, fmt = (parquet, "Parquet") if parquet else (tsv, "TSV")
            systems["DuckDB"] = bench(duck, create_sql, src, fmt, duck_queries, args.tries)
        finally:
            duck.close()
        meta["peers"] = ", ".join(f"{k}: {v}" for k, v in versions.items())
    if notes:
        meta["notes"] = "; ".join(notes)

    tags = {"Granary": ["Rust", "column-oriented", "ClickHouse derivative"],
            "ClickHouse": ["C++", "column-oriented", "ClickHouse derivative", "embedded"],
            "DuckDB": ["C++", "column-oriented", "embedded"]}
    for name, rec in systems.items():
        doc = report.result_json(name, meta["machine"], rows_desc, rec["load_time"],
                                 rec["data_size"], rec["times"],
                                 tags[name] + ["lukewarm-cold-run"],
                                 versions.get(name, "granary (this checkout, release)"))
        report.write_json(os.path.join(args.results, f"{name.lower()}.json"), doc)
        out_dir = os.path.join(data_dir, "out", name.lower())
        os.makedirs(out_dir, exist_ok=True)
        for i, o in enumerate(rec["outputs"]):
            if o is not None:
                with open(os.path.join(out_dir, f"q{i:02}.tsv"), "wb") as f:
                    f.write(o)

    if "ClickHouse" in systems:
        statuses = compare.compare_all(systems["Granary"]["outputs"],
                                       systems["ClickHouse"]["outputs"])
    else:
        statuses = ["not compared"] * len(queries)
    text, series = report.summary(meta, systems, statuses)
    report.write_summary(args.results, text)
    with open(os.path.join(args.results, "compare.json"), "w") as f:
        json.dump({f"Q{i}": s for i, s in enumerate(statuses)}, f, indent=1)
    if series:
        with open(os.path.join(args.results, "ratios.svg"), "w") as f:
            f.write(chart.ratios_svg(series, f"Granary hot-time ratios, {rows_desc}"))
    log("")
    log(report.console_table(systems, statuses, series))
    log(f"\nwrote {args.results}/summary.md, ratios.svg and the JSON results")


if __name__ == "__main__":
    main()
