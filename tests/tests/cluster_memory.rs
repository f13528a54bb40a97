//! Cluster semantics without a broker: three in-process test beds joined by an in-memory
//! [`Manager`] that passes every message through python-socketio's wire codec. Runs
//! everywhere; the same scenarios run over Redis and RabbitMQ in `cluster_redis.rs` and
//! `cluster_amqp.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use socketio::adapter::pubsub::{self, Envelope};
use socketio::adapter::{Manager, RemoteSink};
use socketio::{EmitError, SocketIo};
use socketio_tests::*;
use tokio::sync::mpsc;

/// Every member's sink; a message goes to each member `is_for` allows.
#[derive(Default)]
struct Bus {
    members: Mutex<Vec<(String, Arc<dyn RemoteSink>)>>,
}

struct BusManager {
    host_id: String,
    tx: mpsc::UnboundedSender<Vec<u8>>,
    bus: Arc<Bus>,
}

impl BusManager {
    fn join(bus: &Arc<Bus>) -> Arc<BusManager> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let bus2 = bus.clone();
        // One task per publisher: messages of one publisher are applied in order.
        tokio::spawn(async move {
            while let Some(bytes) = rx.recv().await {
                let env = pubsub::decode(&bytes).expect("our own messages decode");
                let members = bus2.members.lock().unwrap().clone();
                for (host, sink) in members {
                    if env.is_for(&host) {
                        sink.apply(env.clone());
                    }
                }
            }
        });
        Arc::new(BusManager {
            host_id: pubsub::new_host_id(),
            tx,
            bus: bus.clone(),
        })
    }
}

impl Manager for BusManager {
    fn host_id(&self) -> &str {
        &self.host_id
    }
    fn publish(&self, env: Envelope) {
        let _ = self.tx.send(pubsub::encode(&env));
    }
    fn start(&self, sink: Arc<dyn RemoteSink>) {
        self.bus
            .members
            .lock()
            .unwrap()
            .push((self.host_id.clone(), sink));
    }
}

async fn three_servers() -> (Vec<testbed::Running>, Vec<Peer>) {
    let bus = Arc::new(Bus::default());
    let opts = testbed::Options {
        ping_interval: Duration::from_secs(25),
        ping_timeout: Duration::from_secs(20),
        ..testbed::Options::default()
    };
    let mut servers = Vec::new();
    for _ in 0..3 {
        let m = BusManager::join(&bus);
        let s = testbed::spawn_with("127.0.0.1:0".parse().unwrap(), opts.clone(), Some(m))
            .await
            .unwrap();
        servers.push(s);
    }
    let mut peers = Vec::new();
    for (i, s) in servers.iter().enumerate() {
        peers.push(Peer::connect(s.addr, &format!("client{i}")).await);
    }
    (servers, peers)
}

#[tokio::test]
async fn memory_cluster_broadcast_reaches_every_client_once() {
    let (_servers, mut peers) = three_servers().await;
    for from in 0..3 {
        broadcast_exactly_once(&mut peers, from).await;
    }
    binary_broadcast(&mut peers, 2).await;
}

#[tokio::test]
async fn memory_cluster_to_room_skips_sender_and_outsiders() {
    let (_servers, mut peers) = three_servers().await;
    to_room_with_skip(&mut peers, 0).await;
}

#[tokio::test]
async fn memory_cluster_call_sid_and_disconnect_sid_on_another_server() {
    let (servers, mut peers) = three_servers().await;
    call_sid_remote(&mut peers, 0, 1).await;
    call_sid_remote(&mut peers, 1, 1).await; // local sid
    assert_eq!(servers[0].io.remote_acks_pending(), 0);
    disconnect_sid_remote(&mut peers, 0, 2).await;
    // the other clients are unaffected
    broadcast_exactly_once(&mut peers[..2], 1).await;
}

/// A manager that publishes nowhere: remote acks are never answered.
struct Void;
impl Manager for Void {
    fn host_id(&self) -> &str {
        "void"
    }
    fn publish(&self, _env: Envelope) {}
    fn start(&self, _sink: Arc<dyn RemoteSink>) {}
}

#[tokio::test]
async fn remote_ack_table_limit_and_cleanup_on_drop() {
    let io = SocketIo::builder()
        .max_pending_acks(2)
        .manager(Arc::new(Void))
        .build()
        .unwrap();
    let ns = io.of("/");
    let a = ns.emit_with_ack_to("remote-1", "ask", &1).unwrap();
    let b = ns.emit_with_ack_to("remote-2", "ask", &2).unwrap();
    assert_eq!(io.remote_acks_pending(), 2);
    // limit + 1
    assert_eq!(
        ns.emit_with_ack_to("remote-3", "ask", &3).unwrap_err(),
        EmitError::TooManyPendingAcks
    );
    drop(a);
    assert_eq!(io.remote_acks_pending(), 1);
    // a call that times out forgets its ack
    let r: Result<u32, _> = ns
        .call("remote-4", "ask", &4, Duration::from_millis(10))
        .await;
    assert_eq!(r.unwrap_err(), socketio::CallError::Timeout);
    assert_eq!(io.remote_acks_pending(), 1);
    drop(b);
    assert_eq!(io.remote_acks_pending(), 0);
    // without a manager, an unknown sid is an error at once
    let alone = SocketIo::builder().build().unwrap();
    assert_eq!(
        alone
            .of("/")
            .emit_with_ack_to("nobody", "ask", &1)
            .unwrap_err(),
        EmitError::Disconnected
    );
}

/// The next msgpack packet a raw msgpack client reads (answering pings), within `DELIVERY`.
async fn next_msgpack(sio: &mut socketio_tests::Sio) -> socketio::proto::sio::Packet {
    use socketio_tests::Frame;
    let deadline = tokio::time::Instant::now() + DELIVERY;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match sio.ws.next_within(left).await {
            Some(Frame::Text(t)) if t == "2" => sio.ws.send_text("3").await,
            Some(Frame::Binary(b)) => {
                return socketio::proto::msgpack::Decoder::new(10)
                    .feed_binary(b.into())
                    .expect("the msgpack server sends msgpack packets")
                    .expect("one frame, one packet");
            }
            other => panic!("msgpack client: {other:?}"),
        }
    }
}

/// A server with the JSON parser and one with the msgpack parser in one cluster: the cluster
/// message stays python's JSON whatever the parser, so a broadcast with bytes from either
/// side reaches the clients of the other in their own encoding (attachments on one side,
/// msgpack `bin` on the other).
#[tokio::test]
async fn memory_cluster_mixes_json_and_msgpack_servers() {
    use socketio::proto::msgpack;
    use socketio::proto::sio::PacketKind;
    use socketio::proto::value::Value;

    let bus = Arc::new(Bus::default());
    let json_opts = testbed::Options {
        ping_interval: Duration::from_secs(25),
        ping_timeout: Duration::from_secs(20),
        ..testbed::Options::default()
    };
    let msgpack_opts = testbed::Options {
        msgpack: true,
        ..json_opts.clone()
    };
    let addr = "127.0.0.1:0".parse().unwrap();
    let a = testbed::spawn_with(addr, json_opts, Some(BusManager::join(&bus)))
        .await
        .unwrap();
    let b = testbed::spawn_with(addr, msgpack_opts, Some(BusManager::join(&bus)))
        .await
        .unwrap();
    let mut peers = vec![Peer::connect(a.addr, "json").await];

    let mut mp = socketio_tests::Sio::open(b.addr).await;
    mp.ws.send_binary(b"\x82\xa4type\x00\xa3nsp\xa1/").await;
    let p = next_msgpack(&mut mp).await;
    assert!(
        matches!(p.kind, PacketKind::Connect { auth: Some(_) }),
        "{p:?}"
    );
    let p = next_msgpack(&mut mp).await;
    assert!(
        matches!(p.kind, PacketKind::Event { ref name, .. } if name == "auth"),
        "{p:?}"
    );

    // JSON client (attachments) -> msgpack client (`bin`).
    binary_broadcast(&mut peers, 0).await;
    let PacketKind::Event { name, args, .. } = next_msgpack(&mut mp).await.kind else {
        panic!("not an event")
    };
    assert_eq!(name, "bin");
    let v: Value = args.get(0).unwrap();
    assert_eq!(
        v.get("b").and_then(Value::as_bytes).unwrap(),
        &[1u8, 2, 3, 255][..]
    );

    // msgpack client (`bin`) -> JSON client (an attachment).
    let t = "from-the-msgpack-side".to_owned();
    let data = serde_json::json!({"event": "from-msgpack", "data": t});
    let data = Value::from(data);
    let mut map = data.as_object().unwrap().clone();
    map.insert(
        "data".into(),
        Value::Array(vec![
            Value::from(t.as_str()),
            Value::Bytes(bytes::Bytes::from_static(b"\x07")),
        ]),
    );
    let frame = msgpack::encode_event("/", "broadcast", Some(1), &Value::Object(map)).unwrap();
    mp.ws.send_binary(&frame).await;
    let p = peers[0]
        .expect("broadcast from the msgpack side", DELIVERY, |p| {
            p.event("from-msgpack").is_some()
        })
        .await;
    assert!(p.text.starts_with("451-"), "{}", p.text);
    assert_eq!(p.bins, vec![vec![7u8]]);
    // The msgpack sender gets its own broadcast and the ack, in msgpack.
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(next_msgpack(&mut mp).await.kind);
    }
    assert!(
        got.iter()
            .any(|k| matches!(k, PacketKind::Ack { id: 1, .. })),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|k| matches!(k, PacketKind::Event { name, .. } if name == "from-msgpack")),
        "{got:?}"
    );
}

/// Connection state recovery is per server: a client that comes back to the server it left
/// gets the events published by another server meanwhile (applied, hence logged, there); a
/// client that comes back to another server gets a fresh session.
#[tokio::test]
async fn memory_cluster_recovery_on_the_same_server_replays_remote_emits() {
    let bus = Arc::new(Bus::default());
    let opts = testbed::Options {
        ping_interval: Duration::from_secs(25),
        ping_timeout: Duration::from_secs(20),
        recovery: Some(Duration::from_secs(60)),
        ..testbed::Options::default()
    };
    let mut servers = Vec::new();
    for _ in 0..2 {
        let m = BusManager::join(&bus);
        let s = testbed::spawn_with("127.0.0.1:0".parse().unwrap(), opts.clone(), Some(m))
            .await
            .unwrap();
        servers.push(s);
    }
    let (a, b) = (&servers[0], &servers[1]);
    // Connect to `/`, join room `r`; returns the socket, its CONNECT payload and the offset
    // of its greeting.
    async fn client(
        addr: std::net::SocketAddr,
        auth: &str,
    ) -> (Ws, serde_json::Value, Vec<serde_json::Value>) {
        let mut ws = Ws::dial(addr, "/socket.io/?EIO=4&transport=websocket")
            .await
            .unwrap();
        parse_open(&ws.recv_text().await);
        ws.send_text(&format!("40{auth}")).await;
        let connect = json_of(ws.recv_text().await.strip_prefix("40").unwrap());
        let mut events = Vec::new();
        loop {
            let t = ws.recv_text().await;
            let e = json_of(t.strip_prefix("42").unwrap());
            let greeting = e[0] == "auth";
            events.push(e);
            if greeting {
                return (ws, connect, events);
            }
        }
    }
    let (mut ws, connect, greet) = client(a.addr, "").await;
    let sid = connect["sid"].as_str().unwrap().to_owned();
    ws.send_text(r#"421["join",{"room":"r"}]"#).await;
    assert_eq!(ws.recv_text().await, "431[true]");
    let (mut watcher, _, _) = client(a.addr, "").await;
    watcher.send_text(r#"421["join",{"room":"r"}]"#).await;
    assert_eq!(watcher.recv_text().await, "431[true]");
    let auth = serde_json::json!({ "pid": connect["pid"], "offset": greet[0][2] }).to_string();
    drop(ws);
    eventually("server A sees the socket gone", STEP, || {
        a.io.of("/").socket(&sid).is_none()
    })
    .await;
    b.io.of("/").to("r").emit("from-b", &1).unwrap();
    // Once A's other member of `r` has it, A has logged it.
    let seen = watcher.recv_text().await;
    assert!(seen.starts_with(r#"42["from-b",1,""#), "{seen}");
    // B never had the session: a fresh one there, and A still keeps it.
    let (_ws2, other, _) = client(b.addr, &auth).await;
    assert_ne!(
        other["sid"],
        serde_json::json!(sid),
        "another server: fresh"
    );
    let (_ws, back, events) = client(a.addr, &auth).await;
    assert_eq!(
        back["sid"],
        serde_json::json!(sid),
        "same server: recovered"
    );
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0][0], "from-b");
    assert_eq!(events[0][1], 1);
}
