//! The official clients (npm `socket.io-client`, PyPI `python-socketio`) and the python
//! scripts of `tests/py/`, installed on first use by `tests/install/npm.sh` and
//! `tests/install/python.sh` into git-ignored folders.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::{loud, repo_root, services_required, within};

/// Where the official clients live once installed.
#[derive(Debug, Clone)]
pub struct Clients {
    /// `node` binary.
    pub node: PathBuf,
    /// `<repo>/.interop/node` (holds `node_modules/socket.io-client`).
    pub node_dir: PathBuf,
    /// `<repo>/.interop/venv/bin/python`.
    pub python: PathBuf,
}

fn which(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(bin))
            .find(|c| c.is_file())
    })
}

/// Run `tests/install/<script>` under `flock .interop/.lock` (test processes run in
/// parallel and share the install folders).
fn run_install(script: &str) -> Result<(), String> {
    let root = repo_root();
    let dir = root.join(".interop");
    std::fs::create_dir_all(&dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    let script = root.join("tests/install").join(script);
    let out = std::process::Command::new("flock")
        .arg(dir.join(".lock"))
        .arg("bash")
        .arg(&script)
        .output()
        .map_err(|e| format!("running flock {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}):\n{}{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// The python of the one test venv (`.interop/venv`), installed once per test process by
/// `tests/install/python.sh`.
fn install_python() -> Result<PathBuf, String> {
    which("python3").ok_or("python3 is not installed")?;
    run_install("python.sh")?;
    let py = repo_root().join(".interop/venv/bin/python");
    if py.exists() {
        Ok(py)
    } else {
        Err(format!("{} missing after python.sh", py.display()))
    }
}

fn install_clients() -> Result<Clients, String> {
    let node = which("node").ok_or("node is not installed")?;
    which("npm").ok_or("npm is not installed")?;
    run_install("npm.sh")?;
    let python = python_venv()?;
    Ok(Clients {
        node,
        node_dir: repo_root().join(".interop/node"),
        python,
    })
}

fn python_venv() -> Result<PathBuf, String> {
    static ONCE: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    ONCE.get_or_init(install_python).clone()
}

/// The test venv's python (installed on first use), or `None` after [`skip`] when it cannot
/// be installed.
///
/// [`skip`]: crate::skip
pub fn python(test: &str) -> Option<PathBuf> {
    match python_venv() {
        Ok(py) => Some(py),
        Err(e) => {
            crate::skip(test, &format!("python venv unavailable: {e}"));
            None
        }
    }
}

/// A script of `tests/py/`.
pub fn py_script(name: &str) -> PathBuf {
    repo_root().join("tests/py").join(name)
}

/// Install the clients once per test process (`tests/install/npm.sh` and `python.sh`, under
/// `flock .interop/.lock`). When a tool is missing or the install fails: panic if
/// [`services_required`], else print `SKIPPED: <test>: <reason>` and return `None`.
pub async fn clients(test: &str) -> Option<Clients> {
    static ONCE: std::sync::OnceLock<Result<Clients, String>> = std::sync::OnceLock::new();
    let res = tokio::task::spawn_blocking(|| ONCE.get_or_init(install_clients).clone())
        .await
        .expect("install task");
    match res {
        Ok(c) => Some(c),
        Err(e) if services_required() => panic!("interop clients unavailable: {e}"),
        Err(e) => {
            loud(&format!(
                "SKIPPED: {test}: interop clients unavailable: {e}"
            ));
            None
        }
    }
}

/// Which client library runs a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lib {
    /// socket.io-client (Node).
    Js,
    /// python-socketio `AsyncClient`.
    PyAsync,
    /// python-socketio `Client` (threads).
    PySync,
}

/// The outcome of one scenario run.
#[derive(Debug)]
pub struct Outcome {
    /// The last JSON line the script printed.
    pub report: Value,
    /// Its stderr, for messages.
    pub stderr: String,
}

/// Run `scenario` of the interop runner for `lib` against `url` over `transport`
/// (`websocket`, `polling`, `upgrade`), with `input` as its JSON input. Fails the test when
/// the script exits non-zero, prints no JSON, or runs longer than `limit`.
pub async fn run_scenario(
    c: &Clients,
    lib: Lib,
    scenario: &str,
    url: &str,
    transport: &str,
    input: &Value,
    limit: Duration,
) -> Outcome {
    let root = repo_root();
    let mut cmd = match lib {
        Lib::Js => {
            let mut cmd = tokio::process::Command::new(&c.node);
            cmd.arg(root.join("tests/js/runner.mjs"))
                .env("NODE_PATH", c.node_dir.join("node_modules"))
                .env("INTEROP_NODE_MODULES", c.node_dir.join("node_modules"));
            cmd
        }
        Lib::PyAsync | Lib::PySync => {
            let mut cmd = tokio::process::Command::new(&c.python);
            cmd.arg(root.join("tests/py/client_runner.py"));
            cmd.env(
                "INTEROP_PY_CLIENT",
                if lib == Lib::PySync { "sync" } else { "async" },
            );
            cmd
        }
    };
    cmd.arg(scenario)
        .arg(url)
        .arg(transport)
        .env("INTEROP_INPUT", input.to_string())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let what = format!("{lib:?} scenario {scenario} over {transport}");
    let out = within(&what, limit, cmd.output())
        .await
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    let report = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .unwrap_or_else(|| panic!("{what}: no JSON report:\nstdout: {stdout}\nstderr: {stderr}"));
    Outcome { report, stderr }
}
