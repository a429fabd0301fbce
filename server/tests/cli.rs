//! End-to-end: the real `granary` binary, started as a user would, spoken to over HTTP.

mod support;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use support::request;

/// How long the binary may take to start listening or to exit.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

fn granary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_granary"));
    command.env_remove("GRANARY_LOG");
    command
}

fn run_to_end(args: &[&str]) -> Output {
    granary().args(args).output().expect("run granary")
}

/// A running `granary server`, killed when dropped so a failing test leaves no orphan.
struct RunningServer {
    child: Child,
    addr: SocketAddr,
    stderr: Receiver<String>,
    log: Vec<String>,
}

impl RunningServer {
    /// Starts `granary server` on a free port (`--listen 127.0.0.1:0`) and waits until the
    /// log says where it listens.
    fn start(data_dir: &Path) -> RunningServer {
        let data_dir = data_dir.to_str().expect("UTF-8 temp path");
        let mut child = granary()
            .args(["server", "--listen", "127.0.0.1:0", "--data-dir", data_dir])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn granary server");
        let stderr = forward_lines(child.stderr.take().expect("piped stderr"));
        let mut server = RunningServer {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr,
            log: Vec::new(),
        };
        server.addr = server.wait_for_listen_addr();
        server
    }

    fn wait_for_listen_addr(&mut self) -> SocketAddr {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        while let Some(line) = self.next_line(deadline) {
            if let Some((_, rest)) = line.split_once("listening on http://") {
                let addr = rest.split_whitespace().next().unwrap_or_default();
                return addr.parse().expect("listen address in the log");
            }
        }
        panic!(
            "granary never said where it listens; stderr:\n{}",
            self.log.join("\n")
        );
    }

    fn next_line(&mut self, deadline: Instant) -> Option<String> {
        let wait = deadline.saturating_duration_since(Instant::now());
        let line = self.stderr.recv_timeout(wait).ok()?;
        self.log.push(line.clone());
        Some(line)
    }

    /// Sends SIGTERM and waits for the process to exit.
    fn terminate(mut self) -> (ExitStatus, String) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits pid_t");
        // SAFETY: `kill` has no memory-safety preconditions; `pid` is our own live child
        // (not yet waited for, so its id cannot have been reused).
        let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(rc, 0, "kill(SIGTERM) failed");
        let status = wait_with_timeout(&mut self.child, STARTUP_TIMEOUT);
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.next_line(deadline).is_some() {}
        (status, self.log.join("\n"))
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends each line of `pipe` to the returned channel from a background thread.
fn forward_lines(pipe: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("wait for granary") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("granary did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn serves_ping_and_sql_and_keeps_data_across_a_kill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("nested").join("data");
    let server = RunningServer::start(&data_dir);
    assert!(data_dir.is_dir(), "the data directory is created");

    let ping = request(server.addr, "GET", "/ping", b"");
    assert_eq!(ping.status, 200);
    assert_eq!(ping.text(), "Ok.\n");

    let query = request(server.addr, "GET", "/?query=SELECT%201", b"");
    assert_eq!(query.status, 200);
    assert_eq!(query.text(), "1\n");

    // Data survives a restart of the real binary.
    let create = request(
        server.addr,
        "POST",
        "/",
        b"CREATE TABLE kept (id UInt64) ENGINE = MergeTree ORDER BY id",
    );
    assert_eq!(create.status, 200, "{}", create.text());
    let insert = request(
        server.addr,
        "POST",
        "/",
        b"INSERT INTO kept VALUES (7), (8)",
    );
    assert_eq!(insert.status, 200, "{}", insert.text());

    assert_eq!(request(server.addr, "GET", "/nope", b"").status, 404);
    drop(server); // kills it: an acknowledged insert must survive

    let server = RunningServer::start(&data_dir);
    let read = request(
        server.addr,
        "GET",
        "/?query=SELECT%20id%20FROM%20kept%20ORDER%20BY%20id",
        b"",
    );
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.text(), "7\n8\n");
}

#[test]
fn sigterm_shuts_down_with_exit_code_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = RunningServer::start(dir.path());
    assert_eq!(request(server.addr, "GET", "/ping", b"").text(), "Ok.\n");
    let (status, log) = server.terminate();
    assert!(status.success(), "exit status {status}; stderr:\n{log}");
    assert!(log.contains("SIGTERM"), "stderr:\n{log}");
}

#[test]
fn port_in_use_is_a_clear_error_not_a_panic() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_str().expect("UTF-8 temp path");
    let output = run_to_end(&["server", "--listen", &addr, "--data-dir", data_dir]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(stderr.contains("already in use"), "stderr:\n{stderr}");
    assert!(stderr.contains(&addr), "stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "stderr:\n{stderr}");
}

#[test]
fn unusable_data_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").expect("write file");
    let file = file.to_str().expect("UTF-8 temp path");
    let output = run_to_end(&["server", "--listen", "127.0.0.1:0", "--data-dir", file]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("cannot use data directory"),
        "stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "stderr:\n{stderr}");
}

#[test]
fn help_explains_the_flags() {
    let top = run_to_end(&["--help"]);
    assert!(top.status.success());
    let top = String::from_utf8_lossy(&top.stdout);
    for needle in ["server", "--listen", "--data-dir", "--log-level"] {
        assert!(
            top.contains(needle),
            "`granary --help` lacks {needle}:\n{top}"
        );
    }

    let server = run_to_end(&["server", "--help"]);
    assert!(server.status.success());
    let server = String::from_utf8_lossy(&server.stdout);
    for needle in [
        "--listen",
        "--data-dir",
        "127.0.0.1:8123",
        "./granary-data",
        "GRANARY_LOG",
    ] {
        assert!(
            server.contains(needle),
            "`granary server --help` lacks {needle}:\n{server}"
        );
    }
}

#[test]
fn version_and_usage_errors() {
    let version = run_to_end(&["--version"]);
    assert!(version.status.success());
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(version.starts_with("granary "), "{version}");

    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_str().expect("UTF-8 temp path");
    let mut bad_level = granary()
        .env("GRANARY_LOG", "chatty")
        .args(["server", "--listen", "127.0.0.1:0", "--data-dir", data_dir])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn granary");
    let status = wait_with_timeout(&mut bad_level, STARTUP_TIMEOUT);
    assert_eq!(status.code(), Some(2), "a bad GRANARY_LOG is a usage error");

    let bad_listen = run_to_end(&["server", "--listen", "nowhere"]);
    assert_eq!(bad_listen.status.code(), Some(2));
}
