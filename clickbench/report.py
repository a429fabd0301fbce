"""The result files and the summary: ClickBench JSON per system, the per-query table with
ratios and geometric means (ClickBench's 10 ms shift), summary.md."""

import datetime
import json
import math
import os

from protocol import hot_min

SHIFT = 0.01


def result_json(system, machine, rows, load_time, data_size, times, tags, comment):
    """A ClickBench result document."""
    return {
        "system": system,
        "date": datetime.date.today().isoformat(),
        "machine": machine,
        "cluster_size": 1,
        "proprietary": "no",
        "tuned": "no",
        "comment": comment,
        "tags": tags,
        "rows": rows,
        "load_time": None if load_time is None else round(load_time, 3),
        "data_size": data_size,
        "result": times,
    }


def write_json(path, doc):
    """Writes `doc` with one query's runs per line, as ClickBench's files are laid out."""
    lines = json.dumps({k: v for k, v in doc.items() if k != "result"}, indent=4,
                       ensure_ascii=False)[:-2]
    res = ",\n".join("        " + json.dumps(r) for r in doc["result"])
    with open(path, "w") as f:
        f.write(lines + ',\n    "result": [\n' + res + "\n    ]\n}\n")


def penalised(times):
    """Hot times with failures replaced as ClickBench does: 2 x max(300 s, slowest)."""
    hots = [hot_min(r) for r in times]
    ok = [t for t in hots if t is not None]
    penalty = 2 * max(300.0, max(ok) if ok else 0.0)
    return [penalty if t is None else t for t in hots], hots


def ratios(a, b):
    """Per-query (10 ms + a) / (10 ms + b)."""
    return [(SHIFT + x) / (SHIFT + y) for x, y in zip(a, b)]


def geomean(values):
    """The geometric mean."""
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def fmt_t(t):
    return "fail" if t is None else f"{t:.3f}"


def fmt_size(n):
    return "-" if n is None else f"{n / 1e6:.1f} MB"


def summary(meta, systems, statuses):
    """summary.md text and the ratio series for the chart.

    `systems` maps name -> {load_time, data_size, times, errors}; Granary first."""
    names = list(systems)
    hot = {n: penalised(systems[n]["times"]) for n in names}
    # A peer that could not load has no times to compare with.
    peers = [n for n in names if n != "Granary" and systems[n]["load_time"] is not None]
    series = {p: ratios(hot["Granary"][0], hot[p][0]) for p in peers}
    out = [f"# ClickBench: Granary vs {', '.join(peers) or 'nobody'}", ""]
    out += [f"- {k}: {v}" for k, v in meta.items()]
    for n in names:
        if systems[n].get("load_error"):
            out.append(f"- {n} failed to load: `{systems[n]['load_error'][:200]}`")
    out += ["", "## Load", "", "| system | load time (s) | data size |", "|---|---|---|"]
    for n in names:
        s = systems[n]
        lt = "fail" if s["load_time"] is None else f"{s['load_time']:.2f}"
        out.append(f"| {n} | {lt} | {fmt_size(s['data_size'])} |")
    out += ["", "## Geometric means of hot-time ratios (ClickBench's 10 ms shift)", ""]
    for p in peers:
        out.append(f"- Granary / {p}: **{geomean(series[p]):.2f}** "
                   f"(> 1 means Granary is slower)")
    failed = [i for i, t in enumerate(hot["Granary"][1]) if t is None]
    if failed:
        out.append(f"- Granary failed: {', '.join(f'Q{i}' for i in failed)} "
                   "(penalised as ClickBench does: 2 x max(300 s, slowest query))")
    differing = [i for i, s in enumerate(statuses) if s.startswith("differs")]
    if "ClickHouse" in peers:
        out.append("- Results differing from ClickHouse: "
                   + (", ".join(f"Q{i}" for i in differing) if differing else "none"))
    out += ["", "## Per query (hot = min of runs 2..n, seconds)", ""]
    head = "| Q | " + " | ".join(f"{n} cold | {n} hot" for n in names)
    head += " | " + " | ".join(f"G/{p[:2]}" for p in peers) + " | vs ClickHouse |"
    out += [head, "|" + "---|" * (1 + 2 * len(names) + len(peers) + 1)]
    for i in range(len(statuses)):
        cells = []
        for n in names:
            runs = systems[n]["times"][i]
            cells += [fmt_t(runs[0]), fmt_t(hot[n][1][i])]
        cells += [f"{series[p][i]:.2f}" for p in peers]
        out.append(f"| Q{i} | " + " | ".join(cells) + f" | {statuses[i]} |")
    errors = [(i, systems["Granary"]["errors"][i]) for i in range(len(statuses))
              if systems["Granary"]["errors"][i]]
    if errors:
        out += ["", "## Granary errors", ""]
        out += [f"- Q{i}: `{e}`" for i, e in errors]
    return "\n".join(out) + "\n", series


def console_table(systems, statuses, series):
    """A plain-text table for the terminal."""
    names = list(systems)
    hot = {n: penalised(systems[n]["times"])[1] for n in names}
    peers = list(series)
    head = f"{'Q':>4} " + "".join(f"{n[:10]:>11}" for n in names)
    head += "".join(f"{'G/' + p[:2]:>10}" for p in peers) + "  result"
    lines = [head]
    for i in range(len(statuses)):
        row = f"{'Q' + str(i):>4} " + "".join(f"{fmt_t(hot[n][i]):>11}" for n in names)
        row += "".join(f"{series[p][i]:>10.2f}" for p in peers)
        lines.append(row + "  " + statuses[i])
    lines.append(f"{'geo':>4} " + " " * 11 * len(names)
                 + "".join(f"{geomean(series[p]):>10.2f}" for p in peers))
    for n in names:
        s = systems[n]
        lt = "fail" if s["load_time"] is None else f"{s['load_time']:.2f} s"
        lines.append(f"load {n}: {lt}, {fmt_size(s['data_size'])}")
    return "\n".join(lines)


def write_summary(results_dir, text):
    """Writes summary.md."""
    with open(os.path.join(results_dir, "summary.md"), "w") as f:
        f.write(text)
