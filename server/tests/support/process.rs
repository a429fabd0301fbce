//! The real `granary` binary as a child process on a free port.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long the binary may take to start listening.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The granary server process, killed when dropped.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `granary server --listen 127.0.0.1:0` on `data_dir`; waits until it listens.
    pub fn start(data_dir: &std::path::Path) -> Server {
        Server::start_with_args(data_dir, &[])
    }

    /// Like [`Server::start`], with extra flags for `granary server`.
    pub fn start_with_args(data_dir: &std::path::Path, extra: &[&std::ffi::OsStr]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_granary"))
            .env_remove("GRANARY_LOG")
            .args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn granary server");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = std::time::Instant::now() + STARTUP_TIMEOUT;
        let mut log = Vec::new();
        while let Ok(line) =
            rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
        {
            if let Some((_, rest)) = line.split_once("listening on http://") {
                let addr = rest.split_whitespace().next().unwrap_or_default();
                let addr = addr.parse().expect("listen address in the log");
                // Keep draining the log so the server never blocks on a full pipe.
                std::thread::spawn(move || while rx.recv().is_ok() {});
                return Server { child, addr };
            }
            log.push(line);
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("granary never said where it listens:\n{}", log.join("\n"));
    }
}

impl Server {
    /// Asks for a graceful shutdown (SIGTERM) and waits up to `timeout`; the exit status,
    /// or `None` when the process is still running then (it is killed by `drop`).
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits pid_t");
        // SAFETY: `kill` has no memory-safety preconditions; `pid` is our own live child
        // (not yet waited for, so its id cannot have been reused).
        let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(rc, 0, "kill(SIGTERM) failed");
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
