//! The chat example in a real browser: two users in headless Chromium (each with a fresh
//! profile) connect with the official `socket.io-client`, join the same room and exchange
//! messages; each must see the other's message in the page.
//!
//! Needs `node`, Chromium (`apt-get install -y chromium`, or `CHROMIUM=/path`), and the npm
//! packages installed by `examples/chat/install.sh` (socket.io-client) and
//! `tests/browser/install.sh` (playwright-core). When one is missing the test prints a loud
//! `SKIPPED:` line, or fails when `CI` or `SOCKETIO_REQUIRE_SERVICES=1` is set.
//!
//! Run with `cargo test -p socketio-tests --test chat_browser -- --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use socketio_tests::{loud, repo_root, within};

fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
        || std::env::var("SOCKETIO_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

fn on_path(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(bin))
        .find(|p| p.is_file())
}

/// Everything the browser test needs, or what is missing.
fn tools(root: &Path) -> Result<(PathBuf, PathBuf), Vec<String>> {
    let mut missing = Vec::new();
    let node = on_path("node");
    if node.is_none() {
        missing.push("`node` is not on PATH".to_owned());
    }
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.is_file() {
        missing.push(format!(
            "{} is missing: `apt-get install -y chromium`",
            chromium.display()
        ));
    }
    if !chat::client_js(&root.join("examples/chat")).is_file() {
        missing.push("socket.io-client is missing: run examples/chat/install.sh".to_owned());
    }
    if !root
        .join("tests/browser/node_modules/playwright-core")
        .is_dir()
    {
        missing.push("playwright-core is missing: run tests/browser/install.sh".to_owned());
    }
    match node {
        Some(node) if missing.is_empty() => Ok((node, chromium)),
        _ => Err(missing),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_browser_users_in_one_room_see_each_others_messages() {
    let root = repo_root();
    let (node, chromium) = match tools(&root) {
        Ok(found) => found,
        Err(missing) => {
            let what = missing.join("; ");
            if required() {
                panic!("chat browser test cannot run: {what}");
            }
            loud(&format!("SKIPPED: chat_browser: {what}"));
            return;
        }
    };
    let (io, app) = chat::app(&root.join("examples/chat")).expect("chat server builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let output = within(
        "the browser driver",
        Duration::from_secs(120),
        tokio::process::Command::new(node)
            .arg(root.join("tests/browser/chat.mjs"))
            .arg(format!("http://{addr}/"))
            .arg(&chromium)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "browser driver failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("alice sees:") && stdout.contains("bob sees:"),
        "{stdout}"
    );
    io.shutdown().await;
    server.abort();
}
