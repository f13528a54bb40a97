//! The chat example in a real browser: two users in headless Chromium (each with a fresh
//! profile) connect with the official `socket.io-client`, join the same room and exchange
//! messages; each must see the other's message in the page.
//!
//! Needs `node`, Chromium (`apt-get install -y chromium`, or `CHROMIUM=/path`), and the npm
//! packages installed by `tests/install/npm.sh` (socket.io-client for the page,
//! playwright-core). When one is missing the test prints a loud
//! `SKIPPED:` line, or fails when `CI` or `SOCKETIO_REQUIRE_SERVICES=1` is set.
//!
//! Run with `cargo test -p socketio-tests --test chat_browser -- --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use socketio_tests::{Browser, repo_root, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_browser_users_in_one_room_see_each_others_messages() {
    let root = repo_root();
    let client = chat::client_js(&root.join("examples/chat"));
    let need = [(
        client,
        "socket.io-client is missing: run tests/install/npm.sh",
    )];
    let Some(Browser { node, chromium }) = Browser::or_skip("chat_browser", &root, &need) else {
        return;
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
