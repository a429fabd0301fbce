//! End-to-end: the real Python client clickhouse-connect against the real `granary`
//! binary (server/tests/clients/clickhouse_connect_test.py does the talking).
//!
//! The interpreter is `GRANARY_TEST_PYTHON`, else `target/pyenv/bin/python` (made by
//! `.ci/run`). Without one the test is skipped with a message, except under `CI=true`,
//! where a missing interpreter is a failure.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::process::Server;

/// The Python interpreter to use, or None (with the reason) when there is none.
fn python() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("GRANARY_TEST_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/pyenv/bin/python");
    if venv.exists() {
        return Ok(venv);
    }
    Err(format!(
        "no Python with clickhouse-connect: set GRANARY_TEST_PYTHON or create {} \
         (python3 -m venv target/pyenv && target/pyenv/bin/pip install clickhouse-connect pandas)",
        venv.display()
    ))
}

#[test]
fn clickhouse_connect_inserts_and_queries() {
    let python = match python() {
        Ok(p) => p,
        Err(why) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: {why}");
            return;
        }
        Err(why) => panic!("{why}"),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path());
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/clickhouse_connect_test.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(server.addr.ip().to_string())
        .arg(server.addr.port().to_string())
        .output()
        .expect("run the Python client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "clickhouse-connect script failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("clickhouse-connect checks passed"),
        "{stdout}"
    );
}
