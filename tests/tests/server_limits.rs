//! Limits of the Socket.IO layer (issue 8): rooms per socket and room-name length, O(1)
//! room operations, a sid always addressing its socket (locally and from the cluster),
//! namespaces per connection and namespaces created on demand, pending acks freed, and the
//! connect timeout after a rejected CONNECT. Each limit is tested at limit and limit + 1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use socketio::adapter::pubsub::{CallbackRef, Envelope, OneOrMany, Operation, PackedArgs};
use socketio::adapter::{Manager, RemoteSink};
use socketio::{CallError, ConnectError, EmitError, JoinError, ServerConfig, Socket, SocketIo};
use socketio_tests::{Frame, STEP, Served, Ws, eventually, serve, within};

/// A join handler answering `"ok"` or the error's text, and a `ping` barrier.
fn handlers(io: &SocketIo, nsp: &str) {
    let ns = io.of(nsp);
    ns.on("ping", async || ());
    ns.on("join", async |s: Socket, room: String| {
        match s.join(&room) {
            Ok(()) => "ok".to_owned(),
            Err(e) => e.to_string(),
        }
    });
}

async fn server(config: ServerConfig) -> Served {
    let io = SocketIo::builder().config(config).build().unwrap();
    handlers(&io, "/");
    serve(io).await
}

async fn ask(c: &mut Ws, packet: &str) -> String {
    c.send(packet).await;
    c.recv_text().await
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

// -- rooms -------------------------------------------------------------------------------------

#[tokio::test]
async fn rooms_per_socket_at_limit_and_one_more() {
    assert_eq!(ServerConfig::default().max_rooms_per_socket, 1024);
    let srv = server({
        let mut cfg = ServerConfig::default();
        cfg.max_rooms_per_socket = 3;
        cfg
    })
    .await;
    let mut c = Ws::open(srv.addr).await;
    let sid = c.join("/", None).await;
    for (i, room) in ["a", "b", "c"].iter().enumerate() {
        assert_eq!(
            ask(&mut c, &format!(r#"42{i}["join","{room}"]"#)).await,
            format!(r#"43{i}["ok"]"#)
        );
    }
    // At the limit: one room more is refused, the socket stays connected and in its rooms.
    assert_eq!(
        ask(&mut c, r#"429["join","d"]"#).await,
        r#"439["too many rooms (at most 3 per socket)"]"#
    );
    let s = srv.io.socket("/", &sid).unwrap();
    assert_eq!(s.rooms(), [sid.as_str(), "a", "b", "c"]);
    assert!(matches!(
        s.join("d"),
        Err(JoinError::TooManyRooms { max: 3, .. })
    ));
    // Re-joining a room it is in, or its own sid room, is fine at the limit.
    assert_eq!(s.join("a"), Ok(()));
    assert_eq!(s.join(&sid), Ok(()));
    assert!(matches!(
        srv.io.of("/").enter_room(&sid, "d"),
        Err(JoinError::TooManyRooms { .. })
    ));
    // Leaving one makes room.
    s.leave("b");
    assert_eq!(s.join("d"), Ok(()));
    assert_eq!(
        sorted(s.rooms()),
        sorted(vec![sid.clone(), "a".into(), "c".into(), "d".into()])
    );
    assert!(srv.io.of("/").room_members("b").is_empty());
    c.roundtrip("/", 50, "ping").await;
}

#[tokio::test]
async fn room_name_length_at_limit_and_one_more() {
    assert_eq!(ServerConfig::default().max_room_name_len, 256);
    let srv = server(ServerConfig::default()).await;
    let mut c = Ws::open(srv.addr).await;
    let sid = c.join("/", None).await;
    let at = "r".repeat(256);
    let over = "r".repeat(257);
    assert_eq!(
        ask(&mut c, &format!(r#"421["join","{at}"]"#)).await,
        r#"431["ok"]"#
    );
    assert_eq!(
        ask(&mut c, &format!(r#"422["join","{over}"]"#)).await,
        r#"432["room name too long (257 bytes, at most 256)"]"#
    );
    let ns = srv.io.of("/");
    assert_eq!(ns.room_members(&at), [sid.as_str()]);
    assert!(ns.room_members(&over).is_empty());
    // Bytes, not characters: 129 two-byte characters are 258 bytes.
    let wide = "é".repeat(129);
    assert!(matches!(
        ns.enter_room(&sid, wide),
        Err(JoinError::NameTooLong {
            len: 258,
            max: 256,
            ..
        })
    ));
    // Refused before publishing for a sid on another server, too.
    assert!(matches!(
        ns.enter_room("elsewhere", over),
        Err(JoinError::NameTooLong { .. })
    ));
}

/// Time `n` joins of one socket and its disconnect (leave-all).
async fn join_and_disconnect(n: usize) -> Duration {
    let srv = server({
        let mut cfg = ServerConfig::default();
        cfg.max_rooms_per_socket = n;
        cfg
    })
    .await;
    let mut c = Ws::open(srv.addr).await;
    let sid = c.join("/", None).await;
    let s = srv.io.socket("/", &sid).unwrap();
    let rooms: Vec<String> = (0..n).map(|i| format!("room-{i}")).collect();
    let start = Instant::now();
    for r in &rooms {
        s.join(r).unwrap();
    }
    for r in rooms.iter().step_by(2) {
        s.leave(r);
    }
    s.disconnect();
    let ns = srv.io.of("/");
    eventually("the rooms to be left", STEP, || {
        ns.room_members(&rooms[1]).is_empty()
    })
    .await;
    let took = start.elapsed();
    assert_eq!(s.rooms(), [sid]);
    took
}

#[tokio::test]
async fn room_operations_are_linear_in_the_number_of_rooms() {
    // Warm up, then compare 10k and 40k rooms: linear is x4, quadratic x16.
    join_and_disconnect(1_000).await;
    let small = join_and_disconnect(10_000).await;
    let large = join_and_disconnect(40_000).await;
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
    assert!(
        ratio < 10.0,
        "40k rooms took {large:?}, 10k took {small:?} (x{ratio:.1})"
    );
}

// -- a sid always addresses its socket ---------------------------------------------------------

#[tokio::test]
async fn sid_rooms_are_reserved_by_default() {
    assert!(ServerConfig::default().reserve_sid_rooms);
    let srv = server(ServerConfig::default()).await;
    let mut victim = Ws::open(srv.addr).await;
    let mut attacker = Ws::open(srv.addr).await;
    let vsid = victim.join("/", None).await;
    let asid = attacker.join("/", None).await;
    assert_eq!(
        ask(&mut attacker, &format!(r#"421["join","{vsid}"]"#)).await,
        r#"431["the room is named after another socket's sid"]"#
    );
    let ns = srv.io.of("/");
    assert_eq!(ns.enter_room(&asid, vsid.clone()), Err(JoinError::SidRoom));
    // Its own sid room is no room of its own making.
    assert_eq!(
        ask(&mut victim, &format!(r#"421["join","{vsid}"]"#)).await,
        r#"431["ok"]"#
    );
    assert_eq!(ns.rooms(&vsid).unwrap(), [vsid.as_str()]);
    ns.to(vsid.clone()).emit("secret", &1).unwrap();
    assert_eq!(
        victim.roundtrip("/", 2, "ping").await,
        [r#"42["secret",1]"#]
    );
    assert!(attacker.roundtrip("/", 2, "ping").await.is_empty());
}

#[tokio::test]
async fn an_emit_to_a_sid_reaches_it_whatever_rooms_others_joined() {
    let srv = server({
        let mut cfg = ServerConfig::default();
        cfg.reserve_sid_rooms = false;
        cfg
    })
    .await;
    let mut victim = Ws::open(srv.addr).await;
    let mut attacker = Ws::open(srv.addr).await;
    let mut other = Ws::open(srv.addr).await;
    let vsid = victim.join("/", None).await;
    let asid = attacker.join("/", None).await;
    let osid = other.join("/", None).await;
    // Node and python allow it: the attacker is then in a room named like the victim.
    assert_eq!(
        ask(&mut attacker, &format!(r#"421["join","{vsid}"]"#)).await,
        r#"431["ok"]"#
    );
    srv.io.of("/").enter_room(&osid, "r").unwrap();
    let ns = srv.io.of("/");
    assert_eq!(
        sorted(ns.room_members(&vsid)),
        sorted(vec![vsid.clone(), asid.clone()])
    );

    // The victim still gets what is sent to its sid (the room's members too, as in Node).
    ns.to(vsid.clone()).emit("a", &()).unwrap();
    // Several targets overlapping: once each.
    ns.to(vsid.clone())
        .to(asid.clone())
        .to("r")
        .emit("b", &())
        .unwrap();
    // skip_sid names a sid, never the room of that name.
    ns.to(vsid.clone())
        .skip_sid(vsid.clone())
        .emit("c", &())
        .unwrap();
    ns.to(vsid.clone())
        .skip_sid(asid.clone())
        .emit("d", &())
        .unwrap();
    // A socket's own `to(room)` skips only itself.
    srv.io
        .socket("/", &asid)
        .unwrap()
        .to(vsid.clone())
        .emit("e", &())
        .unwrap();

    assert_eq!(
        victim.roundtrip("/", 5, "ping").await,
        [r#"42["a"]"#, r#"42["b"]"#, r#"42["d"]"#, r#"42["e"]"#]
    );
    assert_eq!(
        attacker.roundtrip("/", 5, "ping").await,
        [r#"42["a"]"#, r#"42["b"]"#, r#"42["c"]"#]
    );
    assert_eq!(other.roundtrip("/", 5, "ping").await, [r#"42["b"]"#]);
}

/// A cluster manager that records what is published and hands out the sink, so a test can
/// play another server.
#[derive(Default)]
struct Probe {
    sink: Mutex<Option<Arc<dyn RemoteSink>>>,
    published: Mutex<Vec<Envelope>>,
}

const REMOTE_HOST: &str = "0123456789abcdef0123456789abcdef";

impl Manager for Probe {
    fn host_id(&self) -> &str {
        "fedcba9876543210fedcba9876543210"
    }
    fn publish(&self, env: Envelope) {
        self.published.lock().unwrap().push(env);
    }
    fn start(&self, sink: Arc<dyn RemoteSink>) {
        *self.sink.lock().unwrap() = Some(sink);
    }
}

impl Probe {
    /// Apply `operation` as if another server had published it.
    fn apply(&self, operation: Operation) {
        let sink = self.sink.lock().unwrap().clone().unwrap();
        sink.apply(Envelope {
            host_id: REMOTE_HOST.to_owned(),
            operation,
        });
    }

    fn published(&self) -> Vec<Operation> {
        self.published
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.operation.clone())
            .collect()
    }
}

async fn clustered(config: ServerConfig) -> (Served, Arc<Probe>) {
    let probe = Arc::new(Probe::default());
    let io = SocketIo::builder()
        .config(config)
        .manager(probe.clone())
        .build()
        .unwrap();
    handlers(&io, "/");
    (serve(io).await, probe)
}

fn remote_emit(event: &str, room: &str, callback: Option<u64>) -> Operation {
    Operation::Emit {
        event: event.to_owned(),
        args: PackedArgs::json("[]"),
        namespace: "/".to_owned(),
        room: Some(OneOrMany::One(room.to_owned())),
        skip_sid: None,
        callback: callback.map(|id| CallbackRef {
            sid: room.to_owned(),
            namespace: "/".to_owned(),
            id,
        }),
    }
}

#[tokio::test]
async fn a_cluster_emit_to_a_sid_reaches_it_whatever_rooms_others_joined() {
    let (srv, probe) = clustered({
        let mut cfg = ServerConfig::default();
        cfg.reserve_sid_rooms = false;
        cfg
    })
    .await;
    let mut victim = Ws::open(srv.addr).await;
    let mut attacker = Ws::open(srv.addr).await;
    let vsid = victim.join("/", None).await;
    let asid = attacker.join("/", None).await;
    // The join comes from another server this time.
    probe.apply(Operation::EnterRoom {
        sid: asid.clone(),
        namespace: "/".into(),
        room: vsid.clone(),
    });
    assert_eq!(srv.io.of("/").room_members(&vsid).len(), 2);
    probe.apply(remote_emit("x", &vsid, None));
    assert_eq!(victim.roundtrip("/", 1, "ping").await, [r#"42["x"]"#]);
    assert_eq!(attacker.roundtrip("/", 1, "ping").await, [r#"42["x"]"#]);
}

#[tokio::test]
async fn many_skipped_sids_are_each_skipped() {
    let (srv, probe) = clustered(ServerConfig::default()).await;
    let mut clients = Vec::new();
    let mut sids = Vec::new();
    for _ in 0..12 {
        let mut c = Ws::open(srv.addr).await;
        sids.push(c.join("/", None).await);
        clients.push(c);
    }
    // More sids than are compared one by one: the first ten are skipped, locally...
    let mut op = srv.io.of("/").to("r");
    for sid in &sids {
        srv.io.of("/").enter_room(sid, "r").unwrap();
    }
    for sid in &sids[..10] {
        op = op.skip_sid(sid.clone());
    }
    op.emit("local", &()).unwrap();
    // ... and from the cluster, where the list comes from the broker.
    probe.apply(Operation::Emit {
        event: "remote".into(),
        args: PackedArgs::json("[]"),
        namespace: "/".into(),
        room: None,
        skip_sid: Some(OneOrMany::Many(sids[..10].to_vec())),
        callback: None,
    });
    for (i, c) in clients.iter_mut().enumerate() {
        let got = c.roundtrip("/", 1, "ping").await;
        if i < 10 {
            assert!(got.is_empty(), "client {i}: {got:?}");
        } else {
            assert_eq!(got, [r#"42["local"]"#, r#"42["remote"]"#], "client {i}");
        }
    }
}

#[tokio::test]
async fn a_cluster_join_of_a_sid_room_is_refused_by_default() {
    let (srv, probe) = clustered(ServerConfig::default()).await;
    let mut victim = Ws::open(srv.addr).await;
    let mut attacker = Ws::open(srv.addr).await;
    let vsid = victim.join("/", None).await;
    let asid = attacker.join("/", None).await;
    probe.apply(Operation::EnterRoom {
        sid: asid.clone(),
        namespace: "/".into(),
        room: vsid.clone(),
    });
    assert_eq!(srv.io.of("/").rooms(&asid).unwrap(), [asid.as_str()]);
    probe.apply(remote_emit("x", &vsid, None));
    assert_eq!(victim.roundtrip("/", 1, "ping").await, [r#"42["x"]"#]);
    assert!(attacker.roundtrip("/", 1, "ping").await.is_empty());
}

// -- namespaces --------------------------------------------------------------------------------

#[tokio::test]
async fn namespaces_per_connection_at_limit_and_one_more() {
    assert_eq!(ServerConfig::default().max_namespaces_per_connection, 32);
    let srv = server({
        let mut cfg = ServerConfig::default();
        cfg.max_namespaces_per_connection = 3;
        cfg.accept_any_namespace = true;
        cfg
    })
    .await;
    let mut c = Ws::open(srv.addr).await;
    c.join("/", None).await;
    c.join("/a", None).await;
    c.join("/b", None).await;
    assert_eq!(
        ask(&mut c, "40/c,").await,
        r#"44/c,{"message":"Too many namespaces"}"#
    );
    // The connection and its namespaces stay.
    c.roundtrip("/", 1, "ping").await;
    assert!(srv.io.of("/c").sockets().is_empty());
    // Leaving one makes room for another.
    c.send("41/b,").await;
    c.join("/c", None).await;
    // Another connection has its own budget.
    let mut d = Ws::open(srv.addr).await;
    d.join("/a", None).await;
}

#[tokio::test]
async fn namespaces_created_on_demand_are_freed_when_empty() {
    let io = SocketIo::builder()
        .accept_any_namespace(true)
        .build()
        .unwrap();
    handlers(&io, "/");
    io.of("/registered").on("ping", async || ());
    let srv = serve(io).await;
    let base = sorted(srv.io.namespaces());
    assert_eq!(base, ["/", "/registered"]);

    let mut c = Ws::open(srv.addr).await;
    for i in 0..100 {
        c.join(&format!("/dyn{i}"), None).await;
        c.send(&format!("41/dyn{i},")).await;
    }
    let mut d = Ws::open(srv.addr).await;
    d.join("/shared", None).await;
    c.join("/shared", None).await;
    c.join("/registered", None).await;
    c.roundtrip("/registered", 1, "ping").await;
    assert_eq!(sorted(srv.io.namespaces()), ["/", "/registered", "/shared"]);
    // The last socket of `/shared` leaving frees it; a registered namespace stays.
    c.close().await;
    d.send("41/shared,").await;
    eventually("the on-demand namespaces to be freed", STEP, || {
        sorted(srv.io.namespaces()) == base
    })
    .await;
    // It can be created again.
    let mut e = Ws::open(srv.addr).await;
    e.join("/shared", None).await;
}

#[tokio::test]
async fn catch_all_namespaces_are_freed_when_empty() {
    let io = SocketIo::builder().build().unwrap();
    io.of("*").on("ping", async || "star");
    let srv = serve(io).await;
    let mut c = Ws::open(srv.addr).await;
    c.join("/x", None).await;
    assert_eq!(ask(&mut c, r#"42/x,1["ping"]"#).await, r#"43/x,1["star"]"#);
    assert_eq!(srv.io.namespaces(), ["/x"]);
    c.send("41/x,").await;
    eventually("`/x` to be freed", STEP, || srv.io.namespaces().is_empty()).await;
}

#[tokio::test]
async fn emitting_to_a_namespace_never_makes_it_joinable() {
    let (srv, probe) = clustered(ServerConfig::default()).await;
    srv.io.of("/x").emit("news", &1).unwrap();
    srv.io.of("/x").to("r").emit("news", &2).unwrap();
    assert!(!srv.io.namespaces().contains(&"/x".to_owned()));
    let mut c = Ws::open(srv.addr).await;
    assert_eq!(
        ask(&mut c, "40/x,").await,
        r#"44/x,{"message":"Invalid namespace"}"#
    );
    // Still published to the other servers.
    let published = probe.published();
    assert!(
        published.iter().any(
            |m| matches!(m, Operation::Emit { namespace, event, .. } if namespace == "/x" && event == "news")
        ),
        "{published:?}"
    );
    // Registering a handler makes it joinable, as before.
    let x = srv.io.of("/x");
    x.on("ping", async || ());
    c.join("/x", None).await;
    c.roundtrip("/x", 1, "ping").await;
}

#[tokio::test]
async fn a_namespace_handle_taken_before_a_client_connected_reaches_it() {
    let srv = server({
        let mut cfg = ServerConfig::default();
        cfg.accept_any_namespace = true;
        cfg
    })
    .await;
    let late = srv.io.of("/late");
    let mut c = Ws::open(srv.addr).await;
    c.join("/late", None).await;
    c.join("/", None).await;
    late.emit("hello", &()).unwrap();
    assert_eq!(c.recv_text().await, r#"42/late,["hello"]"#);
    assert_eq!(late.sockets().len(), 1);
}

// -- acks --------------------------------------------------------------------------------------

#[tokio::test]
async fn pending_acks_at_limit_and_one_more() {
    let srv = server({
        let mut cfg = ServerConfig::default();
        cfg.max_pending_acks = 3;
        cfg
    })
    .await;
    let mut c = Ws::open(srv.addr).await;
    let sid = c.join("/", None).await;
    let s = srv.io.socket("/", &sid).unwrap();
    let mut held: Vec<_> = (0..3).map(|_| s.emit_with_ack("q", &()).unwrap()).collect();
    assert_eq!(
        s.emit_with_ack("q", &()).unwrap_err(),
        EmitError::TooManyPendingAcks
    );
    // Dropping a future frees its slot.
    held.pop();
    let again = s.emit_with_ack("q", &()).unwrap();
    assert_eq!(
        s.emit_with_ack("q", &()).unwrap_err(),
        EmitError::TooManyPendingAcks
    );
    drop(again);
    drop(held);
    for id in 1..=4 {
        assert_eq!(c.recv_text().await, format!(r#"42{id}["q"]"#));
    }
    // Late answers to forgotten acks are ignored.
    c.send(r#"431["late"]"#).await;
    let answered = tokio::spawn({
        let s = s.clone();
        async move { s.call::<String>("q", &(), STEP).await }
    });
    assert_eq!(c.recv_text().await, r#"425["q"]"#);
    c.send(r#"435["yes"]"#).await;
    assert_eq!(
        within("the answer", STEP, answered).await.unwrap().unwrap(),
        "yes"
    );
}

#[tokio::test]
async fn timed_out_calls_free_their_ack_slots() {
    assert_eq!(ServerConfig::default().max_pending_acks, 1024);
    let srv = server(ServerConfig::default()).await;
    let mut c = Ws::open(srv.addr).await;
    let sid = c.join("/", None).await;
    let s = srv.io.socket("/", &sid).unwrap();
    for id in 1..=1025u64 {
        let r = s
            .call::<()>("unanswered", &(), Duration::from_millis(1))
            .await;
        assert_eq!(r, Err(CallError::Timeout), "call {id}");
        assert_eq!(c.recv_text().await, format!(r#"42{id}["unanswered"]"#));
    }
    let answered = tokio::spawn({
        let s = s.clone();
        async move { s.call::<String>("final", &(), STEP).await }
    });
    assert_eq!(c.recv_text().await, r#"421026["final"]"#);
    c.send(r#"431026["ok"]"#).await;
    assert_eq!(
        within("the answer", STEP, answered).await.unwrap().unwrap(),
        "ok"
    );
}

#[tokio::test]
async fn broker_acks_cannot_fill_a_sockets_ack_table() {
    let (srv, probe) = clustered({
        let mut cfg = ServerConfig::default();
        cfg.max_pending_acks = 2;
        cfg
    })
    .await;
    let mut c = Ws::open(srv.addr).await;
    let sid = c.join("/", None).await;
    // Another server asks three times: two are sent (their own budget), one is refused.
    for id in 1..=3 {
        probe.apply(remote_emit("remote", &sid, Some(id)));
    }
    // The application still has its whole budget.
    let s = srv.io.socket("/", &sid).unwrap();
    let a = s.emit_with_ack("local", &()).unwrap();
    let _b = s.emit_with_ack("local", &()).unwrap();
    assert_eq!(
        s.emit_with_ack("local", &()).unwrap_err(),
        EmitError::TooManyPendingAcks
    );
    assert_eq!(c.recv_text().await, r#"421["remote"]"#);
    assert_eq!(c.recv_text().await, r#"422["remote"]"#);
    assert_eq!(c.recv_text().await, r#"423["local"]"#);
    assert_eq!(c.recv_text().await, r#"424["local"]"#);
    // Answers go where they belong: the remote one back to its host.
    c.send(r#"431["to the broker"]"#).await;
    c.send(r#"433["to the app"]"#).await;
    let answer = within("the local answer", STEP, a).await.unwrap();
    assert_eq!(answer.decode::<String>().unwrap(), "to the app");
    eventually("the callback to be published", STEP, || {
        probe
            .published()
            .iter()
            .any(|m| matches!(m, Operation::Callback { id: 1, sid: s, .. } if *s == sid))
    })
    .await;
    // That freed a remote slot.
    probe.apply(remote_emit("remote", &sid, Some(4)));
    assert_eq!(c.recv_text().await, r#"425["remote"]"#);
}

#[tokio::test]
async fn acks_awaited_from_other_servers_are_freed() {
    let (srv, _probe) = clustered({
        let mut cfg = ServerConfig::default();
        cfg.max_pending_acks = 2;
        cfg
    })
    .await;
    let ns = srv.io.of("/");
    let a = ns.emit_with_ack_to("remote-a", "q", &()).unwrap();
    let _b = ns.emit_with_ack_to("remote-b", "q", &()).unwrap();
    assert_eq!(srv.io.remote_acks_pending(), 2);
    assert_eq!(
        ns.emit_with_ack_to("remote-c", "q", &()).unwrap_err(),
        EmitError::TooManyPendingAcks
    );
    drop(a);
    assert_eq!(srv.io.remote_acks_pending(), 1);
    let r = ns
        .call::<()>("remote-c", "q", &(), Duration::from_millis(1))
        .await;
    assert_eq!(r, Err(CallError::Timeout));
    assert_eq!(srv.io.remote_acks_pending(), 1);
}

// -- connect timeout ---------------------------------------------------------------------------

async fn guarded(timeout: Duration) -> Served {
    let io = SocketIo::builder()
        .connect_timeout(timeout)
        .build()
        .unwrap();
    handlers(&io, "/");
    io.of("/chat")
        .on_connect(async || Err::<(), _>(ConnectError::new("unauthorized")));
    serve(io).await
}

#[tokio::test]
async fn the_connect_timeout_applies_after_a_rejected_connect() {
    let srv = guarded(Duration::from_millis(300)).await;
    let mut c = Ws::open(srv.addr).await;
    assert_eq!(
        ask(&mut c, "40/chat,").await,
        r#"44/chat,{"message":"unauthorized"}"#
    );
    // The client keeps answering pings, but has no namespace: closed at the timeout.
    let started = Instant::now();
    assert_eq!(c.recv().await, Frame::Closed);
    assert!(started.elapsed() < STEP);
}

#[tokio::test]
async fn a_connect_that_an_async_handler_accepts_ends_the_timeout() {
    // The connect handler answers after an await, from its own task: the connection's
    // close deadline must be cleared from there too.
    let timeout = Duration::from_millis(200);
    let io = SocketIo::builder()
        .connect_timeout(timeout)
        .build()
        .unwrap();
    handlers(&io, "/slow");
    io.of("/slow").on_connect(async || {
        tokio::task::yield_now().await;
        Ok::<(), ConnectError>(())
    });
    let srv = serve(io).await;
    let mut c = Ws::open(srv.addr).await;
    c.join("/slow", None).await;
    let waited = tokio::time::timeout(timeout * 3, c.recv()).await;
    assert!(waited.is_err(), "unexpected {waited:?}");
    assert_eq!(ask(&mut c, "42/slow,7[\"ping\"]").await, "43/slow,7[]");
}

#[tokio::test]
async fn a_polling_connection_is_timed_like_a_websocket() {
    let timeout = Duration::from_millis(300);
    let srv = guarded(timeout).await;
    // Joins nothing: its pending poll is answered with a close packet at the timeout.
    let (idle, _) = socketio_tests::Polling::open(srv.addr, "/socket.io/").await;
    let started = Instant::now();
    assert_eq!(idle.get().await.text(), "1");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= timeout / 2 && elapsed < STEP,
        "closed after {elapsed:?}"
    );
    assert_eq!(
        idle.try_post(b"40").await.unwrap().status,
        400,
        "the session is gone"
    );

    // Joins `/`: still there after three timeouts.
    let (joined, _) = socketio_tests::Polling::open(srv.addr, "/socket.io/").await;
    joined.join("/", None).await;
    let waited = tokio::time::timeout(timeout * 3, joined.get()).await;
    assert!(
        waited.is_err(),
        "the long poll was answered: {:?}",
        waited.map(|r| r.text())
    );
    assert_eq!(joined.post_packets(&["42[\"ping\"]"]).await, 200);
}

#[tokio::test]
async fn a_connection_whose_namespaces_all_disconnected_stays() {
    let timeout = Duration::from_millis(200);
    let srv = guarded(timeout).await;
    let mut c = Ws::open(srv.addr).await;
    c.join("/", None).await;
    c.send("41").await;
    // As Node: once a namespace connected, the connection is no longer timed.
    let waited = tokio::time::timeout(timeout * 3, c.recv()).await;
    assert!(waited.is_err(), "unexpected {waited:?}");
    c.join("/", None).await;
}
