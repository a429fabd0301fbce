"""Granary as a benchmarked system: a `granary server` on a free port with a temporary data
directory, driven over the ClickHouse HTTP interface."""

import http.client
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.parse


# Granary's largest request body (server/src/http/query.rs: 256 MiB), and the size of the
# pieces a bigger TSV file is sent in.
MAX_BODY = 256 << 20
CHUNK = 128 << 20


class HttpError(Exception):
    """A non-200 answer from the server."""


class Granary:
    """A running Granary server (start with `start()`, stop with `close()`)."""

    name = "Granary"

    def __init__(self, binary, log):
        self.binary = binary
        self.log = log
        self.data_dir = tempfile.mkdtemp(prefix="granary-clickbench-")
        self.proc = None
        self.host = None
        self.port = None
        self.conn = None
        self.chunked = False

    def start(self):
        """Starts the server and waits for its 'listening on' line."""
        self.proc = subprocess.Popen(
            [self.binary, "--log-level", "info", "server", "--listen", "127.0.0.1:0",
             "--data-dir", self.data_dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        found = {}

        def read_stderr():
            for line in self.proc.stderr:
                m = re.search(r"listening on http://([\d.]+):(\d+)", line)
                if m and "addr" not in found:
                    found["addr"] = (m.group(1), int(m.group(2)))
                if "ERROR" in line or "panicked" in line:
                    self.log("  granary: " + line.rstrip())

        threading.Thread(target=read_stderr, daemon=True).start()
        deadline = time.time() + 30
        while "addr" not in found:
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("granary did not start")
            time.sleep(0.05)
        self.host, self.port = found["addr"]
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=3600,
                                               blocksize=1 << 20)

    def _post(self, query, body=b"", headers=None):
        path = "/?" + urllib.parse.urlencode({"query": query}) if query else "/"
        for attempt in range(2):
            try:
                self.conn.request("POST", path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=3600,
                                                       blocksize=1 << 20)
                if attempt == 1 or hasattr(body, "read"):
                    raise
        if resp.status != 200:
            raise HttpError(data.decode("utf-8", "replace").strip())
        return data

    def execute(self, sql):
        """Runs one statement (in the POST body) and returns the answer's bytes."""
        return self._post(None, sql.encode())

    def query(self, sql):
        """Runs a benchmark query end to end and returns its TSV output."""
        return self.execute(sql.strip().rstrip(";") + " FORMAT TSV")

    def load(self, create_sql, data_file, fmt):
        """Creates `hits` and POSTs `data_file` as `INSERT INTO hits FORMAT <fmt>`;
        returns the load time in seconds (including the final sync)."""
        self.execute(create_sql)
        start = time.perf_counter()
        query = f"INSERT INTO hits FORMAT {fmt}"
        if fmt != "TSV" or os.path.getsize(data_file) <= MAX_BODY:
            with open(data_file, "rb") as f:
                self._post(query, body=f,
                           headers={"Content-Length": str(os.path.getsize(data_file))})
        else:
            # Granary caps a request body (256 MiB): send whole lines in several INSERTs.
            self.chunked = True
            with open(data_file, "rb") as f:
                rest = b""
                while True:
                    block = f.read(CHUNK)
                    if not block:
                        break
                    block = rest + block
                    cut = block.rfind(b"\n") + 1
                    rest = block[cut:]
                    if cut:
                        self._post(query, body=block[:cut])
                if rest:
                    self._post(query, body=rest)
        os.sync()
        return time.perf_counter() - start

    def data_size(self):
        """Bytes on disk of the data directory (du -sb)."""
        out = subprocess.run(["du", "-sb", self.data_dir], capture_output=True, text=True)
        return int(out.stdout.split()[0])

    def close(self):
        """Stops the server and removes its data directory."""
        if self.conn:
            self.conn.close()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        subprocess.run(["rm", "-rf", self.data_dir])
