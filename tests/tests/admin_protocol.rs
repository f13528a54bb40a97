//! The Admin UI protocol (`@socket.io/admin-ui` 0.5.x) as the UI sees it on the wire, against
//! the test bed with `ADMIN_AUTH=user:pw` and a raw websocket client on `/admin`: login refused
//! and accepted, `config`, `all_sockets` with the socket shape, the live reports
//! (`socket_connected`, `room_joined`, `event_received`, `event_sent`, `room_left`,
//! `socket_disconnected`), `server_stats`, the actions, and read-only mode.
//! The browser test is `admin_ui.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use socketio::admin::{AdminOptions, Auth};
use socketio_tests::{Frame, Sio, Ws, load_options, within};

const WAIT: Duration = Duration::from_secs(8);

async fn bed() -> testbed::Running {
    let opts = testbed::Options {
        admin_auth: Some("user:pw".into()),
        ..load_options()
    };
    testbed::spawn("127.0.0.1:0".parse().unwrap(), opts)
        .await
        .expect("test bed starts")
}

/// Open a websocket and CONNECT to `/admin` with `auth`; returns the first reply.
async fn admin_connect(addr: SocketAddr, auth: &Value) -> (Ws, String) {
    let mut ws = Ws::dial(addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    let _open = ws.text().await;
    ws.send_text(&format!("40/admin,{auth}")).await;
    let reply = ws.recv_text().await;
    (ws, reply)
}

/// The next `/admin` event named `name` (others are skipped), as its argument array.
async fn admin_event(ws: &mut Ws, name: &str) -> Vec<Value> {
    let prefix = "42/admin,";
    within(&format!("admin event {name}"), WAIT, async {
        loop {
            match ws.recv().await {
                Frame::Text(t) => {
                    let Some(json) = t.strip_prefix(prefix) else {
                        continue;
                    };
                    let v: Vec<Value> = serde_json::from_str(json).unwrap();
                    if v[0] == name {
                        return v[1..].to_vec();
                    }
                }
                Frame::Closed => panic!("admin connection closed while waiting for {name}"),
                _ => {}
            }
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_refused_as_the_ui_expects() {
    let bed = bed().await;
    for auth in [
        json!({"username": "user", "password": "nope"}),
        json!({"username": "other", "password": "pw"}),
        json!({"sessionId": "abc"}),
    ] {
        let (_ws, reply) = admin_connect(bed.addr, &auth).await;
        assert_eq!(
            reply, r#"44/admin,{"message":"invalid credentials"}"#,
            "{auth}"
        );
    }
    bed.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logged_in_admin_sees_sockets_rooms_events_and_can_act() {
    let bed = bed().await;
    // A client already there before the admin logs in, in a room.
    let mut early = Sio::connect(bed.addr).await;
    early.ws.send_text(r#"421["join",{"room":"lobby"}]"#).await;
    assert_eq!(early.ws.recv_text().await, "431[true]");
    let early_sid = bed.io.of("/").sockets()[0].id().to_owned();

    let (mut admin, reply) =
        admin_connect(bed.addr, &json!({"username": "user", "password": "pw"})).await;
    assert!(reply.starts_with("40/admin,{\"sid\":"), "{reply}");

    let config = admin_event(&mut admin, "config").await;
    let features: Vec<&str> = config[0]["supportedFeatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for f in [
        "AGGREGATED_EVENTS",
        "ALL_EVENTS",
        "EMIT",
        "JOIN",
        "LEAVE",
        "DISCONNECT",
    ] {
        assert!(features.contains(&f), "{features:?}");
    }

    let all = admin_event(&mut admin, "all_sockets").await;
    let sockets = all[0].as_array().unwrap();
    let early_view = sockets
        .iter()
        .find(|s| s["id"] == early_sid.as_str())
        .unwrap_or_else(|| panic!("{early_sid} in {sockets:?}"));
    assert_eq!(early_view["nsp"], "/");
    assert_eq!(early_view["transport"], "websocket");
    assert!(early_view["clientId"].is_string());
    let rooms = early_view["rooms"].as_array().unwrap();
    assert!(rooms.contains(&json!("lobby")), "{rooms:?}");
    let hs = &early_view["handshake"];
    assert_eq!(hs["address"], "127.0.0.1");
    assert_eq!(hs["query"]["EIO"], "4");
    assert_eq!(hs["query"]["transport"], "websocket");
    assert!(hs["headers"]["host"].is_string(), "{hs}");
    assert!(hs["url"].as_str().unwrap().starts_with("/socket.io/?"));
    assert!(hs["issued"].as_u64().unwrap() > 1_600_000_000_000);
    assert!(hs["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(hs["auth"], json!({}));
    // The admin's own socket connects after `all_sockets`: reported with its password
    // redacted.
    let own = admin_event(&mut admin, "socket_connected").await;
    assert_eq!(own[0]["nsp"], "/admin");
    assert_eq!(own[0]["handshake"]["auth"], json!({}));

    // Live reports.
    let mut late = Sio::connect(bed.addr).await;
    let connected = admin_event(&mut admin, "socket_connected").await;
    let late_sid = connected[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(connected[0]["nsp"], "/");
    assert!(connected[1].as_str().unwrap().ends_with('Z'));

    late.ws.send_text(r#"421["join",{"room":"lobby"}]"#).await;
    assert_eq!(late.ws.recv_text().await, "431[true]");
    let joined = admin_event(&mut admin, "room_joined").await;
    assert_eq!(joined[..3], [json!("/"), json!("lobby"), json!(late_sid)]);

    late.ws.send_text(r#"422["echo","hi",7]"#).await;
    assert_eq!(late.ws.recv_text().await, r#"432["hi",7]"#);
    let received = admin_event(&mut admin, "event_received").await;
    assert_eq!(
        received[..3],
        [json!("/"), json!(late_sid), json!(["echo", "hi", 7])]
    );

    late.ws.send_text(r#"42["message","yo"]"#).await;
    assert_eq!(late.ws.recv_text().await, r#"42["message-back","yo"]"#);
    let sent = admin_event(&mut admin, "event_sent").await;
    assert_eq!(
        sent[..3],
        [json!("/"), json!(late_sid), json!(["message-back", "yo"])]
    );

    // Actions: the admin makes `late` leave the room, then disconnects `early`.
    admin
        .send_text(&format!(r#"42/admin,["leave","/","lobby","{late_sid}"]"#))
        .await;
    let left = admin_event(&mut admin, "room_left").await;
    assert_eq!(left[..3], [json!("/"), json!("lobby"), json!(late_sid)]);
    assert_eq!(
        bed.io.of("/").room_members("lobby"),
        vec![early_sid.clone()]
    );

    admin
        .send_text(&format!(
            r#"42/admin,["_disconnect","/",false,"{early_sid}"]"#
        ))
        .await;
    let gone = admin_event(&mut admin, "socket_disconnected").await;
    assert_eq!(
        gone[..3],
        [
            json!("/"),
            json!(early_sid),
            json!("server namespace disconnect")
        ]
    );
    assert_eq!(early.ws.recv_text().await, "41");
    late.assert_alive("late stays").await;

    // Stats: clients, sockets per namespace, the connection counters.
    let stats = &admin_event(&mut admin, "server_stats").await[0];
    assert!(stats["serverId"].is_string() && stats["hostname"].is_string());
    assert_eq!(stats["pid"], std::process::id());
    assert!(stats["uptime"].as_f64().unwrap() > 0.0);
    // late (on `/`), early (its connection is still open) and the admin.
    assert!(stats["clientsCount"].as_u64().unwrap() >= 2, "{stats}");
    assert_eq!(stats["pollingClientsCount"], 0);
    let ns = stats["namespaces"].as_array().unwrap();
    assert!(
        ns.contains(&json!({"name": "/", "socketsCount": 1})),
        "{ns:?}"
    );
    assert!(
        ns.contains(&json!({"name": "/admin", "socketsCount": 1})),
        "{ns:?}"
    );
    // The counters: early's disconnection is counted after it was reported, so in a
    // `server_stats` that follows `socket_disconnected` (this one or a later one).
    let counted = |stats: &Value| {
        stats["aggregatedEvents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "disconnection" && e["subType"] == "/" && e["count"] == 1)
    };
    if !counted(stats) {
        let next = &admin_event(&mut admin, "server_stats").await[0];
        assert!(counted(next), "{stats}\n{next}");
    }
    bed.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_the_actions() {
    let io = socketio::SocketIo::builder().build().unwrap();
    io.of("/")
        .on("join", |s: socketio::Socket, room: String| async move {
            s.join(room).is_ok()
        });
    socketio::admin::instrument(
        &io,
        AdminOptions::new(Auth::basic("user", "pw")).read_only(true),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = io.router();
    let server = tokio::spawn(async move { socketio::serve(listener, router).await });

    let mut ws = Ws::dial(addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    let _open = ws.text().await;
    ws.send_text("40").await;
    assert!(ws.recv_text().await.starts_with("40{"));
    let sid = io.of("/").sockets()[0].id().to_owned();

    let (mut admin, reply) =
        admin_connect(addr, &json!({"username": "user", "password": "pw"})).await;
    assert!(reply.starts_with("40/admin,"), "{reply}");
    let config = admin_event(&mut admin, "config").await;
    assert_eq!(
        config[0]["supportedFeatures"],
        json!(["AGGREGATED_EVENTS", "ALL_EVENTS"])
    );
    admin
        .send_text(&format!(r#"42/admin,["_disconnect","/",false,"{sid}"]"#))
        .await;
    admin
        .send_text(&format!(r#"42/admin,["join","/","vip","{sid}"]"#))
        .await;
    // A CONNECT on the same connection is answered after both events were handled (in
    // order; without handlers they are dropped at once): both were refused.
    admin.send_text("40").await;
    within("the admin's CONNECT to /", WAIT, async {
        while !admin.recv_text().await.starts_with("40{") {}
    })
    .await;
    let s = io.of("/").socket(&sid).expect("still connected");
    assert!(!s.rooms().contains(&"vip".to_owned()), "{:?}", s.rooms());
    io.shutdown().await;
    server.abort();
}
