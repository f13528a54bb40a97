//! Servers under test: the test bed (`examples/testbed`) in-process ([`start_testbed`]) or as
//! a child process ([`testbed_process`], [`testbed_bin`]), and a user's [`SocketIo`] served on
//! a loopback port ([`serve`]).
//!
//! Set `SOCKETIO_TEST_ADDR=host:port` to run the suites that use [`start_testbed`] against an
//! external server (for example the reference Node implementation) instead.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use socketio::SocketIo;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub use testbed::Options;

use crate::{Polling, STEP, loud, repo_root, within};

/// A test-bed server: in-process, or external when `SOCKETIO_TEST_ADDR` is set.
#[derive(Debug)]
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The options it runs with (for an external server: those read from its handshake).
    pub opts: Options,
    running: Option<testbed::Running>,
}

impl TestServer {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether this is an external server (`SOCKETIO_TEST_ADDR`).
    pub fn is_external(&self) -> bool {
        self.running.is_none()
    }

    /// Stop the in-process server (no-op for an external one).
    pub async fn shutdown(self) {
        if let Some(r) = self.running {
            within("test-bed shutdown", STEP, r.shutdown()).await;
        }
    }
}

fn external_addr() -> Option<SocketAddr> {
    let v = std::env::var("SOCKETIO_TEST_ADDR").ok()?;
    let v = v.trim().trim_start_matches("http://").trim_end_matches('/');
    use std::net::ToSocketAddrs;
    let addr = v
        .to_socket_addrs()
        .unwrap_or_else(|e| panic!("SOCKETIO_TEST_ADDR={v}: {e}"))
        .next()
        .unwrap_or_else(|| panic!("SOCKETIO_TEST_ADDR={v}: no address"));
    Some(addr)
}

/// Start the test bed with `opts` on `127.0.0.1:0`, or use the external server named by
/// `SOCKETIO_TEST_ADDR` (whose options are then read from its handshake; see
/// [`try_start_testbed`] for tests that need specific options).
pub async fn start_testbed(opts: Options) -> TestServer {
    if let Some(addr) = external_addr() {
        let (_, open) = Polling::open(addr, "/socket.io/").await;
        let ms = |k: &str| Duration::from_millis(open[k].as_u64().unwrap_or(0));
        let ext = Options {
            ping_interval: ms("pingInterval"),
            ping_timeout: ms("pingTimeout"),
            max_payload: open["maxPayload"].as_u64().unwrap_or(0) as usize,
            ..opts
        };
        return TestServer {
            addr,
            opts: ext,
            running: None,
        };
    }
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    let running = within("test-bed start", STEP, testbed::spawn(addr, opts.clone()))
        .await
        .unwrap_or_else(|e| panic!("cannot start the test bed: {e}"));
    TestServer {
        addr: running.addr,
        opts,
        running: Some(running),
    }
}

/// Like [`start_testbed`], but when the external server runs with other heartbeat or payload
/// settings than `opts`, print `SKIPPED: <test>: <reason>` and return `None`.
pub async fn try_start_testbed(test: &str, opts: Options) -> Option<TestServer> {
    let want = opts.clone();
    let srv = start_testbed(opts).await;
    if srv.is_external()
        && (srv.opts.ping_interval != want.ping_interval
            || srv.opts.ping_timeout != want.ping_timeout
            || srv.opts.max_payload != want.max_payload)
    {
        loud(&format!(
            "SKIPPED: {test}: needs ping {:?}/{:?} maxPayload {}, the external server has {:?}/{:?} {}",
            want.ping_interval,
            want.ping_timeout,
            want.max_payload,
            srv.opts.ping_interval,
            srv.opts.ping_timeout,
            srv.opts.max_payload
        ));
        return None;
    }
    Some(srv)
}

/// The options used by load tests: a 1000 ms / 5000 ms heartbeat.
pub fn load_options() -> Options {
    Options {
        ping_interval: Duration::from_millis(1000),
        ping_timeout: Duration::from_millis(5000),
        ..Options::default()
    }
}

/// A user's [`SocketIo`] served on `127.0.0.1:0`; the server task is aborted on drop.
#[derive(Debug)]
pub struct Served {
    /// The server handle.
    pub io: SocketIo,
    /// Where it listens.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serve `io.router()` on `127.0.0.1:0` with [`socketio::serve`] (its default deadlines;
/// connect info, so handshakes carry the peer address).
pub async fn serve(io: SocketIo) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind 127.0.0.1:0: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"));
    let app = io.router();
    let task = tokio::spawn(async move {
        let _ = socketio::serve(listener, app).await;
    });
    Served { io, addr, task }
}

/// Which build of the test-bed binary [`testbed_bin`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The profile of the running test binary (`debug` under a plain `cargo test`).
    Current,
    /// `--release` (the hostile suite measures latency and memory on it).
    Release,
}

/// The `testbed` binary, built once per test process and profile with `cargo build -p
/// example-testbed` into the target directory of the running test (Cargo's lock on that
/// directory serialises parallel test processes). For [`Profile::Release`],
/// `HOSTILE_TESTBED_BIN` names a prebuilt binary instead.
pub fn testbed_bin(profile: Profile) -> PathBuf {
    use std::sync::OnceLock;
    static CURRENT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    static RELEASE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let cell = match profile {
        Profile::Current => &CURRENT,
        Profile::Release => &RELEASE,
    };
    cell.get_or_init(|| build_testbed(profile))
        .clone()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn build_testbed(profile: Profile) -> Result<PathBuf, String> {
    if profile == Profile::Release
        && let Some(p) = std::env::var_os("HOSTILE_TESTBED_BIN")
    {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/<profile>/deps/<test> -> target/<profile> -> target
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .ok_or("no target dir")?
        .to_path_buf();
    let target_dir = profile_dir.parent().ok_or("no target dir")?.to_path_buf();
    let release = match profile {
        Profile::Release => true,
        Profile::Current => profile_dir.file_name().is_some_and(|n| n == "release"),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let started = std::time::Instant::now();
    let mut cmd = std::process::Command::new(cargo);
    cmd.current_dir(repo_root())
        .args(["build", "-q", "-p", "example-testbed", "--bin", "testbed"])
        .arg("--target-dir")
        .arg(&target_dir);
    if release {
        cmd.arg("--release");
    }
    // Cargo sets these for this test binary; a build script that reads them (ring's reads
    // CARGO_MANIFEST_DIR and CARGO_PKG_*) would see them change between this build and the
    // outer one, and ring, rustls and everything above them would be rebuilt twice per run.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if [
            "CARGO_MANIFEST_",
            "CARGO_PKG_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|p| k.starts_with(p))
            || [
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
            ]
            .contains(&k.as_ref())
        {
            cmd.env_remove(k.as_ref());
        }
    }
    let out = cmd.output().map_err(|e| format!("cargo build: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo build -p example-testbed failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    if release {
        loud(&format!(
            "release test bed ready in {:.1}s",
            started.elapsed().as_secs_f64()
        ));
    }
    let bin = target_dir
        .join(if release { "release" } else { "debug" })
        .join("testbed");
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!("{} not found", bin.display()))
    }
}

/// A child process (killed on drop) and the address it listens on.
#[derive(Debug)]
pub struct Proc {
    /// The process.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

/// Start a test-bed process in cluster mode (`MANAGER_URL`, `MANAGER_CHANNEL`) on a free
/// port, with a 25 s heartbeat so that clients busy elsewhere in a test are not timed out.
/// Returns once it printed its address.
pub async fn testbed_process(manager_url: &str, channel: &str) -> Proc {
    testbed_process_with(manager_url, channel, &[]).await
}

/// [`testbed_process`] with more environment variables (e.g. `MANAGER_CA_FILE`).
pub async fn testbed_process_with(
    manager_url: &str,
    channel: &str,
    env: &[(&str, &std::ffi::OsStr)],
) -> Proc {
    let mut child = Command::new(testbed_bin(Profile::Current))
        .envs(env.iter().copied())
        .env("PORT", "0")
        .env("HOST", "127.0.0.1")
        .env("PING_INTERVAL_MS", "25000")
        .env("PING_TIMEOUT_MS", "20000")
        .env("MANAGER_URL", manager_url)
        .env("MANAGER_CHANNEL", channel)
        .env("RUST_LOG", "socketio=info,warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn testbed: {e}"));
    let Some(stderr) = child.stderr.take() else {
        panic!("testbed stderr not piped");
    };
    let mut lines = BufReader::new(stderr).lines();
    let addr = within("testbed listening", Duration::from_secs(30), async {
        loop {
            let Ok(Some(line)) = lines.next_line().await else {
                panic!("testbed exited before listening");
            };
            if let Some(rest) = line.strip_prefix("test bed listening on http://") {
                return rest
                    .trim()
                    .parse::<SocketAddr>()
                    .unwrap_or_else(|e| panic!("testbed address {rest}: {e}"));
            }
            eprintln!("testbed: {line}");
        }
    })
    .await;
    // keep draining stderr so the child never blocks on a full pipe
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("testbed {addr}: {line}");
        }
    });
    Proc { child, addr }
}

/// `true` when `SOCKETIO_TEST_NODE_REFERENCE=1`: the external server is the reference Node
/// implementation, which deviates from our contract in a few documented places. The caller
/// then relaxes exactly that assertion; a `DEVIATION:` line is printed.
pub fn node_reference_deviation(what: &str) -> bool {
    let on = std::env::var("SOCKETIO_TEST_NODE_REFERENCE").is_ok_and(|v| v == "1")
        && external_addr().is_some();
    if on {
        loud(&format!("DEVIATION (Node reference): {what}"));
    }
    on
}
