//! Connection state recovery through the public API, with a raw websocket client: off by
//! default (no `pid`, no offsets), what a recovered socket gets back (sid, rooms, session,
//! the missed events in order, then its connect handler again), what makes a session
//! unrecoverable, and the store's limits at limit + 1 (`RecoveryConfig::max_sessions`,
//! `max_buffered_packets`; the byte limit is unit-tested in `server::recovery`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::SocketAddr;

use serde_json::{Value, json};
use socketio::{DisconnectReason, RecoveryConfig, Socket, SocketIo};
use socketio_tests::*;
use tokio::sync::mpsc;

/// A server whose `/` joins room `r` and saves session `7` for a new socket, and greets
/// with `hello [recovered, session]`; `gone` hears every disconnect.
fn server(recovery: Option<RecoveryConfig>) -> (SocketIo, mpsc::UnboundedReceiver<String>) {
    let mut b = SocketIo::builder();
    if let Some(r) = recovery {
        b = b.connection_state_recovery(r);
    }
    let io = b.build().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let ns = io.of("/");
    ns.on_connect(async |s: Socket| {
        if !s.recovered() {
            s.join("r").unwrap();
            s.save_session(7u32);
        }
        s.emit("hello", &(s.recovered(), s.get_session::<u32>()))
            .unwrap();
    });
    ns.on_disconnect(move |s: Socket, _r: DisconnectReason| {
        let tx = tx.clone();
        async move {
            tx.send(s.id().to_owned()).unwrap();
        }
    });
    (io, rx)
}

struct Client {
    ws: Ws,
    connect: Value,
    greeting: Value,
}

impl Client {
    async fn connect(addr: SocketAddr, auth: Option<&Value>) -> Client {
        let mut ws = Ws::dial(addr, "/socket.io/?EIO=4&transport=websocket")
            .await
            .unwrap();
        parse_open(&ws.recv_text().await);
        ws.send_text(&format!(
            "40{}",
            auth.map(|a| a.to_string()).unwrap_or_default()
        ))
        .await;
        let reply = ws.recv_text().await;
        let connect = json_of(reply.strip_prefix("40").expect("CONNECT reply"));
        let mut c = Client {
            ws,
            connect,
            greeting: Value::Null,
        };
        c.greeting = c.event().await;
        assert_eq!(c.greeting[0], json!("hello"), "greeting first");
        c
    }

    /// The next event, as its JSON array.
    async fn event(&mut self) -> Value {
        let t = self.ws.recv_text().await;
        json_of(
            t.strip_prefix("42")
                .unwrap_or_else(|| panic!("an event, got {t}")),
        )
    }

    fn sid(&self) -> &str {
        self.connect["sid"].as_str().unwrap()
    }

    /// The auth a socket.io-client sends to recover: its pid and the last offset it saw.
    fn recovery_auth(&self, last: &Value) -> Value {
        let offset = last.as_array().unwrap().last().unwrap().clone();
        json!({ "pid": self.connect["pid"], "offset": offset, "token": "t" })
    }
}

fn recovery(f: impl FnOnce(&mut RecoveryConfig)) -> Option<RecoveryConfig> {
    let mut r = RecoveryConfig::default();
    f(&mut r);
    Some(r)
}

#[tokio::test]
async fn off_by_default_no_pid_and_no_offsets() {
    let (io, _gone) = server(None);
    let srv = serve(io).await;
    let mut c = Client::connect(srv.addr, None).await;
    let keys: Vec<&String> = c.connect.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["sid"]);
    assert_eq!(c.greeting, json!(["hello", false, 7]));
    srv.io.of("/").emit("all", &1).unwrap();
    assert_eq!(c.event().await, json!(["all", 1]));
}

#[tokio::test]
async fn recovers_sid_rooms_session_and_the_missed_events_in_order() {
    let (io, mut gone) = server(recovery(|_| {}));
    let srv = serve(io).await;
    let ns = srv.io.of("/");
    let mut c = Client::connect(srv.addr, None).await;
    let sid = c.sid().to_owned();
    assert!(c.connect["pid"].is_string(), "{}", c.connect);
    // Offsets are the last argument, the same for every recipient of one emit.
    assert_eq!(c.greeting.as_array().unwrap().len(), 4, "{}", c.greeting);
    let mut peer = Client::connect(srv.addr, None).await;
    ns.emit("both", &0).unwrap();
    let (a, b) = (c.event().await, peer.event().await);
    assert_eq!(a, b);
    assert!(a[2].is_string(), "{a}");
    let auth = c.recovery_auth(&a);

    drop(c.ws);
    assert_eq!(next(&mut gone).await, sid);
    ns.to(sid.as_str()).emit("to-me", &1).unwrap();
    ns.to("r").emit("to-room", &2).unwrap();
    ns.to("other").emit("to-other", &3).unwrap();
    ns.emit("to-all", &4).unwrap();
    ns.skip_sid(sid.as_str()).emit("not-me", &5).unwrap();

    let mut c = Client::connect_expecting_missed(srv.addr, &auth).await;
    assert_eq!(c.connect["sid"], json!(sid));
    assert_eq!(c.connect["pid"], auth["pid"]);
    let names: Vec<Value> = c.missed.iter().map(|e| e[0].clone()).collect();
    assert_eq!(names, [json!("to-me"), json!("to-room"), json!("to-all")]);
    assert_eq!(c.missed[1][1], json!(2));
    assert_eq!(c.greeting[..3], [json!("hello"), json!(true), json!(7)]);
    assert_eq!(ns.rooms(&sid).unwrap(), [sid.clone(), "r".into()]);
    ns.to("r").emit("still", &6).unwrap();
    assert_eq!(c.client.event().await[0], json!("still"));
}

/// A client of [`Client::connect`] that expects events before its greeting.
struct Recovered {
    client: Client,
    connect: Value,
    missed: Vec<Value>,
    greeting: Vec<Value>,
}

impl Client {
    async fn connect_expecting_missed(addr: SocketAddr, auth: &Value) -> Recovered {
        let mut ws = Ws::dial(addr, "/socket.io/?EIO=4&transport=websocket")
            .await
            .unwrap();
        parse_open(&ws.recv_text().await);
        ws.send_text(&format!("40{auth}")).await;
        let reply = ws.recv_text().await;
        let connect = json_of(reply.strip_prefix("40").expect("CONNECT reply"));
        let mut client = Client {
            ws,
            connect: connect.clone(),
            greeting: Value::Null,
        };
        let mut missed = Vec::new();
        loop {
            let e = client.event().await;
            if e[0] == json!("hello") {
                client.greeting = e.clone();
                let greeting = e.as_array().unwrap().clone();
                return Recovered {
                    client,
                    connect,
                    missed,
                    greeting,
                };
            }
            missed.push(e);
        }
    }
}

#[tokio::test]
async fn a_fresh_session_for_an_unknown_pid_a_bad_offset_or_a_namespace_disconnect() {
    let (io, mut gone) = server(recovery(|_| {}));
    let srv = serve(io).await;
    let mut c = Client::connect(srv.addr, None).await;
    let sid = c.sid().to_owned();
    let auth = c.recovery_auth(&c.greeting.clone());
    // The client leaves the namespace: nothing is kept.
    c.ws.send_text("41").await;
    assert_eq!(next(&mut gone).await, sid);
    let c2 = Client::connect(srv.addr, Some(&auth)).await;
    assert_ne!(c2.sid(), sid);
    assert_eq!(c2.greeting[1], json!(false));

    let auth2 = c2.recovery_auth(&c2.greeting);
    let sid2 = c2.sid().to_owned();
    drop(c2.ws);
    assert_eq!(next(&mut gone).await, sid2);
    let unknown = json!({ "pid": "nope", "offset": auth2["offset"] });
    assert_ne!(Client::connect(srv.addr, Some(&unknown)).await.sid(), sid2);
    let future_offset = json!({ "pid": auth2["pid"], "offset": "999999" });
    assert_ne!(
        Client::connect(srv.addr, Some(&future_offset)).await.sid(),
        sid2
    );
    // A failed attempt uses the session up, as a successful one does.
    assert_ne!(Client::connect(srv.addr, Some(&auth2)).await.sid(), sid2);
}

#[tokio::test]
async fn max_sessions_plus_one_drops_the_session_that_left_first() {
    let (io, mut gone) = server(recovery(|r| r.max_sessions = 1));
    let srv = serve(io).await;
    let a = Client::connect(srv.addr, None).await;
    let b = Client::connect(srv.addr, None).await;
    let (a_sid, a_auth) = (a.sid().to_owned(), a.recovery_auth(&a.greeting));
    let (b_sid, b_auth) = (b.sid().to_owned(), b.recovery_auth(&b.greeting));
    drop(a.ws);
    assert_eq!(next(&mut gone).await, a_sid);
    drop(b.ws); // the second session: one over the limit
    assert_eq!(next(&mut gone).await, b_sid);
    let a2 = Client::connect(srv.addr, Some(&a_auth)).await;
    assert_ne!(a2.sid(), a_sid, "the oldest session was dropped");
    let b2 = Client::connect_expecting_missed(srv.addr, &b_auth).await;
    assert_eq!(b2.connect["sid"], json!(b_sid), "the limit's worth is kept");
}

#[tokio::test]
async fn max_buffered_packets_plus_one_makes_the_session_unrecoverable() {
    let (io, mut gone) = server(recovery(|r| r.max_buffered_packets = 3));
    let srv = serve(io).await;
    let ns = srv.io.of("/");
    let c = Client::connect(srv.addr, None).await;
    let sid = c.sid().to_owned();
    let auth = c.recovery_auth(&c.greeting);
    drop(c.ws);
    assert_eq!(next(&mut gone).await, sid);
    // At the limit: three missed events are all kept.
    for i in 0..3 {
        ns.emit("e", &i).unwrap();
    }
    let back = Client::connect_expecting_missed(srv.addr, &auth).await;
    assert_eq!(back.connect["sid"], json!(sid));
    assert_eq!(back.missed.len(), 3);
    let auth = back.client.recovery_auth(&back.client.greeting);
    drop(back.client.ws);
    assert_eq!(next(&mut gone).await, sid);
    // One more than the log holds: the first missed event is gone, so is the session.
    for i in 0..4 {
        ns.emit("e", &i).unwrap();
    }
    let fresh = Client::connect(srv.addr, Some(&auth)).await;
    assert_ne!(fresh.sid(), sid);
    assert_eq!(fresh.greeting[1], json!(false));
}

#[tokio::test]
async fn a_missed_binary_event_keeps_its_attachment_and_gets_its_offset() {
    let (io, mut gone) = server(recovery(|_| {}));
    let srv = serve(io).await;
    let c = Client::connect(srv.addr, None).await;
    let sid = c.sid().to_owned();
    let auth = c.recovery_auth(&c.greeting);
    drop(c.ws);
    assert_eq!(next(&mut gone).await, sid);
    srv.io
        .of("/")
        .emit("bin", &bytes::Bytes::from_static(b"\x01\x02"))
        .unwrap();
    let mut ws = Ws::dial(srv.addr, "/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    parse_open(&ws.recv_text().await);
    ws.send_text(&format!("40{auth}")).await;
    let reply = ws.recv_text().await;
    assert_eq!(
        json_of(reply.strip_prefix("40").unwrap())["sid"],
        json!(sid)
    );
    let text = ws.recv_text().await;
    let (head, args) = text.split_once('[').unwrap();
    assert_eq!(head, "451-", "{text}");
    let args = json_of(&format!("[{args}"));
    assert_eq!(args[0], json!("bin"));
    assert_eq!(args[1], json!({"_placeholder": true, "num": 0}));
    assert!(args[2].is_string(), "offset last: {text}");
    assert_eq!(ws.recv_binary().await, [1, 2]);
    let greeting = ws.recv_text().await;
    assert!(greeting.starts_with(r#"42["hello",true,7,"#), "{greeting}");
}
