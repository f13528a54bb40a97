//! Catch-all handlers: `on_any` with `EventName`, the `*` namespace, and function handlers
//! winning over class-based (`NamespaceClass`) handlers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::Arc;

use socketio::server::ClassRegistrar;
use socketio::{EventName, NamespaceClass, Rest, Socket, SocketIo, Value};
use socketio_tests::{Ws, next, serve};
use tokio::sync::mpsc;

async fn ask(c: &mut Ws, packet: &str) -> String {
    c.send(packet).await;
    c.recv_text().await
}

#[tokio::test]
async fn on_any_receives_unhandled_events_with_their_name() {
    let io = SocketIo::builder().build().unwrap();
    io.of("/").on("known", async || "known handler");
    io.of("/")
        .on_any(async |name: EventName, rest: Rest<Value>| (name.to_string(), rest.len()));
    let srv = serve(io).await;
    let mut c = Ws::open(srv.addr).await;
    c.join("/", None).await;
    assert_eq!(
        ask(&mut c, r#"421["known",1]"#).await,
        r#"431["known handler"]"#
    );
    assert_eq!(
        ask(&mut c, r#"422["whatever",1,{"a":2}]"#).await,
        r#"432["whatever",2]"#
    );
    assert_eq!(ask(&mut c, r#"423["other"]"#).await, r#"433["other",0]"#);
}

#[tokio::test]
async fn star_namespace_serves_unregistered_namespaces() {
    let io = SocketIo::builder().build().unwrap();
    let (tx, mut connected) = mpsc::unbounded_channel();
    let any = io.of("*");
    any.on_connect(move |s: Socket| {
        let tx = tx.clone();
        async move { tx.send(s.ns().to_owned()).unwrap() }
    });
    any.on("hello", async |s: Socket| format!("hello from {}", s.ns()));
    any.on_any(async |s: Socket, name: EventName| format!("{}:{name}", s.ns()));
    let srv = serve(io.clone()).await;
    let mut c = Ws::open(srv.addr).await;
    let sid = c.join("/dyn", None).await;
    assert_eq!(next(&mut connected).await, "/dyn");
    assert!(
        io.socket("/dyn", &sid).is_some(),
        "the dynamic namespace holds the socket"
    );
    assert_eq!(
        ask(&mut c, r#"42/dyn,1["hello"]"#).await,
        r#"43/dyn,1["hello from /dyn"]"#
    );
    assert_eq!(
        ask(&mut c, r#"42/dyn,2["zzz"]"#).await,
        r#"43/dyn,2["/dyn:zzz"]"#
    );
    c.join("/other", None).await;
    assert_eq!(next(&mut connected).await, "/other");
    assert_eq!(
        ask(&mut c, r#"42/other,3["hello"]"#).await,
        r#"43/other,3["hello from /other"]"#
    );
    // Emitting to a dynamic namespace reaches its sockets.
    io.of("/dyn").emit("news", &1).unwrap();
    assert_eq!(c.recv_text().await, r#"42/dyn,["news",1]"#);
}

/// python-socketio resolves `handlers[ns][event]`, then `handlers[ns]['*']`, then
/// `handlers['*'][event]`, then `handlers['*']['*']`: the `*` namespace backs up registered
/// namespaces for events they do not handle.
#[tokio::test]
async fn star_namespace_backs_up_registered_namespaces() {
    let io = SocketIo::builder().build().unwrap();
    io.of("/own").on("mine", async || "own handler");
    io.of("*")
        .on("shared", async |s: Socket| format!("star for {}", s.ns()));
    let srv = serve(io).await;
    let mut c = Ws::open(srv.addr).await;
    c.join("/own", None).await;
    assert_eq!(
        ask(&mut c, r#"42/own,1["mine"]"#).await,
        r#"43/own,1["own handler"]"#
    );
    assert_eq!(
        ask(&mut c, r#"42/own,2["shared"]"#).await,
        r#"43/own,2["star for /own"]"#
    );
}

/// A hand-written class-based namespace (what `#[namespace]` generates, registered
/// explicitly).
struct Chat {
    tag: &'static str,
}

impl NamespaceClass for Chat {
    const PATH: &'static str = "/cls";

    fn register(self: Arc<Self>, ns: &ClassRegistrar) {
        let me = self.clone();
        ns.at(file!(), line!()).on("a", move || {
            let me = me.clone();
            async move { format!("class a {}", me.tag) }
        });
        let me = self.clone();
        ns.on("b", move || {
            let me = me.clone();
            async move { format!("class b {}", me.tag) }
        });
        ns.on_any(async |name: EventName| format!("class any {name}"));
        ns.on_connect(async |s: Socket| s.emit("connected-by", &"class").unwrap());
    }
}

struct Other;

impl NamespaceClass for Other {
    const PATH: &'static str = "/cls2";

    fn register(self: Arc<Self>, ns: &ClassRegistrar) {
        ns.on("b", async || "class b");
        ns.on_connect(async |s: Socket| s.emit("connected-by", &"class").unwrap());
    }
}

#[tokio::test]
async fn function_handlers_beat_class_handlers() {
    let io = SocketIo::builder()
        .namespace(Chat { tag: "x" })
        .namespace(Other)
        .build()
        .unwrap();
    io.of("/cls").on("a", async || "function a");
    io.of("/cls2")
        .on_any(async |name: EventName| format!("function any {name}"));
    io.of("/cls2")
        .on_connect(async |s: Socket| s.emit("connected-by", &"function").unwrap());
    let srv = serve(io).await;
    let mut c = Ws::open(srv.addr).await;

    c.join("/cls", None).await;
    assert_eq!(c.recv_text().await, r#"42/cls,["connected-by","class"]"#);
    assert_eq!(
        ask(&mut c, r#"42/cls,1["a"]"#).await,
        r#"43/cls,1["function a"]"#
    );
    assert_eq!(
        ask(&mut c, r#"42/cls,2["b"]"#).await,
        r#"43/cls,2["class b x"]"#
    );
    assert_eq!(
        ask(&mut c, r#"42/cls,3["c"]"#).await,
        r#"43/cls,3["class any c"]"#
    );

    // A function catch-all beats a class's named handler (python checks every function
    // level first).
    c.join("/cls2", None).await;
    assert_eq!(
        c.recv_text().await,
        r#"42/cls2,["connected-by","function"]"#
    );
    assert_eq!(
        ask(&mut c, r#"42/cls2,4["b"]"#).await,
        r#"43/cls2,4["function any b"]"#
    );
}

#[tokio::test]
async fn two_classes_on_one_path_fail_the_build() {
    struct Again;
    impl NamespaceClass for Again {
        const PATH: &'static str = "/cls";
        fn register(self: Arc<Self>, _ns: &ClassRegistrar) {}
    }
    let err = SocketIo::builder()
        .namespace(Chat { tag: "x" })
        .namespace(Again)
        .build()
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("`/cls` is registered twice"), "{msg}");
    assert!(msg.contains("Chat") && msg.contains("Again"), "{msg}");
}
