"""Compares Granary's answers with ClickHouse's, query by query.

Both answer in ClickHouse's TSV, so equal answers are equal bytes; floats are compared to 9
significant digits (parallel sums may differ in the last bits). Where a query's ORDER BY is
not total, rows that tie on the sort key may come in any order, and with LIMIT a different
subset of tied rows may be cut: such queries are compared as sorted rows, then on their
sort-key columns alone.
"""

# Output columns (0-based) of each query's ORDER BY; None where the query is totally ordered
# or returns one row; "none" where it has LIMIT without ORDER BY (any rows are correct);
# "hidden" where the sort key is not among the output columns.
SORT_KEYS = {
    7: [1], 8: [1], 9: [2], 10: [1], 11: [2], 12: [1], 13: [1], 14: [2], 15: [1], 16: [2],
    17: "none", 18: [3], 21: [2], 22: [3], 23: [4], 24: "hidden", 26: "hidden", 27: [1],
    28: [1], 30: [2], 31: [2], 32: [2], 33: [1], 34: [2], 35: [4], 36: [1], 37: [1], 38: [1],
    39: [5], 40: [2], 41: [2],
}


def _norm_field(field):
    if any(c in field for c in ".eE") and not field.startswith(("http", "0x")):
        try:
            return f"{float(field):.9g}"
        except ValueError:
            return field
    return field


def _rows(data):
    text = data.decode("utf-8", "replace")
    return [tuple(_norm_field(f) for f in line.split("\t")) for line in text.splitlines()]


def compare(index, granary, clickhouse):
    """One of 'same', 'same (row order)', 'same (sort keys; tied rows differ)',
    'same (row count; LIMIT without ORDER BY)', 'differs', or 'no result'."""
    if granary is None or clickhouse is None:
        return "no result"
    if granary == clickhouse:
        return "same"
    g, c = _rows(granary), _rows(clickhouse)
    if g == c:
        return "same"
    keys = SORT_KEYS.get(index)
    if keys is None:
        return "differs"
    if sorted(g) == sorted(c):
        return "same (row order)"
    if keys == "none":
        return "same (row count; LIMIT without ORDER BY)" if len(g) == len(c) else "differs"
    if keys == "hidden":
        return "differs (sort key not in output; ties possible)"
    pick = lambda rows: [tuple(r[k] for k in keys if k < len(r)) for r in rows]
    if pick(g) == pick(c):
        return "same (sort keys; tied rows differ)"
    return "differs"


def compare_all(granary_outputs, clickhouse_outputs):
    """The status of each query."""
    return [compare(i, g, c) for i, (g, c) in enumerate(zip(granary_outputs, clickhouse_outputs))]
