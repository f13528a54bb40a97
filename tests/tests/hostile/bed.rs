//! The release test bed as a child process: built once per run, started on a free port per
//! case, its RSS sampled from `/proc/<pid>/status`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The release test-bed binary (`HOSTILE_TESTBED_BIN` if set, else built once per test
/// process by the harness).
pub fn testbed_bin() -> PathBuf {
    socketio_tests::testbed_bin(socketio_tests::Profile::Release)
}

/// A test bed running as a child process.
#[derive(Debug)]
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id.
    pub pid: u32,
    child: Child,
    stderr: Arc<Mutex<Vec<u8>>>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

impl Server {
    /// Start the test bed with the load-test heartbeat (`PING_INTERVAL_MS=1000`,
    /// `PING_TIMEOUT_MS=5000`) and otherwise its defaults; returns once it accepts TCP.
    pub fn start() -> Server {
        let bin = testbed_bin();
        for _attempt in 0..5 {
            let port = free_port();
            let mut child = Command::new(&bin)
                .env("HOST", "127.0.0.1")
                .env("PORT", port.to_string())
                .env("PING_INTERVAL_MS", "1000")
                .env("PING_TIMEOUT_MS", "5000")
                .env_remove("MAX_PAYLOAD")
                .env_remove("MANAGER_URL")
                .env_remove("RUST_LOG")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
            let stderr = Arc::new(Mutex::new(Vec::new()));
            if let Some(mut pipe) = child.stderr.take() {
                let sink = stderr.clone();
                std::thread::spawn(move || {
                    use std::io::Read;
                    let mut buf = [0u8; 8192];
                    while let Ok(n) = pipe.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
                        s.extend_from_slice(&buf[..n]);
                        if s.len() > 256 * 1024 {
                            let cut = s.len() - 128 * 1024;
                            s.drain(..cut);
                        }
                    }
                });
            }
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            // Bounded poll on an observable condition: the port accepts, or the child exited.
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    let pid = child.id();
                    return Server {
                        addr,
                        pid,
                        child,
                        stderr,
                    };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // port taken between free_port and bind: try another
                }
                assert!(
                    Instant::now() < deadline,
                    "the test bed did not listen on {addr} within 10 s"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("the test bed failed to start 5 times");
    }

    /// `None` while running, else how it ended.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(None) => None,
            Ok(Some(st)) => Some(format!("{st}")),
            Err(e) => Some(format!("wait failed: {e}")),
        }
    }

    /// The tail of its stderr.
    pub fn stderr_tail(&self, max: usize) -> String {
        let s = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        let from = s.len().saturating_sub(max);
        String::from_utf8_lossy(&s[from..]).into_owned()
    }

    /// Its current resident set size in bytes.
    pub fn rss(&self) -> Option<u64> {
        rss_of(self.pid)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// VmRSS of `pid`, in bytes.
pub fn rss_of(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Samples a process's RSS every 20 ms on its own thread, keeping the peak.
#[derive(Debug)]
pub struct RssSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    /// Start sampling `pid`.
    pub fn start(pid: u32) -> RssSampler {
        let peak = Arc::new(AtomicU64::new(rss_of(pid).unwrap_or(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some(r) = rss_of(pid) {
                    p.fetch_max(r, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        RssSampler {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    /// Stop and return the peak.
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}
