//! Rooms (own sid room, join/leave, the namespace-level room API) and sessions (per socket, per
//! namespace, gone after disconnect).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use serde::{Deserialize, Serialize};
use socketio::{Socket, SocketIo};
use socketio_tests::{STEP, Served, Ws, serve, within};

async fn server() -> Served {
    let io = SocketIo::builder().build().unwrap();
    for nsp in ["/", "/chat"] {
        let ns = io.of(nsp);
        ns.on("ping", async || ());
        ns.on("join", async |s: Socket, room: String| {
            s.join(room).unwrap();
            s.rooms()
        });
        ns.on("leave", async |s: Socket, room: String| {
            s.leave(&room);
            s.rooms()
        });
        ns.on("save", async |s: Socket, user: User| s.save_session(user));
        ns.on("load", async |s: Socket| s.get_session::<User>());
        ns.on("count", async |s: Socket| {
            s.with_session(|n: &mut u32| {
                *n += 1;
                *n
            })
        });
    }
    serve(io).await
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
}

async fn ask(c: &mut Ws, packet: &str) -> String {
    c.send(packet).await;
    c.recv_text().await
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn every_socket_is_in_its_own_sid_room() {
    let srv = server().await;
    let mut c = Ws::open(srv.addr).await;
    let sid = c.join("/", None).await;
    let ns = srv.io.of("/");
    assert_eq!(ns.rooms(&sid).unwrap(), vec![sid.clone()]);
    assert_eq!(ns.room_members(&sid), vec![sid.clone()]);
    assert_eq!(srv.io.socket("/", &sid).unwrap().rooms(), vec![sid.clone()]);
    assert!(ns.rooms("unknown").is_none());
    assert!(ns.room_members("unknown").is_empty());
}

#[tokio::test]
async fn join_and_leave_from_handlers() {
    let srv = server().await;
    let mut c = Ws::open(srv.addr).await;
    let sid = c.join("/", None).await;
    let ns = srv.io.of("/");
    assert_eq!(
        ask(&mut c, r#"421["join","a"]"#).await,
        format!(r#"431[["{sid}","a"]]"#)
    );
    assert_eq!(
        ask(&mut c, r#"422["join","b"]"#).await,
        format!(r#"432[["{sid}","a","b"]]"#)
    );
    // Joining twice changes nothing.
    assert_eq!(
        ask(&mut c, r#"423["join","a"]"#).await,
        format!(r#"433[["{sid}","a","b"]]"#)
    );
    assert_eq!(ns.room_members("a"), vec![sid.clone()]);
    assert_eq!(
        ask(&mut c, r#"424["leave","a"]"#).await,
        format!(r#"434[["{sid}","b"]]"#)
    );
    assert!(ns.room_members("a").is_empty());
    assert_eq!(ns.rooms(&sid).unwrap(), [sid.clone(), "b".to_owned()]);
    // Leaving a room one is not in is harmless.
    assert_eq!(
        ask(&mut c, r#"425["leave","zzz"]"#).await,
        format!(r#"435[["{sid}","b"]]"#)
    );
    // Rooms are per namespace.
    let chat_sid = c.join("/chat", None).await;
    assert!(srv.io.of("/chat").room_members("b").is_empty());
    assert_eq!(srv.io.of("/chat").rooms(&chat_sid).unwrap(), [chat_sid]);
}

#[tokio::test]
async fn namespace_room_api() {
    let srv = server().await;
    let mut a = Ws::open(srv.addr).await;
    let mut b = Ws::open(srv.addr).await;
    let sa = a.join("/", None).await;
    let sb = b.join("/", None).await;
    let ns = srv.io.of("/");
    assert!(ns.enter_room(&sa, "r").unwrap());
    assert!(ns.enter_room(&sb, "r").unwrap());
    assert!(!ns.enter_room("no-such-sid", "r").unwrap());
    assert_eq!(
        sorted(ns.room_members("r")),
        sorted(vec![sa.clone(), sb.clone()])
    );
    assert_eq!(ns.rooms(&sa).unwrap(), [sa.clone(), "r".to_owned()]);

    assert!(ns.leave_room(&sa, "r"));
    assert!(!ns.leave_room("no-such-sid", "r"));
    assert_eq!(ns.room_members("r"), vec![sb.clone()]);
    assert_eq!(ns.rooms(&sa).unwrap(), vec![sa.clone()]);

    ns.enter_room(&sa, "r").unwrap();
    ns.enter_room(&sa, "other").unwrap();
    ns.close_room("r");
    assert!(ns.room_members("r").is_empty());
    assert_eq!(ns.rooms(&sa).unwrap(), [sa.clone(), "other".to_owned()]);
    assert_eq!(ns.rooms(&sb).unwrap(), vec![sb.clone()]);
    // An emit to the closed room reaches nobody; the other room still works.
    ns.to("r").emit("gone", &()).unwrap();
    ns.to("other").emit("still", &()).unwrap();
    assert_eq!(a.roundtrip("/", 1, "ping").await, [r#"42["still"]"#]);
    assert!(b.roundtrip("/", 1, "ping").await.is_empty());
    // A socket can re-join a closed room.
    assert!(ns.enter_room(&sb, "r").unwrap());
    assert_eq!(ns.room_members("r"), vec![sb.clone()]);
}

#[tokio::test]
async fn sessions_per_socket_and_namespace() {
    let srv = server().await;
    let mut c = Ws::open(srv.addr).await;
    let mut other = Ws::open(srv.addr).await;
    let sid = c.join("/", None).await;
    c.join("/chat", None).await;
    other.join("/", None).await;

    assert_eq!(
        ask(&mut c, r#"421["load"]"#).await,
        "431[null]",
        "no session yet"
    );
    assert_eq!(ask(&mut c, r#"422["save",{"name":"ann"}]"#).await, "432[]");
    assert_eq!(
        ask(&mut c, r#"423["load"]"#).await,
        r#"433[{"name":"ann"}]"#
    );
    assert_eq!(
        ask(&mut c, r#"42/chat,4["load"]"#).await,
        "43/chat,4[null]",
        "per namespace"
    );
    assert_eq!(
        ask(&mut other, r#"425["load"]"#).await,
        "435[null]",
        "per socket"
    );

    // Server side, outside handlers.
    let socket = srv.io.socket("/", &sid).unwrap();
    assert_eq!(
        socket.get_session::<User>(),
        Some(User { name: "ann".into() })
    );
    assert_eq!(
        socket.get_session::<String>(),
        None,
        "another type is not there"
    );
    socket.save_session(User { name: "bob".into() });
    assert_eq!(
        ask(&mut c, r#"426["load"]"#).await,
        r#"436[{"name":"bob"}]"#
    );

    // with_session: created with Default, then updated in place.
    assert_eq!(ask(&mut c, r#"42/chat,7["count"]"#).await, "43/chat,7[1]");
    assert_eq!(ask(&mut c, r#"42/chat,8["count"]"#).await, "43/chat,8[2]");
    assert_eq!(ask(&mut c, r#"42/chat,9["load"]"#).await, "43/chat,9[null]");

    // Gone after disconnect (the pending ack resolves once the socket is cleaned up), and a
    // new connection starts empty.
    let ack = socket.emit_with_ack("x", &()).unwrap();
    assert_eq!(c.recv_text().await, r#"421["x"]"#);
    c.send("41").await;
    assert!(within("pending ack cleanup", STEP, ack).await.is_err());
    assert_eq!(socket.get_session::<User>(), None);
    let sid2 = c.join("/", None).await;
    assert_ne!(sid2, sid);
    assert_eq!(ask(&mut c, r#"4210["load"]"#).await, "4310[null]");
}
