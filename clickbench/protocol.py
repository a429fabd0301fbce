"""ClickBench's measuring protocol: per query, a cold run after dropping the page cache,
then hot runs; end-to-end wall-clock times in seconds, None for a failed run."""

import os
import time


def drop_page_cache():
    """Syncs and drops the OS page cache; returns False where the machine forbids it."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3")
        return True
    except OSError:
        return False


def run_queries(system, queries, tries, log):
    """Runs every query `tries` times on `system` (which has .name and .query(sql) -> bytes).

    Returns (times, outputs, errors, cold_dropped): times[q] is a list of `tries` seconds
    (None where the run failed), outputs[q] the bytes of the last successful run, errors[q]
    the last error text or None, cold_dropped whether the page cache could be dropped.
    """
    times, outputs, errors = [], [], []
    dropped_all = True
    for i, sql in enumerate(queries):
        dropped_all &= drop_page_cache()
        runs, output, error = [], None, None
        for _ in range(tries):
            start = time.perf_counter()
            try:
                result = system.query(sql)
                runs.append(round(time.perf_counter() - start, 4))
                output = result
            except Exception as e:  # a failed run is recorded, not fatal
                runs.append(None)
                error = str(e).strip().splitlines()[0][:300] if str(e).strip() else repr(e)
        times.append(runs)
        outputs.append(output)
        errors.append(error)
        shown = ", ".join("fail" if t is None else f"{t:.3f}" for t in runs)
        log(f"  {system.name} Q{i}: {shown}" + (f"  ({error})" if error else ""))
    return times, outputs, errors, dropped_all


def hot_min(runs):
    """The hot time of a query: the minimum of the runs after the first (None if all failed)."""
    hot = [t for t in runs[1:] if t is not None]
    if not hot and len(runs) == 1 and runs[0] is not None:
        return runs[0]
    return min(hot) if hot else None
