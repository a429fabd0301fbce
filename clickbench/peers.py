"""The peers Granary is measured against, in the same run on the same file: ClickHouse
(chdb, in process, a MergeTree table in a session with its own data path) and DuckDB (a
persistent database file), each loaded from the file Granary loads."""

import os
import re
import shutil
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

CH_TYPES = {"BIGINT": "Int64", "SMALLINT": "Int16", "INTEGER": "Int32", "TEXT": "String",
            "VARCHAR(255)": "String", "CHAR": "String", "TIMESTAMP": "DateTime", "Date": "Date"}


def columns(create_sql):
    """[(name, sql_type)] of the 105 columns of create.sql."""
    return re.findall(r"^\s+(\w+) (BIGINT|SMALLINT|INTEGER|TEXT|TIMESTAMP|Date|VARCHAR\(255\)"
                      r"|CHAR) NOT NULL", create_sql, re.M)


def clickhouse_structure(create_sql):
    """The file() structure string of hits ('WatchID Int64, ...')."""
    return ", ".join(f"{n} {CH_TYPES[t]}" for n, t in columns(create_sql))


def du(path):
    """Bytes on disk under `path` (du -sb)."""
    out = subprocess.run(["du", "-sb", path], capture_output=True, text=True)
    return int(out.stdout.split()[0])


class ClickHouse:
    """ClickHouse through chdb: a Session with a data path, a MergeTree `hits`."""

    name = "ClickHouse"

    def __init__(self, log):
        from chdb import session
        self.log = log
        self.path = tempfile.mkdtemp(prefix="chdb-clickbench-")
        self.sess = session.Session(self.path)
        import chdb
        self.version = getattr(chdb, "engine_version", None) or chdb.__version__

    def query(self, sql):
        """Runs a query and returns its TSV output."""
        res = self.sess.query(sql.strip().rstrip(";"), "TSV")
        if hasattr(res, "has_error") and res.has_error():
            raise RuntimeError(res.error_message())
        return res.bytes()

    def load(self, create_sql, data_file, fmt):
        """Creates hits and loads `data_file` (TSV or Parquet); returns seconds."""
        self.sess.query(create_sql)
        start = time.perf_counter()
        if fmt == "Parquet":
            select = ", ".join(
                f"toDateTime({n}) AS {n}" if t == "TIMESTAMP" else
                f"toDate({n}) AS {n}" if t == "Date" else n
                for n, t in columns(create_sql))
            self.sess.query(f"INSERT INTO hits SELECT {select} FROM file('{data_file}', Parquet)")
        else:
            structure = clickhouse_structure(create_sql)
            self.sess.query(f"INSERT INTO hits SELECT * FROM file('{data_file}', TSV, "
                            f"'{structure}')")
        os.sync()
        return time.perf_counter() - start

    def data_size(self):
        """Bytes on disk of the table's data directory."""
        return du(self.path)

    def close(self):
        """Closes the session and removes its data."""
        try:
            self.sess.close()
        except Exception:
            pass
        shutil.rmtree(self.path, ignore_errors=True)


class DuckDB:
    """DuckDB: a persistent database file with ClickBench's typed `hits` table."""

    name = "DuckDB"

    def __init__(self, log):
        import duckdb
        self.duckdb = duckdb
        self.log = log
        self.dir = tempfile.mkdtemp(prefix="duckdb-clickbench-")
        self.db_path = os.path.join(self.dir, "hits.db")
        self.con = duckdb.connect(self.db_path)
        self.con.execute("SET TimeZone = 'UTC'")
        self.version = duckdb.__version__

    def query(self, sql):
        """Runs a query and returns its rows as TSV-ish bytes (for the record only)."""
        rows = self.con.execute(sql.strip().rstrip(";")).fetchall()
        return "".join("\t".join(map(str, r)) + "\n" for r in rows).encode()

    def load(self, create_sql, data_file, fmt):
        """Creates hits and loads `data_file`; returns seconds."""
        self.con.execute(open(os.path.join(HERE, "duckdb", "create.sql")).read())
        start = time.perf_counter()
        if fmt == "Parquet":
            load = open(os.path.join(HERE, "duckdb", "load_parquet.sql")).read()
        else:
            cols = ", ".join(f"'{n}': '{t}'" for n, t in columns(create_sql))
            load = open(os.path.join(HERE, "duckdb", "load_tsv.sql")).read()
            load = load.replace("{columns}", "{" + cols + "}")
        self.con.execute(load.replace("{file}", data_file))
        self.con.execute("CHECKPOINT")
        os.sync()
        return time.perf_counter() - start

    def data_size(self):
        """Bytes on disk of the database file (and its WAL)."""
        return du(self.dir)

    def close(self):
        """Closes the database and removes it."""
        self.con.close()
        shutil.rmtree(self.dir, ignore_errors=True)
