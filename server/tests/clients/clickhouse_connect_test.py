"""End-to-end check of Granary with the real clickhouse-connect client.

Usage: python clickhouse_connect_test.py HOST PORT
Exits 0 when every check passed; prints what failed otherwise.
"""

import datetime
import sys

import clickhouse_connect
from clickhouse_connect.driver.exceptions import DatabaseError


def main(host: str, port: int) -> None:
    client = clickhouse_connect.get_client(host=host, port=port)
    assert client.server_version, "no server version"

    client.command("DROP TABLE IF EXISTS cc_types")
    client.command(
        "CREATE TABLE cc_types ("
        " id UInt32, i8 Int8, i64 Int64, u64 UInt64, f32 Float32, f64 Float64,"
        " s String, n Nullable(String), ni Nullable(Int32), d Date, dt DateTime,"
        " arr Array(UInt16), sarr Array(String), lc LowCardinality(String), b Bool,"
        " dec Decimal(10, 2), fs FixedString(3)"
        ") ENGINE = MergeTree ORDER BY id"
    )
    from decimal import Decimal

    rows = [
        [1, -5, -(2**40), 2**63 + 7, 1.5, 2.25, "hello", None, 7,
         datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4, 5),
         [1, 2, 3], ["a", "b"], "red", True, Decimal("12.34"), b"abc"],
        [2, 127, 0, 0, -0.5, -1e100, "wörld\t\n", "x", None,
         datetime.date(1970, 1, 1), datetime.datetime(1970, 1, 1, 0, 0, 1),
         [], [], "green", False, Decimal("-0.01"), b"xy\x00"],
        [3, 0, 9, 1, 0.0, 0.0, "", "", -1,
         datetime.date(2149, 6, 6), datetime.datetime(2100, 12, 31, 23, 59, 59),
         [65535], [""], "red", True, Decimal("0"), b"\x00\x00\x00"],
    ]
    names = ["id", "i8", "i64", "u64", "f32", "f64", "s", "n", "ni", "d", "dt",
             "arr", "sarr", "lc", "b", "dec", "fs"]
    client.insert("cc_types", rows, column_names=names)

    result = client.query("SELECT * FROM cc_types ORDER BY id")
    assert result.column_names == tuple(names), result.column_names
    got = [list(r) for r in result.result_rows]
    assert len(got) == len(rows), got
    for want, have in zip(rows, got):
        for name, w, h in zip(names, want, have):
            if name == "dt":
                h = h.replace(tzinfo=None)
            if name == "fs" and isinstance(h, str):
                h = h.encode()
            assert w == h, f"column {name}: inserted {w!r}, read back {h!r}"

    count = client.command("SELECT count() FROM cc_types")
    assert count == 3, count

    # A second insert without compression, and a query with a client-side parameter.
    plain = clickhouse_connect.get_client(host=host, port=port, compress=False)
    plain.insert("cc_types", [[4, 1, 1, 1, 1.0, 1.0, "four", None, None,
                               datetime.date(2000, 1, 1), datetime.datetime(2000, 1, 1),
                               [4], ["4"], "blue", False, Decimal("4.00"), b"4\x00\x00"]],
                 column_names=names)
    r = plain.query("SELECT s, lc FROM cc_types WHERE id = %(id)s", parameters={"id": 4})
    assert r.result_rows == [("four", "blue")], r.result_rows

    try:
        import pandas  # noqa: F401
    except ImportError:
        print("pandas not installed: query_df skipped")
    else:
        df = client.query_df("SELECT id, s, f64 FROM cc_types ORDER BY id")
        assert list(df["id"]) == [1, 2, 3, 4], df
        assert list(df["s"]) == ["hello", "wörld\t\n", "", "four"], df

    try:
        client.query("SELECT * FROM no_such_table")
    except DatabaseError as e:
        assert "60" in str(e), str(e)
    else:
        raise AssertionError("a query on a missing table did not fail")

    client.command("DROP TABLE cc_types")
    print("clickhouse-connect checks passed")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
