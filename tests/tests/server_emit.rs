//! Emitting: to a namespace, a sid, a room, several rooms, with `skip_sid`; payload shapes;
//! `send`; emits from outside handlers; one serialization per broadcast.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use serde::{Serialize, Serializer};
use socketio::{Socket, SocketIo};
use socketio_tests::{STEP, Served, Ws, json_of, serve, within};

struct Three {
    srv: Served,
    clients: Vec<Ws>,
    sids: Vec<String>,
}

async fn three() -> Three {
    let io = SocketIo::builder().build().unwrap();
    io.of("/").on("ping", async || ());
    // Socket-side operators, driven by events.
    io.of("/")
        .on("to_room_but_me", async |s: Socket, room: String| {
            s.to(room).emit("room-news", &"from a peer").unwrap();
        });
    io.of("/").on("broadcast_but_me", async |s: Socket| {
        s.broadcast().emit("news", &1).unwrap();
    });
    io.of("/").on("send_me", async |s: Socket| {
        s.send(&"just you").unwrap();
    });
    let srv = serve(io).await;
    let mut clients = Vec::new();
    let mut sids = Vec::new();
    for _ in 0..3 {
        let mut c = Ws::open(srv.addr).await;
        sids.push(c.join("/", None).await);
        clients.push(c);
    }
    Three { srv, clients, sids }
}

impl Three {
    /// What each client received since the last call (ack barrier per client).
    async fn received(&mut self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        for c in &mut self.clients {
            out.push(c.roundtrip("/", 99, "ping").await);
        }
        out
    }
}

fn frames(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn emit_to_namespace_sid_room_and_rooms() {
    let mut t = three().await;
    let ns = t.srv.io.of("/");
    let (a, b, c) = (t.sids[0].clone(), t.sids[1].clone(), t.sids[2].clone());

    ns.emit("all", &1).unwrap();
    let all = frames(&[r#"42["all",1]"#]);
    assert_eq!(t.received().await, [all.clone(), all.clone(), all]);

    ns.to(b.clone()).emit("one", &"x").unwrap();
    assert_eq!(
        t.received().await,
        [vec![], frames(&[r#"42["one","x"]"#]), vec![]]
    );

    assert!(ns.enter_room(&a, "r1").unwrap());
    assert!(ns.enter_room(&b, "r1").unwrap());
    assert!(ns.enter_room(&b, "r2").unwrap());
    assert!(ns.enter_room(&c, "r2").unwrap());
    ns.to("r1").emit("room", &()).unwrap();
    let got = frames(&[r#"42["room"]"#]);
    assert_eq!(t.received().await, [got.clone(), got, vec![]]);

    // Several rooms: every member once, even b who is in both.
    ns.to("r1").to("r2").emit("rooms", &2).unwrap();
    let got = frames(&[r#"42["rooms",2]"#]);
    assert_eq!(t.received().await, [got.clone(), got.clone(), got.clone()]);
    ns.to("r2")
        .to_rooms(["r1", "nobody"])
        .emit("rooms", &2)
        .unwrap();
    assert_eq!(t.received().await, [got.clone(), got.clone(), got]);

    // A room and a sid together.
    ns.to("r1").to(c.clone()).emit("mixed", &()).unwrap();
    let got = frames(&[r#"42["mixed"]"#]);
    assert_eq!(t.received().await, [got.clone(), got.clone(), got]);
}

#[tokio::test]
async fn emit_with_skip_sid() {
    let mut t = three().await;
    let ns = t.srv.io.of("/");
    let (a, b, c) = (t.sids[0].clone(), t.sids[1].clone(), t.sids[2].clone());

    ns.skip_sid(a.clone()).emit("x", &()).unwrap();
    let got = frames(&[r#"42["x"]"#]);
    assert_eq!(t.received().await, [vec![], got.clone(), got]);

    ns.skip_sid(a.clone())
        .skip_sid(c.clone())
        .emit("y", &())
        .unwrap();
    assert_eq!(
        t.received().await,
        [vec![], frames(&[r#"42["y"]"#]), vec![]]
    );

    ns.enter_room(&a, "r").unwrap();
    ns.enter_room(&b, "r").unwrap();
    ns.to("r").skip_sid(b.clone()).emit("z", &()).unwrap();
    assert_eq!(
        t.received().await,
        [frames(&[r#"42["z"]"#]), vec![], vec![]]
    );
}

#[tokio::test]
async fn socket_side_operators_exclude_the_sender() {
    let mut t = three().await;
    let ns = t.srv.io.of("/");
    for sid in &t.sids {
        ns.enter_room(sid, "r").unwrap();
    }
    t.clients[0].send(r#"421["to_room_but_me","r"]"#).await;
    assert_eq!(t.clients[0].recv_text().await, "431[]");
    let got = frames(&[r#"42["room-news","from a peer"]"#]);
    assert_eq!(t.received().await, [vec![], got.clone(), got]);

    t.clients[1].send(r#"421["broadcast_but_me"]"#).await;
    assert_eq!(t.clients[1].recv_text().await, "431[]");
    let got = frames(&[r#"42["news",1]"#]);
    assert_eq!(t.received().await, [got.clone(), vec![], got]);

    t.clients[2].send(r#"421["send_me"]"#).await;
    assert_eq!(
        t.clients[2].recv_text().await,
        r#"42["message","just you"]"#
    );
    assert_eq!(t.clients[2].recv_text().await, "431[]");
}

#[derive(Serialize)]
struct Msg {
    text: String,
    n: u32,
    tags: Vec<&'static str>,
    nested: Option<Box<Msg>>,
}

#[derive(Serialize)]
struct File {
    name: &'static str,
    data: Bytes,
    parts: Vec<Bytes>,
}

#[tokio::test]
async fn payload_shapes() {
    let mut t = three().await;
    let ns = t.srv.io.of("/");
    let a = t.sids[0].clone();
    let to_a = || ns.to(a.clone());

    let msg = Msg {
        text: "hi \"there\"".into(),
        n: 7,
        tags: vec!["a", "b"],
        nested: Some(Box::new(Msg {
            text: "in".into(),
            n: 0,
            tags: vec![],
            nested: None,
        })),
    };
    to_a().emit("struct", &msg).unwrap();
    to_a().emit("tuple", &("a", 2, true, ())).unwrap();
    to_a().emit("none", &()).unwrap();
    to_a().emit("vec", &vec![1, 2]).unwrap();
    to_a()
        .emit("json", &serde_json::json!({"k": [null, 1.5]}))
        .unwrap();
    to_a().send(&"via send").unwrap();
    let c = &mut t.clients[0];
    assert_eq!(
        c.recv_text().await,
        r#"42["struct",{"text":"hi \"there\"","n":7,"tags":["a","b"],"nested":{"text":"in","n":0,"tags":[],"nested":null}}]"#
    );
    assert_eq!(c.recv_text().await, r#"42["tuple","a",2,true,null]"#);
    assert_eq!(c.recv_text().await, r#"42["none"]"#);
    assert_eq!(
        c.recv_text().await,
        r#"42["vec",[1,2]]"#,
        "a Vec is one argument"
    );
    assert_eq!(c.recv_text().await, r#"42["json",{"k":[null,1.5]}]"#);
    assert_eq!(c.recv_text().await, r#"42["message","via send"]"#);

    // Bytes at the top level: one attachment.
    to_a()
        .emit("bin", &Bytes::from_static(b"\x00\x01\xff"))
        .unwrap();
    let head = c.recv_text().await;
    let rest = head
        .strip_prefix("451-")
        .unwrap_or_else(|| panic!("binary event: {head}"));
    assert_eq!(
        json_of(rest),
        serde_json::json!(["bin", {"_placeholder": true, "num": 0}])
    );
    assert_eq!(c.recv_binary().await, b"\x00\x01\xff");

    // Bytes nested in a struct and a list, beside a tuple's other arguments.
    let file = File {
        name: "f.bin",
        data: Bytes::from_static(b"one"),
        parts: vec![Bytes::from_static(b"two"), Bytes::from_static(b"three")],
    };
    to_a().emit("file", &(1, &file)).unwrap();
    let head = c.recv_text().await;
    let rest = head
        .strip_prefix("453-")
        .unwrap_or_else(|| panic!("binary event: {head}"));
    assert_eq!(
        json_of(rest),
        serde_json::json!(["file", 1, {
            "name": "f.bin",
            "data": {"_placeholder": true, "num": 0},
            "parts": [{"_placeholder": true, "num": 1}, {"_placeholder": true, "num": 2}]
        }])
    );
    assert_eq!(c.recv_binary().await, b"one");
    assert_eq!(c.recv_binary().await, b"two");
    assert_eq!(c.recv_binary().await, b"three");

    // A broadcast with attachments reaches everyone whole.
    ns.emit("all-bin", &Bytes::from_static(b"xyz")).unwrap();
    for c in &mut t.clients {
        assert!(c.recv_text().await.starts_with("451-[\"all-bin\""));
        assert_eq!(c.recv_binary().await, b"xyz");
    }
}

#[tokio::test]
async fn emit_from_a_spawned_task() {
    let mut t = three().await;
    let io = t.srv.io.clone();
    let sid = t.sids[2].clone();
    within(
        "the spawned emitter",
        STEP,
        tokio::spawn(async move {
            io.emit("from-task", &"everyone").unwrap();
            io.to(sid.clone()).emit("from-task", &"only c").unwrap();
            io.socket("/", &sid).unwrap().emit("direct", &()).unwrap();
        }),
    )
    .await
    .unwrap();
    let every = r#"42["from-task","everyone"]"#;
    assert_eq!(
        t.received().await,
        [
            frames(&[every]),
            frames(&[every]),
            frames(&[every, r#"42["from-task","only c"]"#, r#"42["direct"]"#])
        ]
    );
}

/// Counts how often it is serialized into a packet. The count is taken after the serializer
/// accepted the map: the encoder first probes the value's shape (tuple = several arguments)
/// with a serializer that gives up at the first call, and that probe is not an encoding.
struct Counted(Arc<AtomicUsize>);

impl Serialize for Counted {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut m = s.serialize_map(Some(1))?;
        self.0.fetch_add(1, Ordering::SeqCst);
        m.serialize_entry("v", "counted")?;
        m.end()
    }
}

/// The shared-allocation part (every recipient's frame pointing at one `Bytes`) is not
/// reachable through the public API: the frames sit in the engine's private queue. What is
/// observable is that the payload is serialized once for all recipients.
#[tokio::test]
async fn broadcast_is_serialized_once() {
    let mut t = three().await;
    let count = Arc::new(AtomicUsize::new(0));
    t.srv.io.of("/").emit("c", &Counted(count.clone())).unwrap();
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "one serialization for three recipients"
    );
    let got = frames(&[r#"42["c",{"v":"counted"}]"#]);
    assert_eq!(t.received().await, [got.clone(), got.clone(), got]);
    t.srv
        .io
        .of("/")
        .to("a")
        .to("b")
        .skip_sid(t.sids[0].clone())
        .emit("c", &Counted(count.clone()))
        .unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 2);
}
