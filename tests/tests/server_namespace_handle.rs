//! The namespace handle as a handler parameter (`Namespace` in event, connect and disconnect
//! handlers, `socket.namespace()`), scoped to the handler's own namespace with no path named
//! in the handler; `ns.to(room)` includes the sender where `socket.to(room)` skips it; and
//! typed sessions: several types side by side, a wrong type is `None`, read and written by
//! sid from outside a handler, readable in the disconnect handler and gone after it.
//!
//! Run with `cargo test -p socketio-tests --all-features --test server_namespace_handle`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::Duration;

use socketio::testing::{TestClient, TestError};
use socketio::{Namespace, Socket, SocketIo};
use tokio::sync::mpsc;

#[derive(Debug, Clone, PartialEq)]
struct Nick(String);

#[derive(Debug, Clone, Default, PartialEq)]
struct Score(u32);

/// The same handlers on `/a` and `/b`; none of them names a path.
fn server(seen: mpsc::UnboundedSender<String>) -> SocketIo {
    let io = SocketIo::builder().build().unwrap();
    for path in ["/a", "/b"] {
        let ns = io.of(path);
        let tx = seen.clone();
        ns.on_connect(move |socket: Socket, ns: Namespace| {
            let _ = tx.send(format!("connect {} {}", ns.path(), socket.id()));
            socket.save_session(Nick("anon".into()));
            async {}
        });
        let tx = seen.clone();
        ns.on_disconnect(move |socket: Socket, ns: Namespace| {
            // Still readable here (by the socket: its sid has left the namespace).
            let nick = socket.get_session::<Nick>().map(|n| n.0);
            let _ = tx.send(format!("disconnect {} {nick:?}", ns.path()));
            async {}
        });
        ns.on("join", async |socket: Socket, room: String| {
            socket.join(room).unwrap();
        });
        ns.on("all", async |ns: Namespace, text: String| {
            ns.emit("said", &text).unwrap();
        });
        ns.on("room_with_me", async |ns: Namespace, room: String| {
            ns.to(room).emit("said", &"with me").unwrap();
        });
        ns.on("room_without_me", async |socket: Socket, room: String| {
            socket.to(room).emit("said", &"without me").unwrap();
        });
        ns.on("skip_me", async |socket: Socket, ns: Namespace| {
            ns.skip_sid(socket.id()).emit("said", &"skip me").unwrap();
        });
        ns.on("path", async |ns: Namespace| ns.path().to_owned());
        ns.on("same", async |socket: Socket, ns: Namespace| {
            socket.namespace().path() == ns.path()
        });
        ns.on("enter", async |ns: Namespace, sid: String, room: String| {
            ns.enter_room(&sid, room).unwrap()
        });
        ns.on("exit", async |ns: Namespace, sid: String, room: String| {
            ns.leave_room(&sid, &room)
        });
        ns.on("close_room", async |ns: Namespace, room: String| {
            ns.close_room(&room);
        });
        ns.on("rooms_of", async |ns: Namespace, sid: String| {
            ns.rooms(&sid)
        });
        ns.on("kick", async |ns: Namespace, sid: String| {
            ns.disconnect(&sid)
        });
        ns.on(
            "ask",
            async |ns: Namespace, sid: String| -> Option<String> {
                ns.call(&sid, "question", &"ready?", Duration::from_secs(5))
                    .await
                    .ok()
            },
        );
        ns.on("send_all", async |ns: Namespace| ns.send(&"hi").unwrap());
        ns.on("nick", async |socket: Socket, nick: String| {
            socket.save_session(Nick(nick));
        });
        ns.on("nick_of", async |ns: Namespace, sid: String| {
            ns.get_session::<Nick>(&sid).map(|n| n.0)
        });
        ns.on("score", async |socket: Socket| {
            socket.with_session(|s: &mut Score| {
                s.0 += 1;
                s.0
            })
        });
        ns.on("whoami", async |socket: Socket| {
            (
                socket.get_session::<Nick>().map(|n| n.0),
                socket.get_session::<Score>().map(|s| s.0),
            )
        });
    }
    io
}

async fn client(io: &SocketIo, path: &str) -> TestClient {
    TestClient::builder()
        .namespace(path)
        .connect(io)
        .await
        .unwrap()
}

/// Nothing named `said` is waiting for `c` (everything it was sent has been read: an ack
/// emitted after the broadcast arrives after it).
async fn nothing_said(c: &TestClient) {
    let _: String = c.emit_with_ack("path", &()).await.unwrap();
    assert!(
        c.buffered().iter().all(|(name, _)| name != "said"),
        "{:?}",
        c.buffered()
    );
}

#[tokio::test]
async fn the_handle_is_the_handlers_own_namespace_in_every_kind_of_handler() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let io = server(tx);
    let a = client(&io, "/a").await;
    assert_eq!(
        seen.recv().await.unwrap(),
        format!("connect /a {}", a.sid())
    );
    let b = client(&io, "/b").await;
    assert_eq!(
        seen.recv().await.unwrap(),
        format!("connect /b {}", b.sid())
    );
    assert_eq!(a.emit_with_ack::<String>("path", &()).await.unwrap(), "/a");
    assert_eq!(b.emit_with_ack::<String>("path", &()).await.unwrap(), "/b");
    assert!(a.emit_with_ack::<bool>("same", &()).await.unwrap());
    a.disconnect().await.unwrap();
    assert_eq!(seen.recv().await.unwrap(), r#"disconnect /a Some("anon")"#);
}

#[tokio::test]
async fn emit_reaches_the_whole_namespace_sender_included_and_no_other() {
    let (tx, _seen) = mpsc::unbounded_channel();
    let io = server(tx);
    let a1 = client(&io, "/a").await;
    let a2 = client(&io, "/a").await;
    let b = client(&io, "/b").await;
    a1.emit("all", &"hello").await.unwrap();
    assert_eq!(a1.next_event::<String>("said").await.unwrap(), "hello");
    assert_eq!(a2.next_event::<String>("said").await.unwrap(), "hello");
    nothing_said(&b).await;
    a2.emit("send_all", &()).await.unwrap();
    assert_eq!(a1.next_event::<String>("message").await.unwrap(), "hi");
    assert_eq!(a2.next_event::<String>("message").await.unwrap(), "hi");
}

#[tokio::test]
async fn namespace_to_includes_the_sender_where_socket_to_skips_it() {
    let (tx, _seen) = mpsc::unbounded_channel();
    let io = server(tx);
    let a1 = client(&io, "/a").await;
    let a2 = client(&io, "/a").await;
    let outside = client(&io, "/a").await;
    let b = client(&io, "/b").await;
    for c in [&a1, &a2, &b] {
        c.emit_with_ack::<()>("join", &"r").await.unwrap();
    }

    a1.emit("room_with_me", &"r").await.unwrap();
    assert_eq!(a1.next_event::<String>("said").await.unwrap(), "with me");
    assert_eq!(a2.next_event::<String>("said").await.unwrap(), "with me");

    a1.emit("room_without_me", &"r").await.unwrap();
    assert_eq!(a2.next_event::<String>("said").await.unwrap(), "without me");
    nothing_said(&a1).await;

    a1.emit("skip_me", &()).await.unwrap();
    assert_eq!(a2.next_event::<String>("said").await.unwrap(), "skip me");
    assert_eq!(
        outside.next_event::<String>("said").await.unwrap(),
        "skip me"
    );
    nothing_said(&a1).await;
    // `/b`'s room `r` is another room.
    nothing_said(&b).await;
}

#[tokio::test]
async fn rooms_disconnect_and_call_of_other_sids_through_the_handle() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let io = server(tx);
    let admin = client(&io, "/a").await;
    let user = client(&io, "/a").await;
    let sid = user.sid().to_owned();
    let _ = seen.recv().await;
    let _ = seen.recv().await;

    assert!(
        admin
            .emit_with_ack::<bool>("enter", &(&sid, "vip"))
            .await
            .unwrap()
    );
    let rooms: Vec<String> = admin.emit_with_ack("rooms_of", &sid).await.unwrap();
    assert_eq!(rooms, vec![sid.clone(), "vip".to_owned()]);
    assert!(
        admin
            .emit_with_ack::<bool>("exit", &(&sid, "vip"))
            .await
            .unwrap()
    );
    admin
        .emit_with_ack::<bool>("enter", &(&sid, "vip"))
        .await
        .unwrap();
    admin
        .emit_with_ack::<()>("close_room", &"vip")
        .await
        .unwrap();
    let rooms: Vec<String> = admin.emit_with_ack("rooms_of", &sid).await.unwrap();
    assert_eq!(rooms, vec![sid.clone()]);
    let unknown: Option<Vec<String>> = admin.emit_with_ack("rooms_of", &"nobody").await.unwrap();
    assert_eq!(unknown, None);

    // `call`: the handler awaits the other client's answer.
    let asked = {
        let admin = &admin;
        let sid = sid.clone();
        async move { admin.emit_with_ack::<Option<String>>("ask", &sid).await }
    };
    let answer = async {
        let (q, responder) = user.next_event_with_ack::<String>("question").await?;
        assert_eq!(q, "ready?");
        responder.ack(&"yes").await?;
        Ok::<_, TestError>(())
    };
    let (asked, answered) = tokio::join!(asked, answer);
    answered.unwrap();
    assert_eq!(asked.unwrap().as_deref(), Some("yes"));

    assert!(admin.emit_with_ack::<bool>("kick", &sid).await.unwrap());
    user.disconnected().await.unwrap();
    assert_eq!(seen.recv().await.unwrap(), r#"disconnect /a Some("anon")"#);
}

#[tokio::test]
async fn sessions_of_several_types_live_side_by_side() {
    let (tx, _seen) = mpsc::unbounded_channel();
    let io = server(tx);
    let c = client(&io, "/a").await;
    let who: (Option<String>, Option<u32>) = c.emit_with_ack("whoami", &()).await.unwrap();
    assert_eq!(who, (Some("anon".into()), None), "no Score made up");
    assert_eq!(c.emit_with_ack::<u32>("score", &()).await.unwrap(), 1);
    assert_eq!(c.emit_with_ack::<u32>("score", &()).await.unwrap(), 2);
    c.emit_with_ack::<()>("nick", &"ann").await.unwrap();
    let who: (Option<String>, Option<u32>) = c.emit_with_ack("whoami", &()).await.unwrap();
    assert_eq!(
        who,
        (Some("ann".into()), Some(2)),
        "neither replaced the other"
    );

    let socket = io.of("/a").socket(c.sid()).unwrap();
    assert_eq!(socket.get_session::<String>(), None, "a wrong type is None");
    assert!(!socket.has_session::<String>());
    assert_eq!(socket.get_session::<Nick>(), Some(Nick("ann".into())));
    assert_eq!(socket.take_session::<Score>(), Some(Score(2)));
    assert_eq!(socket.get_session::<Score>(), None);
    assert_eq!(socket.session(|s: &mut Score| s.0), None, "f not called");
    assert_eq!(socket.get_session::<Nick>(), Some(Nick("ann".into())));
}

#[tokio::test]
async fn sessions_are_read_and_written_by_sid_from_outside_handlers() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let io = server(tx);
    let c = client(&io, "/a").await;
    let other = client(&io, "/a").await;
    let b = client(&io, "/b").await;
    let a = io.of("/a");

    assert_eq!(a.get_session::<Nick>(c.sid()), Some(Nick("anon".into())));
    assert!(a.save_session(c.sid(), Nick("bob".into())));
    let who: (Option<String>, Option<u32>) = c.emit_with_ack("whoami", &()).await.unwrap();
    assert_eq!(who.0.as_deref(), Some("bob"));
    assert_eq!(
        a.session(c.sid(), |n: &mut Nick| {
            n.0.push('!');
            n.0.len()
        }),
        Some(4)
    );
    // Another socket of the namespace reads it through its handle.
    let nick: Option<String> = other.emit_with_ack("nick_of", &c.sid()).await.unwrap();
    assert_eq!(nick.as_deref(), Some("bob!"));
    // A socket of another namespace, or an unknown sid, has none here.
    assert_eq!(a.get_session::<Nick>(b.sid()), None);
    assert!(!a.save_session(b.sid(), Nick("x".into())));
    assert_eq!(a.session("nobody", |n: &mut Nick| n.0.clone()), None);
    assert_eq!(a.get_session::<Score>(c.sid()), None, "wrong type");

    let socket = a.socket(c.sid()).unwrap();
    let sid = c.sid().to_owned();
    for _ in 0..3 {
        let _ = seen.recv().await; // the three connects
    }
    // Cleanup (rooms, session, pending acks) follows the disconnect handler: a pending ack
    // failing says it ran.
    let pending = socket.emit_with_ack("never answered", &()).unwrap();
    c.disconnect().await.unwrap();
    assert_eq!(
        seen.recv().await.unwrap(),
        r#"disconnect /a Some("bob!")"#,
        "readable in the disconnect handler"
    );
    let failed = tokio::time::timeout(Duration::from_secs(5), pending).await;
    assert!(failed.unwrap().is_err(), "the pending ack fails at cleanup");
    assert_eq!(socket.get_session::<Nick>(), None);
    assert_eq!(a.get_session::<Nick>(&sid), None);
}

#[tokio::test]
async fn touching_the_same_session_inside_its_closure_panics_instead_of_deadlocking() {
    let (tx, _seen) = mpsc::unbounded_channel();
    let io = server(tx);
    let c = client(&io, "/a").await;
    let other = client(&io, "/a").await;
    let socket = io.of("/a").socket(c.sid()).unwrap();
    let neighbour = io.of("/a").socket(other.sid()).unwrap();
    socket.save_session(Score(1));

    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        socket.session(|_: &mut Score| socket.get_session::<Nick>())
    }));
    let msg = caught.unwrap_err();
    let msg = msg
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| msg.downcast_ref::<String>().cloned())
        .unwrap();
    assert!(msg.contains("inside its own `session`"), "{msg}");

    // Another socket's session may be used inside the closure, and the first one works after.
    let n = socket.with_session(|s: &mut Score| {
        neighbour.save_session(Score(s.0 + 10));
        s.0 += 1;
        s.0
    });
    assert_eq!(n, 2);
    assert_eq!(neighbour.get_session::<Score>(), Some(Score(11)));
    assert_eq!(socket.get_session::<Score>(), Some(Score(2)));
}
