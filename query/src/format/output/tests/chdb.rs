//! Cases generated from chdb 4.4 (ClickHouse 26.9.2.1): each test names the query whose
//! output it holds, and builds the same result as Arrow batches.

use super::*;

/// `SELECT toUInt8(42) AS u8, toInt64(-7) AS i64, toUInt64(18446744073709551615) AS u64, 1.5 AS f, 'a\tb\nc\\d\'e"/' AS s, CAST(NULL AS Nullable(String)) AS n, [1,2] AS arr, toDate('2024-01-02') AS d, toDateTime('2024-01-02 03:04:05', 'UTC') AS dt, toDecimal32(3.14, 2) AS dec, true AS b, map('a',1) AS m, ['x','y'] AS sa` with `SETTINGS output_format_json_quote_64bit_integers=1, output_format_write_statistics=0`
#[test]
fn chdb_q1() {
    let out = q1();
    let s = quoted();
    check("TabSeparated", &out, &s, "42\t-7\t18446744073709551615\t1.5\ta\\tb\\nc\\\\d\\'e\"/\t\\N\t[1,2]\t2024-01-02\t2024-01-02 03:04:05\t3.14\ttrue\t{'a':1}\t['x','y']\n");
    check("TSVRaw", &out, &s, "42\t-7\t18446744073709551615\t1.5\ta\tb\nc\\d'e\"/\t\\N\t[1,2]\t2024-01-02\t2024-01-02 03:04:05\t3.14\ttrue\t{'a':1}\t['x','y']\n");
    check("TSVWithNames", &out, &s, "u8\ti64\tu64\tf\ts\tn\tarr\td\tdt\tdec\tb\tm\tsa\n42\t-7\t18446744073709551615\t1.5\ta\\tb\\nc\\\\d\\'e\"/\t\\N\t[1,2]\t2024-01-02\t2024-01-02 03:04:05\t3.14\ttrue\t{'a':1}\t['x','y']\n");
    check("TSVWithNamesAndTypes", &out, &s, "u8\ti64\tu64\tf\ts\tn\tarr\td\tdt\tdec\tb\tm\tsa\nUInt8\tInt64\tUInt64\tFloat64\tString\tNullable(String)\tArray(UInt8)\tDate\tDateTime(\\'UTC\\')\tDecimal(9, 2)\tBool\tMap(String, UInt8)\tArray(String)\n42\t-7\t18446744073709551615\t1.5\ta\\tb\\nc\\\\d\\'e\"/\t\\N\t[1,2]\t2024-01-02\t2024-01-02 03:04:05\t3.14\ttrue\t{'a':1}\t['x','y']\n");
    check("CSV", &out, &s, "42,-7,18446744073709551615,1.5,\"a\tb\nc\\d'e\"\"/\",\\N,\"[1,2]\",\"2024-01-02\",\"2024-01-02 03:04:05\",3.14,true,\"{'a':1}\",\"['x','y']\"\n");
    check("CSVWithNames", &out, &s, "\"u8\",\"i64\",\"u64\",\"f\",\"s\",\"n\",\"arr\",\"d\",\"dt\",\"dec\",\"b\",\"m\",\"sa\"\n42,-7,18446744073709551615,1.5,\"a\tb\nc\\d'e\"\"/\",\\N,\"[1,2]\",\"2024-01-02\",\"2024-01-02 03:04:05\",3.14,true,\"{'a':1}\",\"['x','y']\"\n");
    check("CSVWithNamesAndTypes", &out, &s, "\"u8\",\"i64\",\"u64\",\"f\",\"s\",\"n\",\"arr\",\"d\",\"dt\",\"dec\",\"b\",\"m\",\"sa\"\n\"UInt8\",\"Int64\",\"UInt64\",\"Float64\",\"String\",\"Nullable(String)\",\"Array(UInt8)\",\"Date\",\"DateTime('UTC')\",\"Decimal(9, 2)\",\"Bool\",\"Map(String, UInt8)\",\"Array(String)\"\n42,-7,18446744073709551615,1.5,\"a\tb\nc\\d'e\"\"/\",\\N,\"[1,2]\",\"2024-01-02\",\"2024-01-02 03:04:05\",3.14,true,\"{'a':1}\",\"['x','y']\"\n");
    check("JSON", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"u8\",\n\t\t\t\"type\": \"UInt8\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"i64\",\n\t\t\t\"type\": \"Int64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"u64\",\n\t\t\t\"type\": \"UInt64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"f\",\n\t\t\t\"type\": \"Float64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"s\",\n\t\t\t\"type\": \"String\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"n\",\n\t\t\t\"type\": \"Nullable(String)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"arr\",\n\t\t\t\"type\": \"Array(UInt8)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"d\",\n\t\t\t\"type\": \"Date\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"dt\",\n\t\t\t\"type\": \"DateTime('UTC')\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"dec\",\n\t\t\t\"type\": \"Decimal(9, 2)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"b\",\n\t\t\t\"type\": \"Bool\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"m\",\n\t\t\t\"type\": \"Map(String, UInt8)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"sa\",\n\t\t\t\"type\": \"Array(String)\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t{\n\t\t\t\"u8\": 42,\n\t\t\t\"i64\": \"-7\",\n\t\t\t\"u64\": \"18446744073709551615\",\n\t\t\t\"f\": 1.5,\n\t\t\t\"s\": \"a\\tb\\nc\\\\d'e\\\"\\/\",\n\t\t\t\"n\": null,\n\t\t\t\"arr\": [1,2],\n\t\t\t\"d\": \"2024-01-02\",\n\t\t\t\"dt\": \"2024-01-02 03:04:05\",\n\t\t\t\"dec\": 3.14,\n\t\t\t\"b\": true,\n\t\t\t\"m\": {\n\t\t\t\t\"a\": 1\n\t\t\t},\n\t\t\t\"sa\": [\"x\",\"y\"]\n\t\t}\n\t],\n\n\t\"rows\": 1\n}\n");
    check("JSONCompact", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"u8\",\n\t\t\t\"type\": \"UInt8\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"i64\",\n\t\t\t\"type\": \"Int64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"u64\",\n\t\t\t\"type\": \"UInt64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"f\",\n\t\t\t\"type\": \"Float64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"s\",\n\t\t\t\"type\": \"String\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"n\",\n\t\t\t\"type\": \"Nullable(String)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"arr\",\n\t\t\t\"type\": \"Array(UInt8)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"d\",\n\t\t\t\"type\": \"Date\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"dt\",\n\t\t\t\"type\": \"DateTime('UTC')\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"dec\",\n\t\t\t\"type\": \"Decimal(9, 2)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"b\",\n\t\t\t\"type\": \"Bool\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"m\",\n\t\t\t\"type\": \"Map(String, UInt8)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"sa\",\n\t\t\t\"type\": \"Array(String)\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t[42, \"-7\", \"18446744073709551615\", 1.5, \"a\\tb\\nc\\\\d'e\\\"\\/\", null, [1,2], \"2024-01-02\", \"2024-01-02 03:04:05\", 3.14, true, {\"a\":1}, [\"x\",\"y\"]]\n\t],\n\n\t\"rows\": 1\n}\n");
    check("JSONEachRow", &out, &s, "{\"u8\":42,\"i64\":\"-7\",\"u64\":\"18446744073709551615\",\"f\":1.5,\"s\":\"a\\tb\\nc\\\\d'e\\\"\\/\",\"n\":null,\"arr\":[1,2],\"d\":\"2024-01-02\",\"dt\":\"2024-01-02 03:04:05\",\"dec\":3.14,\"b\":true,\"m\":{\"a\":1},\"sa\":[\"x\",\"y\"]}\n");
    check("JSONCompactEachRow", &out, &s, "[42, \"-7\", \"18446744073709551615\", 1.5, \"a\\tb\\nc\\\\d'e\\\"\\/\", null, [1,2], \"2024-01-02\", \"2024-01-02 03:04:05\", 3.14, true, {\"a\":1}, [\"x\",\"y\"]]\n");
    check("JSONCompactEachRowWithNames", &out, &s, "[\"u8\", \"i64\", \"u64\", \"f\", \"s\", \"n\", \"arr\", \"d\", \"dt\", \"dec\", \"b\", \"m\", \"sa\"]\n[42, \"-7\", \"18446744073709551615\", 1.5, \"a\\tb\\nc\\\\d'e\\\"\\/\", null, [1,2], \"2024-01-02\", \"2024-01-02 03:04:05\", 3.14, true, {\"a\":1}, [\"x\",\"y\"]]\n");
    check("JSONCompactEachRowWithNamesAndTypes", &out, &s, "[\"u8\", \"i64\", \"u64\", \"f\", \"s\", \"n\", \"arr\", \"d\", \"dt\", \"dec\", \"b\", \"m\", \"sa\"]\n[\"UInt8\", \"Int64\", \"UInt64\", \"Float64\", \"String\", \"Nullable(String)\", \"Array(UInt8)\", \"Date\", \"DateTime('UTC')\", \"Decimal(9, 2)\", \"Bool\", \"Map(String, UInt8)\", \"Array(String)\"]\n[42, \"-7\", \"18446744073709551615\", 1.5, \"a\\tb\\nc\\\\d'e\\\"\\/\", null, [1,2], \"2024-01-02\", \"2024-01-02 03:04:05\", 3.14, true, {\"a\":1}, [\"x\",\"y\"]]\n");
    check("JSONStringsEachRow", &out, &s, "{\"u8\":\"42\",\"i64\":\"-7\",\"u64\":\"18446744073709551615\",\"f\":\"1.5\",\"s\":\"a\\tb\\nc\\\\d'e\\\"\\/\",\"n\":\"ᴺᵁᴸᴸ\",\"arr\":\"[1,2]\",\"d\":\"2024-01-02\",\"dt\":\"2024-01-02 03:04:05\",\"dec\":\"3.14\",\"b\":\"true\",\"m\":\"{'a':1}\",\"sa\":\"['x','y']\"}\n");
    check("JSONCompactStringsEachRow", &out, &s, "[\"42\", \"-7\", \"18446744073709551615\", \"1.5\", \"a\\tb\\nc\\\\d'e\\\"\\/\", \"ᴺᵁᴸᴸ\", \"[1,2]\", \"2024-01-02\", \"2024-01-02 03:04:05\", \"3.14\", \"true\", \"{'a':1}\", \"['x','y']\"]\n");
    check("Pretty", &out, &s, "Row 1:\n──────\nu8:  42\ni64: -7\nu64: 18446744073709551615\nf:   1.5\ns:   a\tb\nc\\d'e\"/\nn:   ᴺᵁᴸᴸ\narr: [1,2]\nd:   2024-01-02\ndt:  2024-01-02 03:04:05\ndec: 3.14\nb:   true\nm:   {'a':1}\nsa:  ['x','y']\n");
    check("PrettyCompact", &out, &s, "Row 1:\n──────\nu8:  42\ni64: -7\nu64: 18446744073709551615\nf:   1.5\ns:   a\tb\nc\\d'e\"/\nn:   ᴺᵁᴸᴸ\narr: [1,2]\nd:   2024-01-02\ndt:  2024-01-02 03:04:05\ndec: 3.14\nb:   true\nm:   {'a':1}\nsa:  ['x','y']\n");
    check("PrettySpace", &out, &s, "Row 1:\n──────\nu8:  42\ni64: -7\nu64: 18446744073709551615\nf:   1.5\ns:   a\tb\nc\\d'e\"/\nn:   ᴺᵁᴸᴸ\narr: [1,2]\nd:   2024-01-02\ndt:  2024-01-02 03:04:05\ndec: 3.14\nb:   true\nm:   {'a':1}\nsa:  ['x','y']\n");
    check("PrettyNoEscapes", &out, &s, "Row 1:\n──────\nu8:  42\ni64: -7\nu64: 18446744073709551615\nf:   1.5\ns:   a\tb\nc\\d'e\"/\nn:   ᴺᵁᴸᴸ\narr: [1,2]\nd:   2024-01-02\ndt:  2024-01-02 03:04:05\ndec: 3.14\nb:   true\nm:   {'a':1}\nsa:  ['x','y']\n");
    check("Vertical", &out, &s, "Row 1:\n──────\nu8:  42\ni64: -7\nu64: 18446744073709551615\nf:   1.5\ns:   a\tb\nc\\d'e\"/\nn:   ᴺᵁᴸᴸ\narr: [1,2]\nd:   2024-01-02\ndt:  2024-01-02 03:04:05\ndec: 3.14\nb:   true\nm:   {'a':1}\nsa:  ['x','y']\n");
    check("Values", &out, &s, "(42,-7,18446744073709551615,1.5,'a\\tb\\nc\\\\d\\'e\"/',NULL,[1,2],'2024-01-02','2024-01-02 03:04:05',3.14,true,{'a':1},['x','y'])");
    check("TSKV", &out, &s, "u8=42\ti64=-7\tu64=18446744073709551615\tf=1.5\ts=a\\tb\\nc\\\\d\\'e\"/\tn=\\N\tarr=[1,2]\td=2024-01-02\tdt=2024-01-02 03:04:05\tdec=3.14\tb=true\tm={'a':1}\tsa=['x','y']\n");
    check("Markdown", &out, &s, "| u8 | i64 | u64 | f | s | n | arr | d | dt | dec | b | m | sa |\n|-:|-:|-:|-:|:-|:-|:-|-:|-:|-:|:-|:-|:-|\n| 42 | -7 | 18446744073709551615 | 1.5 | a\\tb\\nc\\\\d\\'e\"/ | \\N | [1,2] | 2024-01-02 | 2024-01-02 03:04:05 | 3.14 | true | {'a':1} | ['x','y'] |\n");
    check("Null", &out, &s, "");
}

/// `SELECT toUInt8(42) AS u8, toInt64(-7) AS i64, toUInt64(18446744073709551615) AS u64, 1.5 AS f, 'a\tb\nc\\d\'e"/' AS s, CAST(NULL AS Nullable(String)) AS n, [1,2] AS arr, toDate('2024-01-02') AS d, toDateTime('2024-01-02 03:04:05', 'UTC') AS dt, toDecimal32(3.14, 2) AS dec, true AS b, map('a',1) AS m, ['x','y'] AS sa` with `SETTINGS output_format_json_quote_64bit_integers=0`
#[test]
fn chdb_q1_unquoted() {
    let out = q1();
    let s = unquoted();
    check("JSONEachRow", &out, &s, "{\"u8\":42,\"i64\":-7,\"u64\":18446744073709551615,\"f\":1.5,\"s\":\"a\\tb\\nc\\\\d'e\\\"\\/\",\"n\":null,\"arr\":[1,2],\"d\":\"2024-01-02\",\"dt\":\"2024-01-02 03:04:05\",\"dec\":3.14,\"b\":true,\"m\":{\"a\":1},\"sa\":[\"x\",\"y\"]}\n");
    check("JSONCompactEachRow", &out, &s, "[42, -7, 18446744073709551615, 1.5, \"a\\tb\\nc\\\\d'e\\\"\\/\", null, [1,2], \"2024-01-02\", \"2024-01-02 03:04:05\", 3.14, true, {\"a\":1}, [\"x\",\"y\"]]\n");
}

/// `SELECT number, toString(number) AS s FROM numbers(2)` with `SETTINGS output_format_json_quote_64bit_integers=1, output_format_write_statistics=0`
#[test]
fn chdb_q2() {
    let out = q2();
    let s = quoted();
    check("TabSeparated", &out, &s, "0\t0\n1\t1\n");
    check("TSVRaw", &out, &s, "0\t0\n1\t1\n");
    check("TSVWithNames", &out, &s, "number\ts\n0\t0\n1\t1\n");
    check(
        "TSVWithNamesAndTypes",
        &out,
        &s,
        "number\ts\nUInt64\tString\n0\t0\n1\t1\n",
    );
    check("CSV", &out, &s, "0,\"0\"\n1,\"1\"\n");
    check(
        "CSVWithNames",
        &out,
        &s,
        "\"number\",\"s\"\n0,\"0\"\n1,\"1\"\n",
    );
    check(
        "CSVWithNamesAndTypes",
        &out,
        &s,
        "\"number\",\"s\"\n\"UInt64\",\"String\"\n0,\"0\"\n1,\"1\"\n",
    );
    check("JSON", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"number\",\n\t\t\t\"type\": \"UInt64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"s\",\n\t\t\t\"type\": \"String\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t{\n\t\t\t\"number\": \"0\",\n\t\t\t\"s\": \"0\"\n\t\t},\n\t\t{\n\t\t\t\"number\": \"1\",\n\t\t\t\"s\": \"1\"\n\t\t}\n\t],\n\n\t\"rows\": 2\n}\n");
    check("JSONCompact", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"number\",\n\t\t\t\"type\": \"UInt64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"s\",\n\t\t\t\"type\": \"String\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t[\"0\", \"0\"],\n\t\t[\"1\", \"1\"]\n\t],\n\n\t\"rows\": 2\n}\n");
    check(
        "JSONEachRow",
        &out,
        &s,
        "{\"number\":\"0\",\"s\":\"0\"}\n{\"number\":\"1\",\"s\":\"1\"}\n",
    );
    check(
        "JSONCompactEachRow",
        &out,
        &s,
        "[\"0\", \"0\"]\n[\"1\", \"1\"]\n",
    );
    check(
        "JSONCompactEachRowWithNames",
        &out,
        &s,
        "[\"number\", \"s\"]\n[\"0\", \"0\"]\n[\"1\", \"1\"]\n",
    );
    check(
        "JSONCompactEachRowWithNamesAndTypes",
        &out,
        &s,
        "[\"number\", \"s\"]\n[\"UInt64\", \"String\"]\n[\"0\", \"0\"]\n[\"1\", \"1\"]\n",
    );
    check(
        "JSONStringsEachRow",
        &out,
        &s,
        "{\"number\":\"0\",\"s\":\"0\"}\n{\"number\":\"1\",\"s\":\"1\"}\n",
    );
    check(
        "JSONCompactStringsEachRow",
        &out,
        &s,
        "[\"0\", \"0\"]\n[\"1\", \"1\"]\n",
    );
    check("Pretty", &out, &s, "   ┏━━━━━━━━┳━━━┓\n   ┃ number ┃ s ┃\n   ┡━━━━━━━━╇━━━┩\n1. │      0 │ 0 │\n   ├────────┼───┤\n2. │      1 │ 1 │\n   └────────┴───┘\n");
    check(
        "PrettyCompact",
        &out,
        &s,
        "   ┌─number─┬─s─┐\n1. │      0 │ 0 │\n2. │      1 │ 1 │\n   └────────┴───┘\n",
    );
    check(
        "PrettySpace",
        &out,
        &s,
        "    number   s\n\n1.       0   0 \n2.       1   1 \n",
    );
    check("PrettyNoEscapes", &out, &s, "   ┏━━━━━━━━┳━━━┓\n   ┃ number ┃ s ┃\n   ┡━━━━━━━━╇━━━┩\n1. │      0 │ 0 │\n   ├────────┼───┤\n2. │      1 │ 1 │\n   └────────┴───┘\n");
    check(
        "Vertical",
        &out,
        &s,
        "Row 1:\n──────\nnumber: 0\ns:      0\n\nRow 2:\n──────\nnumber: 1\ns:      1\n",
    );
    check("Values", &out, &s, "(0,'0'),(1,'1')");
    check("TSKV", &out, &s, "number=0\ts=0\nnumber=1\ts=1\n");
    check(
        "Markdown",
        &out,
        &s,
        "| number | s |\n|-:|:-|\n| 0 | 0 |\n| 1 | 1 |\n",
    );
    check("Null", &out, &s, "");
}

/// `SELECT number FROM numbers(0)` with `SETTINGS output_format_json_quote_64bit_integers=1, output_format_write_statistics=0`
#[test]
fn chdb_q3() {
    let out = q3();
    let s = quoted();
    check("TabSeparated", &out, &s, "");
    check("TSVRaw", &out, &s, "");
    check("TSVWithNames", &out, &s, "number\n");
    check("TSVWithNamesAndTypes", &out, &s, "number\nUInt64\n");
    check("CSV", &out, &s, "");
    check("CSVWithNames", &out, &s, "\"number\"\n");
    check("CSVWithNamesAndTypes", &out, &s, "\"number\"\n\"UInt64\"\n");
    check("JSON", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"number\",\n\t\t\t\"type\": \"UInt64\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\n\t],\n\n\t\"rows\": 0\n}\n");
    check("JSONCompact", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"number\",\n\t\t\t\"type\": \"UInt64\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\n\t],\n\n\t\"rows\": 0\n}\n");
    check("JSONEachRow", &out, &s, "");
    check("JSONCompactEachRow", &out, &s, "");
    check("JSONCompactEachRowWithNames", &out, &s, "[\"number\"]\n");
    check(
        "JSONCompactEachRowWithNamesAndTypes",
        &out,
        &s,
        "[\"number\"]\n[\"UInt64\"]\n",
    );
    check("JSONStringsEachRow", &out, &s, "");
    check("JSONCompactStringsEachRow", &out, &s, "");
    check("Pretty", &out, &s, "");
    check("PrettyCompact", &out, &s, "");
    check("PrettySpace", &out, &s, "");
    check("PrettyNoEscapes", &out, &s, "");
    check("Vertical", &out, &s, "");
    check("Values", &out, &s, "");
    check("TSKV", &out, &s, "");
    check("Markdown", &out, &s, "| number |\n|-:|\n");
    check("Null", &out, &s, "");
}

/// `SELECT nan AS a, inf AS b, -inf AS c, 0.1 AS d, toFloat32(0.1) AS e, CAST(NULL AS Nullable(Int64)) AS f, toInt32(5) AS g` with `SETTINGS output_format_json_quote_64bit_integers=1, output_format_write_statistics=0`
#[test]
fn chdb_q4() {
    let out = q4();
    let s = quoted();
    check(
        "TabSeparated",
        &out,
        &s,
        "nan\tinf\t-inf\t0.1\t0.1\t\\N\t5\n",
    );
    check("TSVRaw", &out, &s, "nan\tinf\t-inf\t0.1\t0.1\t\\N\t5\n");
    check(
        "TSVWithNames",
        &out,
        &s,
        "a\tb\tc\td\te\tf\tg\nnan\tinf\t-inf\t0.1\t0.1\t\\N\t5\n",
    );
    check("TSVWithNamesAndTypes", &out, &s, "a\tb\tc\td\te\tf\tg\nFloat64\tFloat64\tFloat64\tFloat64\tFloat32\tNullable(Int64)\tInt32\nnan\tinf\t-inf\t0.1\t0.1\t\\N\t5\n");
    check("CSV", &out, &s, "nan,inf,-inf,0.1,0.1,\\N,5\n");
    check(
        "CSVWithNames",
        &out,
        &s,
        "\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\"\nnan,inf,-inf,0.1,0.1,\\N,5\n",
    );
    check("CSVWithNamesAndTypes", &out, &s, "\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\"\n\"Float64\",\"Float64\",\"Float64\",\"Float64\",\"Float32\",\"Nullable(Int64)\",\"Int32\"\nnan,inf,-inf,0.1,0.1,\\N,5\n");
    check("JSON", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"a\",\n\t\t\t\"type\": \"Float64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"b\",\n\t\t\t\"type\": \"Float64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"c\",\n\t\t\t\"type\": \"Float64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"d\",\n\t\t\t\"type\": \"Float64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"e\",\n\t\t\t\"type\": \"Float32\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"f\",\n\t\t\t\"type\": \"Nullable(Int64)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"g\",\n\t\t\t\"type\": \"Int32\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t{\n\t\t\t\"a\": null,\n\t\t\t\"b\": null,\n\t\t\t\"c\": null,\n\t\t\t\"d\": 0.1,\n\t\t\t\"e\": 0.1,\n\t\t\t\"f\": null,\n\t\t\t\"g\": 5\n\t\t}\n\t],\n\n\t\"rows\": 1\n}\n");
    check("JSONCompact", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"a\",\n\t\t\t\"type\": \"Float64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"b\",\n\t\t\t\"type\": \"Float64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"c\",\n\t\t\t\"type\": \"Float64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"d\",\n\t\t\t\"type\": \"Float64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"e\",\n\t\t\t\"type\": \"Float32\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"f\",\n\t\t\t\"type\": \"Nullable(Int64)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"g\",\n\t\t\t\"type\": \"Int32\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t[null, null, null, 0.1, 0.1, null, 5]\n\t],\n\n\t\"rows\": 1\n}\n");
    check(
        "JSONEachRow",
        &out,
        &s,
        "{\"a\":null,\"b\":null,\"c\":null,\"d\":0.1,\"e\":0.1,\"f\":null,\"g\":5}\n",
    );
    check(
        "JSONCompactEachRow",
        &out,
        &s,
        "[null, null, null, 0.1, 0.1, null, 5]\n",
    );
    check("JSONCompactEachRowWithNames", &out, &s, "[\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\"]\n[null, null, null, 0.1, 0.1, null, 5]\n");
    check("JSONCompactEachRowWithNamesAndTypes", &out, &s, "[\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\"]\n[\"Float64\", \"Float64\", \"Float64\", \"Float64\", \"Float32\", \"Nullable(Int64)\", \"Int32\"]\n[null, null, null, 0.1, 0.1, null, 5]\n");
    check("JSONStringsEachRow", &out, &s, "{\"a\":\"nan\",\"b\":\"inf\",\"c\":\"-inf\",\"d\":\"0.1\",\"e\":\"0.1\",\"f\":\"ᴺᵁᴸᴸ\",\"g\":\"5\"}\n");
    check(
        "JSONCompactStringsEachRow",
        &out,
        &s,
        "[\"nan\", \"inf\", \"-inf\", \"0.1\", \"0.1\", \"ᴺᵁᴸᴸ\", \"5\"]\n",
    );
    check("Pretty", &out, &s, "   ┏━━━━━┳━━━━━┳━━━━━━┳━━━━━┳━━━━━┳━━━━━━┳━━━┓\n   ┃   a ┃   b ┃    c ┃   d ┃   e ┃    f ┃ g ┃\n   ┡━━━━━╇━━━━━╇━━━━━━╇━━━━━╇━━━━━╇━━━━━━╇━━━┩\n1. │ nan │ inf │ -inf │ 0.1 │ 0.1 │ ᴺᵁᴸᴸ │ 5 │\n   └─────┴─────┴──────┴─────┴─────┴──────┴───┘\n");
    check("PrettyCompact", &out, &s, "   ┌───a─┬───b─┬────c─┬───d─┬───e─┬────f─┬─g─┐\n1. │ nan │ inf │ -inf │ 0.1 │ 0.1 │ ᴺᵁᴸᴸ │ 5 │\n   └─────┴─────┴──────┴─────┴─────┴──────┴───┘\n");
    check("PrettySpace", &out, &s, "      a     b      c     d     e      f   g\n\n1.  nan   inf   -inf   0.1   0.1   ᴺᵁᴸᴸ   5 \n");
    check("PrettyNoEscapes", &out, &s, "   ┏━━━━━┳━━━━━┳━━━━━━┳━━━━━┳━━━━━┳━━━━━━┳━━━┓\n   ┃   a ┃   b ┃    c ┃   d ┃   e ┃    f ┃ g ┃\n   ┡━━━━━╇━━━━━╇━━━━━━╇━━━━━╇━━━━━╇━━━━━━╇━━━┩\n1. │ nan │ inf │ -inf │ 0.1 │ 0.1 │ ᴺᵁᴸᴸ │ 5 │\n   └─────┴─────┴──────┴─────┴─────┴──────┴───┘\n");
    check(
        "Vertical",
        &out,
        &s,
        "Row 1:\n──────\na: nan\nb: inf\nc: -inf\nd: 0.1\ne: 0.1\nf: ᴺᵁᴸᴸ\ng: 5\n",
    );
    check("Values", &out, &s, "(nan,inf,-inf,0.1,0.1,NULL,5)");
    check(
        "TSKV",
        &out,
        &s,
        "a=nan\tb=inf\tc=-inf\td=0.1\te=0.1\tf=\\N\tg=5\n",
    );
    check("Markdown", &out, &s, "| a | b | c | d | e | f | g |\n|-:|-:|-:|-:|-:|-:|-:|\n| nan | inf | -inf | 0.1 | 0.1 | \\N | 5 |\n");
    check("Null", &out, &s, "");
}

/// `SELECT number AS n, if(number=1, NULL, concat('é', repeat('x', number))) AS s, toInt64(number)*1000000 AS big FROM numbers(3)` with `SETTINGS output_format_json_quote_64bit_integers=1, output_format_write_statistics=0`
#[test]
fn chdb_q5() {
    let out = q5();
    let s = quoted();
    check(
        "TabSeparated",
        &out,
        &s,
        "0\té\t0\n1\t\\N\t1000000\n2\téxx\t2000000\n",
    );
    check(
        "TSVRaw",
        &out,
        &s,
        "0\té\t0\n1\t\\N\t1000000\n2\téxx\t2000000\n",
    );
    check(
        "TSVWithNames",
        &out,
        &s,
        "n\ts\tbig\n0\té\t0\n1\t\\N\t1000000\n2\téxx\t2000000\n",
    );
    check(
        "TSVWithNamesAndTypes",
        &out,
        &s,
        "n\ts\tbig\nUInt64\tNullable(String)\tInt64\n0\té\t0\n1\t\\N\t1000000\n2\téxx\t2000000\n",
    );
    check(
        "CSV",
        &out,
        &s,
        "0,\"é\",0\n1,\\N,1000000\n2,\"éxx\",2000000\n",
    );
    check(
        "CSVWithNames",
        &out,
        &s,
        "\"n\",\"s\",\"big\"\n0,\"é\",0\n1,\\N,1000000\n2,\"éxx\",2000000\n",
    );
    check("CSVWithNamesAndTypes", &out, &s, "\"n\",\"s\",\"big\"\n\"UInt64\",\"Nullable(String)\",\"Int64\"\n0,\"é\",0\n1,\\N,1000000\n2,\"éxx\",2000000\n");
    check("JSON", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"n\",\n\t\t\t\"type\": \"UInt64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"s\",\n\t\t\t\"type\": \"Nullable(String)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"big\",\n\t\t\t\"type\": \"Int64\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t{\n\t\t\t\"n\": \"0\",\n\t\t\t\"s\": \"é\",\n\t\t\t\"big\": \"0\"\n\t\t},\n\t\t{\n\t\t\t\"n\": \"1\",\n\t\t\t\"s\": null,\n\t\t\t\"big\": \"1000000\"\n\t\t},\n\t\t{\n\t\t\t\"n\": \"2\",\n\t\t\t\"s\": \"éxx\",\n\t\t\t\"big\": \"2000000\"\n\t\t}\n\t],\n\n\t\"rows\": 3\n}\n");
    check("JSONCompact", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"n\",\n\t\t\t\"type\": \"UInt64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"s\",\n\t\t\t\"type\": \"Nullable(String)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"big\",\n\t\t\t\"type\": \"Int64\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t[\"0\", \"é\", \"0\"],\n\t\t[\"1\", null, \"1000000\"],\n\t\t[\"2\", \"éxx\", \"2000000\"]\n\t],\n\n\t\"rows\": 3\n}\n");
    check("JSONEachRow", &out, &s, "{\"n\":\"0\",\"s\":\"é\",\"big\":\"0\"}\n{\"n\":\"1\",\"s\":null,\"big\":\"1000000\"}\n{\"n\":\"2\",\"s\":\"éxx\",\"big\":\"2000000\"}\n");
    check(
        "JSONCompactEachRow",
        &out,
        &s,
        "[\"0\", \"é\", \"0\"]\n[\"1\", null, \"1000000\"]\n[\"2\", \"éxx\", \"2000000\"]\n",
    );
    check("JSONCompactEachRowWithNames", &out, &s, "[\"n\", \"s\", \"big\"]\n[\"0\", \"é\", \"0\"]\n[\"1\", null, \"1000000\"]\n[\"2\", \"éxx\", \"2000000\"]\n");
    check("JSONCompactEachRowWithNamesAndTypes", &out, &s, "[\"n\", \"s\", \"big\"]\n[\"UInt64\", \"Nullable(String)\", \"Int64\"]\n[\"0\", \"é\", \"0\"]\n[\"1\", null, \"1000000\"]\n[\"2\", \"éxx\", \"2000000\"]\n");
    check("JSONStringsEachRow", &out, &s, "{\"n\":\"0\",\"s\":\"é\",\"big\":\"0\"}\n{\"n\":\"1\",\"s\":\"ᴺᵁᴸᴸ\",\"big\":\"1000000\"}\n{\"n\":\"2\",\"s\":\"éxx\",\"big\":\"2000000\"}\n");
    check(
        "JSONCompactStringsEachRow",
        &out,
        &s,
        "[\"0\", \"é\", \"0\"]\n[\"1\", \"ᴺᵁᴸᴸ\", \"1000000\"]\n[\"2\", \"éxx\", \"2000000\"]\n",
    );
    check("Pretty", &out, &s, "   ┏━━━┳━━━━━━┳━━━━━━━━━┓\n   ┃ n ┃ s    ┃     big ┃\n   ┡━━━╇━━━━━━╇━━━━━━━━━┩\n1. │ 0 │ é    │       0 │\n   ├───┼──────┼─────────┤\n2. │ 1 │ ᴺᵁᴸᴸ │ 1000000 │\n   ├───┼──────┼─────────┤\n3. │ 2 │ éxx  │ 2000000 │ -- 2.00 million\n   └───┴──────┴─────────┘\n");
    check("PrettyCompact", &out, &s, "   ┌─n─┬─s────┬─────big─┐\n1. │ 0 │ é    │       0 │\n2. │ 1 │ ᴺᵁᴸᴸ │ 1000000 │\n3. │ 2 │ éxx  │ 2000000 │ -- 2.00 million\n   └───┴──────┴─────────┘\n");
    check("PrettySpace", &out, &s, "    n   s          big\n\n1.  0   é            0 \n2.  1   ᴺᵁᴸᴸ   1000000 \n3.  2   éxx    2000000  -- 2.00 million\n");
    check("PrettyNoEscapes", &out, &s, "   ┏━━━┳━━━━━━┳━━━━━━━━━┓\n   ┃ n ┃ s    ┃     big ┃\n   ┡━━━╇━━━━━━╇━━━━━━━━━┩\n1. │ 0 │ é    │       0 │\n   ├───┼──────┼─────────┤\n2. │ 1 │ ᴺᵁᴸᴸ │ 1000000 │\n   ├───┼──────┼─────────┤\n3. │ 2 │ éxx  │ 2000000 │ -- 2.00 million\n   └───┴──────┴─────────┘\n");
    check("Vertical", &out, &s, "Row 1:\n──────\nn:   0\ns:   é\nbig: 0\n\nRow 2:\n──────\nn:   1\ns:   ᴺᵁᴸᴸ\nbig: 1000000\n\nRow 3:\n──────\nn:   2\ns:   éxx\nbig: 2000000 -- 2.00 million\n");
    check(
        "Values",
        &out,
        &s,
        "(0,'é',0),(1,NULL,1000000),(2,'éxx',2000000)",
    );
    check(
        "TSKV",
        &out,
        &s,
        "n=0\ts=é\tbig=0\nn=1\ts=\\N\tbig=1000000\nn=2\ts=éxx\tbig=2000000\n",
    );
    check("Markdown", &out, &s, "| n | s | big |\n|-:|:-|-:|\n| 0 | é | 0 |\n| 1 | \\N | 1000000 |\n| 2 | éxx | 2000000 |\n");
    check("Null", &out, &s, "");
}

/// `SELECT 'a\nbc' AS s, toUInt8(1) AS x`
#[test]
fn chdb_q6() {
    let out = q6();
    let s = quoted();
    check("Pretty", &out, &s, "   ┏━━━━┳━━━┓\n   ┃ s  ┃ x ┃\n   ┡━━━━╇━━━┩\n1. │ a ↴│ 1 │\n   │↳bc │   │\n   └────┴───┘\n");
    check(
        "PrettyCompact",
        &out,
        &s,
        "   ┌─s──┬─x─┐\n1. │ a ↴│ 1 │\n   │↳bc │   │\n   └────┴───┘\n",
    );
    check(
        "PrettySpace",
        &out,
        &s,
        "    s    x\n\n1.  a ↴  1 \n   ↳bc     \n",
    );
    check("Vertical", &out, &s, "Row 1:\n──────\ns: a\nbc\nx: 1\n");
    check("TabSeparated", &out, &s, "a\\nbc\t1\n");
    check("CSV", &out, &s, "\"a\nbc\",1\n");
    check("JSONEachRow", &out, &s, "{\"s\":\"a\\nbc\",\"x\":1}\n");
}

/// `SELECT number FROM numbers(10)`
#[test]
fn chdb_q7() {
    let out = q7();
    let s = quoted();
    check("Pretty", &out, &s, "    ┏━━━━━━━━┓\n    ┃ number ┃\n    ┡━━━━━━━━┩\n 1. │      0 │\n    ├────────┤\n 2. │      1 │\n    ├────────┤\n 3. │      2 │\n    ├────────┤\n 4. │      3 │\n    ├────────┤\n 5. │      4 │\n    ├────────┤\n 6. │      5 │\n    ├────────┤\n 7. │      6 │\n    ├────────┤\n 8. │      7 │\n    ├────────┤\n 9. │      8 │\n    ├────────┤\n10. │      9 │\n    └────────┘\n");
    check("PrettyCompact", &out, &s, "    ┌─number─┐\n 1. │      0 │\n 2. │      1 │\n 3. │      2 │\n 4. │      3 │\n 5. │      4 │\n 6. │      5 │\n 7. │      6 │\n 8. │      7 │\n 9. │      8 │\n10. │      9 │\n    └────────┘\n");
    check("PrettySpace", &out, &s, "     number\n\n 1.       0 \n 2.       1 \n 3.       2 \n 4.       3 \n 5.       4 \n 6.       5 \n 7.       6 \n 8.       7 \n 9.       8 \n10.       9 \n");
}

/// `SELECT number FROM numbers(7)` with `SETTINGS output_format_pretty_max_rows=4`
#[test]
fn chdb_q8() {
    let out = q8();
    let s = max_rows(4);
    check("Pretty", &out, &s, "   ┏━━━━━━━━┓\n   ┃ number ┃\n   ┡━━━━━━━━┩\n1. │      0 │\n   ├────────┤\n2. │      1 │\n   ├────────┤\n   ─ ─ ─ ─ ─ \n   ├────────┤\n6. │      5 │\n   ├────────┤\n7. │      6 │\n   └────────┘\nShowed 4 out of 7 rows.\n");
    check("PrettyCompact", &out, &s, "   ┌─number─┐\n1. │      0 │\n2. │      1 │\n   ─ ─ ─ ─ ─ \n6. │      5 │\n7. │      6 │\n   └────────┘\nShowed 4 out of 7 rows.\n");
    check("PrettySpace", &out, &s, "    number\n\n1.       0 \n2.       1 \n   ─ ─ ─ ─\n6.       5 \n7.       6 \n\nShowed 4 out of 7 rows.\n");
}

/// `SELECT number % 2 AS k, count() AS c FROM numbers(4) GROUP BY k WITH TOTALS ORDER BY k SETTINGS output_format_write_statistics=0, output_format_json_quote_64bit_integers=1`
#[test]
fn chdb_totals() {
    let out = totals();
    let s = quoted();
    check("TSV", &out, &s, "0\t2\n1\t2\n\n0\t4\n");
    check("TSVWithNames", &out, &s, "k\tc\n0\t2\n1\t2\n\n0\t4\n");
    check("CSV", &out, &s, "0,2\n1,2\n\n0,4\n");
    check("JSON", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"k\",\n\t\t\t\"type\": \"UInt8\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"c\",\n\t\t\t\"type\": \"UInt64\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t{\n\t\t\t\"k\": 0,\n\t\t\t\"c\": \"2\"\n\t\t},\n\t\t{\n\t\t\t\"k\": 1,\n\t\t\t\"c\": \"2\"\n\t\t}\n\t],\n\n\t\"totals\":\n\t{\n\t\t\"k\": 0,\n\t\t\"c\": \"4\"\n\t},\n\n\t\"rows\": 2\n}\n");
    check("JSONCompact", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"k\",\n\t\t\t\"type\": \"UInt8\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"c\",\n\t\t\t\"type\": \"UInt64\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t[0, \"2\"],\n\t\t[1, \"2\"]\n\t],\n\n\t\"totals\": [0, \"4\"],\n\n\t\"rows\": 2\n}\n");
    check(
        "JSONEachRow",
        &out,
        &s,
        "{\"k\":0,\"c\":\"2\"}\n{\"k\":1,\"c\":\"2\"}\n",
    );
    check("PrettyCompact", &out, &s, "   ┌─k─┬─c─┐\n1. │ 0 │ 2 │\n2. │ 1 │ 2 │\n   └───┴───┘\n\nTotals:\n   ┌─k─┬─c─┐\n1. │ 0 │ 4 │\n   └───┴───┘\n");
    check("Pretty", &out, &s, "   ┏━━━┳━━━┓\n   ┃ k ┃ c ┃\n   ┡━━━╇━━━┩\n1. │ 0 │ 2 │\n   ├───┼───┤\n2. │ 1 │ 2 │\n   └───┴───┘\n\nTotals:\n   ┏━━━┳━━━┓\n   ┃ k ┃ c ┃\n   ┡━━━╇━━━┩\n1. │ 0 │ 4 │\n   └───┴───┘\n");
    check(
        "PrettySpace",
        &out,
        &s,
        "    k   c\n\n1.  0   2 \n2.  1   2 \n\nTotals:\n    k   c\n\n1.  0   4 \n",
    );
    check("Values", &out, &s, "(0,2),(1,2)");
    check("Vertical", &out, &s, "Row 1:\n──────\nk: 0\nc: 2\n\nRow 2:\n──────\nk: 1\nc: 2\n\n\nTotals:\n───────\nk: 0\nc: 4\n");
    check(
        "Markdown",
        &out,
        &s,
        "| k | c |\n|-:|-:|\n| 0 | 2 |\n| 1 | 2 |\n",
    );
    check("TSKV", &out, &s, "k=0\tc=2\nk=1\tc=2\n");
    check("JSONCompactEachRow", &out, &s, "[0, \"2\"]\n[1, \"2\"]\n");
}

fn totals() -> QueryOutput {
    let mut out = output(vec![
        ("k", "UInt8", Arc::new(UInt8Array::from(vec![0, 1]))),
        ("c", "UInt64", Arc::new(UInt64Array::from(vec![2, 2]))),
    ]);
    let t = output(vec![
        ("k", "UInt8", Arc::new(UInt8Array::from(vec![0]))),
        ("c", "UInt64", Arc::new(UInt64Array::from(vec![4]))),
    ]);
    out.totals = t.batches.into_iter().next();
    out
}

/// `SELECT CAST([NULL,'a'] AS Array(Nullable(String))) AS an, toDateTime64('2024-01-02 03:04:05.123',3,'UTC') AS dt64, toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') AS u, toDate32('1900-01-01') AS d32, '' AS e, 'x\x1fy' AS c, toLowCardinality('lc') AS lc, -1.5 AS neg, toInt8(-3) AS i8` with `SETTINGS output_format_json_quote_64bit_integers=1, output_format_write_statistics=0, output_format_pretty_fallback_to_vertical=0`
#[test]
fn chdb_q9() {
    let out = q9();
    let s = quoted();
    check("TabSeparated", &out, &s, "[NULL,'a']\t2024-01-02 03:04:05.123\t61f0c404-5cb3-11e7-907b-a6006ad3dba0\t1900-01-01\t\tx\u{1f}y\tlc\t-1.5\t-3\n");
    check("TSVRaw", &out, &s, "[NULL,'a']\t2024-01-02 03:04:05.123\t61f0c404-5cb3-11e7-907b-a6006ad3dba0\t1900-01-01\t\tx\u{1f}y\tlc\t-1.5\t-3\n");
    check("TSVWithNames", &out, &s, "an\tdt64\tu\td32\te\tc\tlc\tneg\ti8\n[NULL,'a']\t2024-01-02 03:04:05.123\t61f0c404-5cb3-11e7-907b-a6006ad3dba0\t1900-01-01\t\tx\u{1f}y\tlc\t-1.5\t-3\n");
    check("TSVWithNamesAndTypes", &out, &s, "an\tdt64\tu\td32\te\tc\tlc\tneg\ti8\nArray(Nullable(String))\tDateTime64(3, \\'UTC\\')\tUUID\tDate32\tString\tString\tLowCardinality(String)\tFloat64\tInt8\n[NULL,'a']\t2024-01-02 03:04:05.123\t61f0c404-5cb3-11e7-907b-a6006ad3dba0\t1900-01-01\t\tx\u{1f}y\tlc\t-1.5\t-3\n");
    check("CSV", &out, &s, "\"[NULL,'a']\",\"2024-01-02 03:04:05.123\",\"61f0c404-5cb3-11e7-907b-a6006ad3dba0\",\"1900-01-01\",\"\",\"x\u{1f}y\",\"lc\",-1.5,-3\n");
    check("CSVWithNames", &out, &s, "\"an\",\"dt64\",\"u\",\"d32\",\"e\",\"c\",\"lc\",\"neg\",\"i8\"\n\"[NULL,'a']\",\"2024-01-02 03:04:05.123\",\"61f0c404-5cb3-11e7-907b-a6006ad3dba0\",\"1900-01-01\",\"\",\"x\u{1f}y\",\"lc\",-1.5,-3\n");
    check("CSVWithNamesAndTypes", &out, &s, "\"an\",\"dt64\",\"u\",\"d32\",\"e\",\"c\",\"lc\",\"neg\",\"i8\"\n\"Array(Nullable(String))\",\"DateTime64(3, 'UTC')\",\"UUID\",\"Date32\",\"String\",\"String\",\"LowCardinality(String)\",\"Float64\",\"Int8\"\n\"[NULL,'a']\",\"2024-01-02 03:04:05.123\",\"61f0c404-5cb3-11e7-907b-a6006ad3dba0\",\"1900-01-01\",\"\",\"x\u{1f}y\",\"lc\",-1.5,-3\n");
    check("JSON", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"an\",\n\t\t\t\"type\": \"Array(Nullable(String))\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"dt64\",\n\t\t\t\"type\": \"DateTime64(3, 'UTC')\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"u\",\n\t\t\t\"type\": \"UUID\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"d32\",\n\t\t\t\"type\": \"Date32\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"e\",\n\t\t\t\"type\": \"String\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"c\",\n\t\t\t\"type\": \"String\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"lc\",\n\t\t\t\"type\": \"LowCardinality(String)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"neg\",\n\t\t\t\"type\": \"Float64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"i8\",\n\t\t\t\"type\": \"Int8\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t{\n\t\t\t\"an\": [null,\"a\"],\n\t\t\t\"dt64\": \"2024-01-02 03:04:05.123\",\n\t\t\t\"u\": \"61f0c404-5cb3-11e7-907b-a6006ad3dba0\",\n\t\t\t\"d32\": \"1900-01-01\",\n\t\t\t\"e\": \"\",\n\t\t\t\"c\": \"x\\u001Fy\",\n\t\t\t\"lc\": \"lc\",\n\t\t\t\"neg\": -1.5,\n\t\t\t\"i8\": -3\n\t\t}\n\t],\n\n\t\"rows\": 1\n}\n");
    check("JSONCompact", &out, &s, "{\n\t\"meta\":\n\t[\n\t\t{\n\t\t\t\"name\": \"an\",\n\t\t\t\"type\": \"Array(Nullable(String))\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"dt64\",\n\t\t\t\"type\": \"DateTime64(3, 'UTC')\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"u\",\n\t\t\t\"type\": \"UUID\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"d32\",\n\t\t\t\"type\": \"Date32\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"e\",\n\t\t\t\"type\": \"String\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"c\",\n\t\t\t\"type\": \"String\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"lc\",\n\t\t\t\"type\": \"LowCardinality(String)\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"neg\",\n\t\t\t\"type\": \"Float64\"\n\t\t},\n\t\t{\n\t\t\t\"name\": \"i8\",\n\t\t\t\"type\": \"Int8\"\n\t\t}\n\t],\n\n\t\"data\":\n\t[\n\t\t[[null,\"a\"], \"2024-01-02 03:04:05.123\", \"61f0c404-5cb3-11e7-907b-a6006ad3dba0\", \"1900-01-01\", \"\", \"x\\u001Fy\", \"lc\", -1.5, -3]\n\t],\n\n\t\"rows\": 1\n}\n");
    check("JSONEachRow", &out, &s, "{\"an\":[null,\"a\"],\"dt64\":\"2024-01-02 03:04:05.123\",\"u\":\"61f0c404-5cb3-11e7-907b-a6006ad3dba0\",\"d32\":\"1900-01-01\",\"e\":\"\",\"c\":\"x\\u001Fy\",\"lc\":\"lc\",\"neg\":-1.5,\"i8\":-3}\n");
    check("JSONCompactEachRow", &out, &s, "[[null,\"a\"], \"2024-01-02 03:04:05.123\", \"61f0c404-5cb3-11e7-907b-a6006ad3dba0\", \"1900-01-01\", \"\", \"x\\u001Fy\", \"lc\", -1.5, -3]\n");
    check("JSONCompactEachRowWithNames", &out, &s, "[\"an\", \"dt64\", \"u\", \"d32\", \"e\", \"c\", \"lc\", \"neg\", \"i8\"]\n[[null,\"a\"], \"2024-01-02 03:04:05.123\", \"61f0c404-5cb3-11e7-907b-a6006ad3dba0\", \"1900-01-01\", \"\", \"x\\u001Fy\", \"lc\", -1.5, -3]\n");
    check("JSONCompactEachRowWithNamesAndTypes", &out, &s, "[\"an\", \"dt64\", \"u\", \"d32\", \"e\", \"c\", \"lc\", \"neg\", \"i8\"]\n[\"Array(Nullable(String))\", \"DateTime64(3, 'UTC')\", \"UUID\", \"Date32\", \"String\", \"String\", \"LowCardinality(String)\", \"Float64\", \"Int8\"]\n[[null,\"a\"], \"2024-01-02 03:04:05.123\", \"61f0c404-5cb3-11e7-907b-a6006ad3dba0\", \"1900-01-01\", \"\", \"x\\u001Fy\", \"lc\", -1.5, -3]\n");
    check("JSONStringsEachRow", &out, &s, "{\"an\":\"[NULL,'a']\",\"dt64\":\"2024-01-02 03:04:05.123\",\"u\":\"61f0c404-5cb3-11e7-907b-a6006ad3dba0\",\"d32\":\"1900-01-01\",\"e\":\"\",\"c\":\"x\\u001Fy\",\"lc\":\"lc\",\"neg\":\"-1.5\",\"i8\":\"-3\"}\n");
    check("JSONCompactStringsEachRow", &out, &s, "[\"[NULL,'a']\", \"2024-01-02 03:04:05.123\", \"61f0c404-5cb3-11e7-907b-a6006ad3dba0\", \"1900-01-01\", \"\", \"x\\u001Fy\", \"lc\", \"-1.5\", \"-3\"]\n");
    check("Pretty", &out, &s, "   ┏━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━┳━━━━┳━━━━┳━━━━━━┳━━━━┓\n   ┃ an         ┃                    dt64 ┃ u                                    ┃        d32 ┃ e ┃ c  ┃ lc ┃  neg ┃ i8 ┃\n   ┡━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━╇━━━━╇━━━━╇━━━━━━╇━━━━┩\n1. │ [NULL,'a'] │ 2024-01-02 03:04:05.123 │ 61f0c404-5cb3-11e7-907b-a6006ad3dba0 │ 1900-01-01 │   │ x\u{1f}y │ lc │ -1.5 │ -3 │\n   └────────────┴─────────────────────────┴──────────────────────────────────────┴────────────┴───┴────┴────┴──────┴────┘\n");
    check("PrettyCompact", &out, &s, "   ┌─an─────────┬────────────────────dt64─┬─u────────────────────────────────────┬────────d32─┬─e─┬─c──┬─lc─┬──neg─┬─i8─┐\n1. │ [NULL,'a'] │ 2024-01-02 03:04:05.123 │ 61f0c404-5cb3-11e7-907b-a6006ad3dba0 │ 1900-01-01 │   │ x\u{1f}y │ lc │ -1.5 │ -3 │\n   └────────────┴─────────────────────────┴──────────────────────────────────────┴────────────┴───┴────┴────┴──────┴────┘\n");
    check("PrettySpace", &out, &s, "    an                              dt64   u                                             d32   e   c    lc    neg   i8\n\n1.  [NULL,'a']   2024-01-02 03:04:05.123   61f0c404-5cb3-11e7-907b-a6006ad3dba0   1900-01-01       x\u{1f}y   lc   -1.5   -3 \n");
    check("PrettyNoEscapes", &out, &s, "   ┏━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━┳━━━━┳━━━━┳━━━━━━┳━━━━┓\n   ┃ an         ┃                    dt64 ┃ u                                    ┃        d32 ┃ e ┃ c  ┃ lc ┃  neg ┃ i8 ┃\n   ┡━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━╇━━━━╇━━━━╇━━━━━━╇━━━━┩\n1. │ [NULL,'a'] │ 2024-01-02 03:04:05.123 │ 61f0c404-5cb3-11e7-907b-a6006ad3dba0 │ 1900-01-01 │   │ x\u{1f}y │ lc │ -1.5 │ -3 │\n   └────────────┴─────────────────────────┴──────────────────────────────────────┴────────────┴───┴────┴────┴──────┴────┘\n");
    check("Vertical", &out, &s, "Row 1:\n──────\nan:   [NULL,'a']\ndt64: 2024-01-02 03:04:05.123\nu:    61f0c404-5cb3-11e7-907b-a6006ad3dba0\nd32:  1900-01-01\ne:    \nc:    x\u{1f}y\nlc:   lc\nneg:  -1.5\ni8:   -3\n");
    check("Values", &out, &s, "([NULL,'a'],'2024-01-02 03:04:05.123','61f0c404-5cb3-11e7-907b-a6006ad3dba0','1900-01-01','','x\u{1f}y','lc',-1.5,-3)");
    check("TSKV", &out, &s, "an=[NULL,'a']\tdt64=2024-01-02 03:04:05.123\tu=61f0c404-5cb3-11e7-907b-a6006ad3dba0\td32=1900-01-01\te=\tc=x\u{1f}y\tlc=lc\tneg=-1.5\ti8=-3\n");
    check("Markdown", &out, &s, "| an | dt64 | u | d32 | e | c | lc | neg | i8 |\n|:-|-:|:-|-:|:-|:-|:-|-:|-:|\n| [NULL,'a'] | 2024-01-02 03:04:05.123 | 61f0c404-5cb3-11e7-907b-a6006ad3dba0 | 1900-01-01 |  | x\u{1f}y | lc | -1.5 | -3 |\n");
    check("Null", &out, &s, "");
}

fn q9() -> QueryOutput {
    use arrow::array::{DictionaryArray, FixedSizeBinaryArray, Int8Array};
    use arrow::buffer::OffsetBuffer;
    use arrow::datatypes::Int32Type;
    let an = ListArray::new(
        Arc::new(Field::new("item", arrow::datatypes::DataType::Binary, true)),
        OffsetBuffer::new(vec![0i32, 2].into()),
        bin(&[None, Some("a")]),
        None,
    );
    let uuid: Vec<u8> = (0..16)
        .map(|i| {
            u8::from_str_radix(&"61f0c4045cb311e7907ba6006ad3dba0"[i * 2..i * 2 + 2], 16).unwrap()
        })
        .collect();
    let u = FixedSizeBinaryArray::try_from_iter(std::iter::once(uuid)).unwrap();
    let lc = DictionaryArray::<Int32Type>::try_new(Int32Array::from(vec![0]), bin(&[Some("lc")]))
        .unwrap();
    output(vec![
        ("an", "Array(Nullable(String))", Arc::new(an)),
        (
            "dt64",
            "DateTime64(3, 'UTC')",
            Arc::new(Int64Array::from(vec![1704164645123])),
        ),
        ("u", "UUID", Arc::new(u)),
        ("d32", "Date32", Arc::new(Int32Array::from(vec![-25567]))),
        ("e", "String", bin(&[Some("")])),
        ("c", "String", bin(&[Some("x\u{1f}y")])),
        ("lc", "LowCardinality(String)", Arc::new(lc)),
        ("neg", "Float64", Arc::new(Float64Array::from(vec![-1.5]))),
        ("i8", "Int8", Arc::new(Int8Array::from(vec![-3]))),
    ])
}
