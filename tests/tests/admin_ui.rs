//! The official Socket.IO Admin UI (`@socket.io/admin-ui` 0.5.x, its `ui/dist` served on a
//! port of its own, so the UI is cross-origin as at admin.socket.io) in headless Chromium
//! against the test bed started with `ADMIN_AUTH=user:pw`: the UI logs in, lists the
//! connected test clients and their room, and a disconnect clicked in the UI disconnects
//! that client, as the client sees it (a DISCONNECT packet), while the other stays connected.
//! The screenshot is kept at `target/admin-ui.png`.
//!
//! Needs `node`, Chromium (`apt-get install -y chromium`, or `CHROMIUM=/path`) and the npm
//! packages of `tests/install/npm.sh` (playwright-core, @socket.io/admin-ui). When one is
//! missing the test prints a loud `SKIPPED:` line, or fails when `CI` or
//! `SOCKETIO_REQUIRE_SERVICES=1` is set.
//!
//! Run with `cargo test -p socketio-tests --test admin_ui -- --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use socketio::SocketIo;
use socketio::router::{RouterOptions, StaticFiles};
use socketio_tests::{Browser, Frame, Sio, load_options, repo_root, within};
use tokio::sync::oneshot;

fn ui_dist(root: &Path) -> PathBuf {
    root.join("tests/browser/node_modules/@socket.io/admin-ui/ui/dist")
}

/// A test client on `/` that joined `room`: answers the heartbeat in the background and
/// reports the first DISCONNECT of `/` (or the end of the connection) on the returned channel.
async fn client_in_room(addr: SocketAddr, room: &str) -> (String, oneshot::Receiver<String>) {
    let mut s = Sio::open(addr).await;
    let sid = s.join("").await;
    s.ws.send_text(&format!("421[\"join\",{{\"room\":\"{room}\"}}]"))
        .await;
    assert_eq!(s.ws.recv_text().await, "431[true]", "join ack");
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let seen = loop {
            match s.ws.next_within(Duration::from_secs(300)).await {
                Some(Frame::Text(t)) if t == "2" => s.ws.send_text("3").await,
                Some(Frame::Text(t)) if t.starts_with("41") => break t,
                Some(Frame::Closed) | None => break "connection closed".to_owned(),
                Some(_) => {}
            }
        };
        let _ = tx.send(seen);
        // Keep the Engine.IO connection (and its heartbeat) going after the namespace left.
        while let Some(f) = s.ws.next_within(Duration::from_secs(300)).await {
            match f {
                Frame::Text(t) if t == "2" => s.ws.send_text("3").await,
                Frame::Closed => break,
                _ => {}
            }
        }
    });
    (sid, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_ui_lists_our_sockets_and_disconnects_one() {
    let root = repo_root();
    let need = [(
        ui_dist(&root).join("index.html"),
        "@socket.io/admin-ui is missing: run tests/install/npm.sh",
    )];
    let Some(Browser { node, chromium }) = Browser::or_skip("admin_ui", &root, &need) else {
        return;
    };
    let opts = testbed::Options {
        admin_auth: Some("user:pw".into()),
        ..load_options()
    };
    let bed = testbed::spawn("127.0.0.1:0".parse().unwrap(), opts)
        .await
        .expect("test bed starts");

    // The UI's files, on a port of their own.
    let files = SocketIo::builder().build().unwrap();
    let ui_router = files.router_with(
        RouterOptions::default().static_files(StaticFiles::new().dir("/", ui_dist(&root))),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ui_addr = listener.local_addr().unwrap();
    let ui_server = tokio::spawn(async move { axum::serve(listener, ui_router).await });

    let (alice, alice_gone) = client_in_room(bed.addr, "lobby").await;
    let (bob, mut bob_gone) = client_in_room(bed.addr, "lobby").await;

    let screenshot = root.join("target/admin-ui.png");
    let spec = serde_json::json!({
        "username": "user",
        "password": "pw",
        "sockets": [alice, bob],
        "room": "lobby",
        "disconnect": alice,
    });
    let driver = tokio::process::Command::new(node)
        .arg(root.join("tests/browser/admin_ui.mjs"))
        .arg(format!("http://{ui_addr}/"))
        .arg(format!("http://{}", bed.addr))
        .arg(&chromium)
        .arg(&screenshot)
        .arg(spec.to_string())
        .kill_on_drop(true)
        .output();
    let output = within("the browser driver", Duration::from_secs(120), driver)
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

    // The click reached alice as a DISCONNECT of `/`; bob is still there.
    let seen = within("alice's DISCONNECT", Duration::from_secs(10), alice_gone)
        .await
        .expect("alice's client task");
    assert_eq!(seen, "41", "alice saw {seen:?}");
    assert!(bob_gone.try_recv().is_err(), "bob was disconnected too");
    assert!(bed.io.of("/").socket(&bob).is_some(), "bob is connected");
    assert!(bed.io.of("/").socket(&alice).is_none(), "alice is gone");
    assert!(
        screenshot.is_file(),
        "no screenshot at {}",
        screenshot.display()
    );

    bed.shutdown().await;
    files.shutdown().await;
    ui_server.abort();
}
