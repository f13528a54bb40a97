//! Disconnection: the handler's reason for every cause, rooms still readable while it runs,
//! rooms, session and pending acks gone afterwards; server-side disconnect of one namespace and
//! of the whole connection.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::Duration;

use socketio::{AckFuture, CallError, DisconnectReason, ServerConfig, Socket, SocketIo};
use socketio_tests::{Frame, STEP, Served, Ws, next, serve, within};
use tokio::sync::mpsc;

#[derive(Debug)]
struct Gone {
    ns: String,
    sid: String,
    reason: DisconnectReason,
    rooms: Vec<String>,
}

struct Fixture {
    srv: Served,
    sockets: mpsc::UnboundedReceiver<Socket>,
    gone: mpsc::UnboundedReceiver<Gone>,
}

async fn fixture(config: ServerConfig) -> Fixture {
    let io = SocketIo::builder().config(config).build().unwrap();
    let (s_tx, sockets) = mpsc::unbounded_channel();
    let (g_tx, gone) = mpsc::unbounded_channel();
    for nsp in ["/", "/chat"] {
        let s_tx = s_tx.clone();
        let g_tx = g_tx.clone();
        let ns = io.of(nsp);
        ns.on_connect(move |s: Socket| {
            let s_tx = s_tx.clone();
            async move {
                s.join("r1").unwrap();
                s.save_session(String::from("session"));
                s_tx.send(s).unwrap();
            }
        });
        ns.on_disconnect(move |s: Socket, reason: DisconnectReason| {
            let g_tx = g_tx.clone();
            async move {
                let gone = Gone {
                    ns: s.ns().to_owned(),
                    sid: s.id().to_owned(),
                    reason,
                    rooms: s.rooms(),
                };
                g_tx.send(gone).unwrap();
            }
        });
        ns.on("ping", async || ());
    }
    Fixture {
        srv: serve(io).await,
        sockets,
        gone,
    }
}

impl Fixture {
    /// Join `nsp` and leave an ack pending on the new socket.
    async fn join(&mut self, c: &mut Ws, nsp: &str) -> (Socket, AckFuture) {
        let sid = c.join(nsp, None).await;
        let socket = next(&mut self.sockets).await;
        assert_eq!(socket.id(), sid);
        let ack = socket.emit_with_ack("ask", &()).unwrap();
        assert_eq!(
            c.recv_text().await,
            format!(r#"42{}1["ask"]"#, socketio_tests::nsp_prefix(nsp))
        );
        (socket, ack)
    }

    /// The disconnect handler ran with `reason` while the rooms were populated; afterwards
    /// the socket's rooms, session and pending ack are gone.
    async fn assert_gone(&mut self, socket: &Socket, ack: AckFuture, reason: DisconnectReason) {
        let gone = next(&mut self.gone).await;
        assert_eq!(gone.ns, socket.ns());
        assert_eq!(gone.sid, socket.id());
        assert_eq!(gone.reason, reason);
        assert_eq!(
            gone.rooms,
            [socket.id(), "r1"],
            "rooms readable in the disconnect handler"
        );
        // The pending ack resolves once the socket is cleaned up.
        let r = within("the pending ack to resolve", STEP, ack).await;
        assert_eq!(r.unwrap_err(), CallError::Disconnected);
        let io = &self.srv.io;
        assert!(io.socket(socket.ns(), socket.id()).is_none());
        assert!(io.of(socket.ns()).rooms(socket.id()).is_none());
        assert!(
            !io.of(socket.ns())
                .room_members("r1")
                .contains(&socket.id().to_owned())
        );
        assert_eq!(
            socket.rooms(),
            [socket.id()],
            "only its own sid room is reported"
        );
        assert_eq!(socket.get_session::<String>(), None, "session dropped");
        assert!(!socket.connected());
    }
}

#[tokio::test]
async fn reason_client_namespace_disconnect() {
    let mut fx = fixture(ServerConfig::default()).await;
    let mut c = Ws::open(fx.srv.addr).await;
    let (socket, ack) = fx.join(&mut c, "/").await;
    c.send("41").await;
    fx.assert_gone(&socket, ack, DisconnectReason::ClientNamespaceDisconnect)
        .await;
    assert_eq!(
        DisconnectReason::ClientNamespaceDisconnect.to_string(),
        "client namespace disconnect"
    );
    assert_eq!(
        DisconnectReason::ClientNamespaceDisconnect.python_str(),
        "client disconnect"
    );
}

#[tokio::test]
async fn reason_server_namespace_disconnect() {
    let mut fx = fixture(ServerConfig::default()).await;
    let mut c = Ws::open(fx.srv.addr).await;
    let (socket, ack) = fx.join(&mut c, "/").await;
    assert!(fx.srv.io.of("/").disconnect(socket.id()));
    assert_eq!(
        c.recv_text().await,
        "41",
        "the client is told with a DISCONNECT packet"
    );
    fx.assert_gone(&socket, ack, DisconnectReason::ServerNamespaceDisconnect)
        .await;
    assert!(
        !fx.srv.io.of("/").disconnect(socket.id()),
        "unknown sid afterwards"
    );
}

#[tokio::test]
async fn reason_transport_close() {
    let mut fx = fixture(ServerConfig::default()).await;
    let mut c = Ws::open(fx.srv.addr).await;
    let (socket, ack) = fx.join(&mut c, "/").await;
    c.close().await;
    fx.assert_gone(&socket, ack, DisconnectReason::TransportClose)
        .await;
}

#[tokio::test]
async fn reason_engine_close_packet_is_transport_close() {
    let mut fx = fixture(ServerConfig::default()).await;
    let mut c = Ws::open(fx.srv.addr).await;
    let (socket, ack) = fx.join(&mut c, "/").await;
    c.send("1").await;
    fx.assert_gone(&socket, ack, DisconnectReason::TransportClose)
        .await;
}

#[tokio::test]
async fn reason_ping_timeout() {
    let mut config = ServerConfig::default();
    config.engine.ping_interval = Duration::from_millis(50);
    config.engine.ping_timeout = Duration::from_millis(50);
    let mut fx = fixture(config).await;
    let mut c = Ws::open(fx.srv.addr).await;
    c.auto_pong = false;
    let (socket, ack) = fx.join(&mut c, "/").await;
    fx.assert_gone(&socket, ack, DisconnectReason::PingTimeout)
        .await;
}

#[tokio::test]
async fn reason_parse_error() {
    let mut fx = fixture(ServerConfig::default()).await;
    let mut c = Ws::open(fx.srv.addr).await;
    let (socket, ack) = fx.join(&mut c, "/").await;
    // Engine.IO message `9`: not a Socket.IO packet type.
    c.send("49").await;
    fx.assert_gone(&socket, ack, DisconnectReason::ParseError)
        .await;
    c.until_closed().await;
}

#[tokio::test]
async fn reason_server_shutting_down() {
    let mut fx = fixture(ServerConfig::default()).await;
    let mut c = Ws::open(fx.srv.addr).await;
    let (socket, ack) = fx.join(&mut c, "/").await;
    within("shutdown", STEP, fx.srv.io.shutdown()).await;
    fx.assert_gone(&socket, ack, DisconnectReason::ServerShuttingDown)
        .await;
    c.until_closed().await;
}

#[tokio::test]
async fn server_disconnect_of_one_namespace_keeps_the_others() {
    let mut fx = fixture(ServerConfig::default()).await;
    let mut c = Ws::open(fx.srv.addr).await;
    let (_root, _root_ack) = fx.join(&mut c, "/").await;
    let (chat, chat_ack) = fx.join(&mut c, "/chat").await;
    chat.disconnect();
    assert_eq!(c.recv_text().await, "41/chat,");
    fx.assert_gone(&chat, chat_ack, DisconnectReason::ServerNamespaceDisconnect)
        .await;
    // `/` is untouched: still answers, and its disconnect handler did not run.
    assert!(c.roundtrip("/", 7, "ping").await.is_empty());
    assert!(
        fx.gone.try_recv().is_err(),
        "no other namespace was disconnected"
    );
    assert_eq!(fx.srv.io.of("/").sockets().len(), 1);
}

#[tokio::test]
async fn close_connection_disconnects_every_namespace() {
    let mut fx = fixture(ServerConfig::default()).await;
    let mut c = Ws::open(fx.srv.addr).await;
    let (root, root_ack) = fx.join(&mut c, "/").await;
    let (_chat, _chat_ack) = fx.join(&mut c, "/chat").await;
    root.close_connection();
    let mut reasons = vec![next(&mut fx.gone).await, next(&mut fx.gone).await];
    reasons.sort_by(|a, b| a.ns.cmp(&b.ns));
    assert_eq!(reasons[0].ns, "/");
    assert_eq!(reasons[1].ns, "/chat");
    assert!(
        reasons
            .iter()
            .all(|g| g.reason == DisconnectReason::ForcedClose),
        "{reasons:?}"
    );
    assert_eq!(
        within("ack", STEP, root_ack).await.unwrap_err(),
        CallError::Disconnected
    );
    loop {
        if c.recv().await == Frame::Closed {
            break;
        }
    }
    assert!(fx.srv.io.of("/").sockets().is_empty());
    assert!(fx.srv.io.of("/chat").sockets().is_empty());
}
