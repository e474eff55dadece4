//! `authbox serve` as a child process, and the CLI's `--json` commands, for
//! the tests and benchmarks that drive the release binary from outside.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs `bin` with `args`, then `store` and `--json`; answers its output.
/// Panics with its stderr if it fails.
pub fn authbox_json(bin: &Path, args: &[&str], store: &[String]) -> serde_json::Value {
    let output = Command::new(bin)
        .args(args)
        .args(store)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The resident memory of process `pid` now, in bytes (Linux).
pub fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A running `authbox serve`; killed when dropped.
pub struct ServeProcess {
    pub child: Child,
    /// `http://ADDR`, as it printed.
    pub base: String,
    /// Its log lines so far.
    log: Arc<Mutex<Vec<String>>>,
}

impl ServeProcess {
    /// Runs `bin serve --listen 127.0.0.1:0` with these arguments and
    /// `store`, logging at `log_level`; answers once it listens.
    pub fn spawn(bin: &Path, args: &[&str], store: &[String], log_level: &str) -> ServeProcess {
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .args(store)
            .env("AUTHBOX_LOG", log_level)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("serve exited before listening")
                .unwrap();
            if let Some(address) = line.strip_prefix("authbox listening on ") {
                break address.trim().to_string();
            }
        };
        // Keep reading its log so that it never blocks on a full pipe.
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        ServeProcess { child, base, log }
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Sends SIGTERM and waits (10 s at most) for the exit status.
    pub fn stop(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
