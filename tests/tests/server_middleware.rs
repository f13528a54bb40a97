//! Event middleware through the public API: it sees the event (name, arguments) before the
//! handler, may refuse it (the handler does not run, the client gets the rejection ack),
//! and sees how it ended (the ack packet, a manual ack, no ack, a refusal) and how long it
//! took; several run in order; `#[namespace(.., middleware(..))]` installs it on a class.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value as Json, json};
use socketio::testing::TestClient;
use socketio::{
    AckOutcome, AckSender, EventContext, EventDone, EventMiddleware, ParamError, Socket, SocketIo,
    namespace,
};
use tokio::sync::mpsc;

/// What a recording middleware saw, in order.
type Log = Arc<Mutex<Vec<String>>>;

struct Recorder {
    tag: &'static str,
    log: Log,
    done: mpsc::UnboundedSender<(String, String, Duration)>,
}

fn outcome(o: AckOutcome<'_>) -> String {
    match o {
        AckOutcome::NotRequested => "none".into(),
        AckOutcome::Sent(p) => format!("sent {}", String::from_utf8_lossy(&p.text)),
        AckOutcome::Manual => "manual".into(),
        AckOutcome::EncodeFailed(_) => "encode failed".into(),
        AckOutcome::Rejected(e) => format!("rejected {e}"),
        _ => "other".into(),
    }
}

impl EventMiddleware for Recorder {
    fn before(&self, ev: &EventContext) -> Result<(), ParamError> {
        self.log.lock().unwrap().push(format!(
            "{} before {} {}",
            self.tag,
            ev.event(),
            (0..ev.args().len())
                .filter_map(|i| ev.args().raw(i))
                .collect::<Vec<_>>()
                .join(",")
        ));
        if ev.event() == "secret" && self.tag == "auth" {
            return Err(ParamError::reject("forbidden"));
        }
        Ok(())
    }

    fn after(&self, done: &EventDone<'_>) {
        self.log
            .lock()
            .unwrap()
            .push(format!("{} after {}", self.tag, done.event()));
        if self.tag == "outer" {
            let _ = self.done.send((
                done.event().to_owned(),
                outcome(done.outcome()),
                done.elapsed(),
            ));
        }
    }
}

#[tokio::test]
async fn middleware_sees_the_event_refuses_it_and_observes_the_ack_and_duration() {
    let io = SocketIo::builder().build().unwrap();
    let log: Log = Log::default();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ran = Arc::new(AtomicUsize::new(0));
    let (ran2, ran3) = (ran.clone(), ran.clone());
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let release_rx = Arc::new(Mutex::new(Some(release_rx)));
    io.of("/")
        .middleware(Recorder {
            tag: "outer",
            log: log.clone(),
            done: tx.clone(),
        })
        .middleware(Recorder {
            tag: "auth",
            log: log.clone(),
            done: tx.clone(),
        })
        .on("add", async |a: i64, b: i64| a + b)
        .on("secret", move || {
            ran2.fetch_add(1, Ordering::SeqCst);
            async { "leaked" }
        })
        .on("manual", async |ack: AckSender| ack.send(&"by hand"))
        .on("fire", move || {
            ran3.fetch_add(1, Ordering::SeqCst);
            async {}
        })
        .on("slow", move || {
            let rx = release_rx.lock().unwrap().take();
            async move {
                if let Some(rx) = rx {
                    let _ = rx.await;
                }
                "late"
            }
        });
    let c = TestClient::connect(&io).await.unwrap();

    assert_eq!(c.emit_with_ack::<i64>("add", &(2, 3)).await.unwrap(), 5);
    let (ev, out, _) = rx.recv().await.unwrap();
    assert_eq!((ev.as_str(), out.as_str()), ("add", "sent 430[5]"));
    assert_eq!(
        *log.lock().unwrap(),
        [
            "outer before add 2,3",
            "auth before add 2,3",
            "auth after add",
            "outer after add"
        ]
    );
    log.lock().unwrap().clear();

    // Refused by the second middleware: the handler does not run, the rejection ack goes
    // out, and both middleware (the refusing one and the one before it) see the refusal.
    let ack: Json = c.emit_with_ack("secret", &()).await.unwrap();
    assert_eq!(ack, json!({"error": "forbidden"}));
    let (_, out, _) = rx.recv().await.unwrap();
    assert_eq!(out, "rejected forbidden");
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(
        *log.lock().unwrap(),
        [
            "outer before secret ",
            "auth before secret ",
            "auth after secret",
            "outer after secret"
        ]
    );

    assert_eq!(
        c.emit_with_ack::<String>("manual", &()).await.unwrap(),
        "by hand"
    );
    assert_eq!(rx.recv().await.unwrap().1, "manual");

    c.emit("fire", &()).await.unwrap();
    assert_eq!(rx.recv().await.unwrap().1, "none");
    assert_eq!(ran.load(Ordering::SeqCst), 1);

    // An argument that does not deserialize is a refusal too (after the middleware ran).
    let ack: Json = c.emit_with_ack("add", &("x", 1)).await.unwrap();
    assert!(
        ack["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid argument 1")
    );
    assert!(
        rx.recv()
            .await
            .unwrap()
            .1
            .starts_with("rejected invalid argument 1")
    );

    // The duration covers the handler: `slow` ends only once released, well after it began.
    let slow = c.emit_with_ack::<String>("slow", &());
    let wait = Duration::from_millis(50);
    let release = async {
        tokio::time::sleep(wait).await;
        release_tx.send(()).unwrap();
    };
    let (late, ()) = tokio::join!(slow, release);
    assert_eq!(late.unwrap(), "late");
    let (ev, _, elapsed) = rx.recv().await.unwrap();
    assert_eq!(ev, "slow");
    assert!(elapsed >= wait, "{elapsed:?}");
}

#[tokio::test]
async fn middleware_applies_to_namespaces_created_from_the_catch_all() {
    struct Deny;
    impl EventMiddleware for Deny {
        fn before(&self, _: &EventContext) -> Result<(), ParamError> {
            Err(ParamError::reject("denied"))
        }
    }
    let io = SocketIo::builder()
        .accept_any_namespace(true)
        .build()
        .unwrap();
    io.of("*").middleware(Deny).on("ping", async || "pong");
    io.of("/own").on("ping", async || "pong");
    let dynamic = TestClient::builder()
        .namespace("/dyn")
        .connect(&io)
        .await
        .unwrap();
    let ack: Json = dynamic.emit_with_ack("ping", &()).await.unwrap();
    assert_eq!(ack, json!({"error": "denied"}));
    // A namespace with handlers of its own keeps its own (empty) chain.
    let own = TestClient::builder()
        .namespace("/own")
        .connect(&io)
        .await
        .unwrap();
    assert_eq!(
        own.emit_with_ack::<String>("ping", &()).await.unwrap(),
        "pong"
    );
}

// -- from `#[namespace]` -----------------------------------------------------------------------

/// Refuses events of sockets that did not `login` first.
struct LoggedIn;

impl EventMiddleware for LoggedIn {
    fn before(&self, ev: &EventContext) -> Result<(), ParamError> {
        if ev.event() == "login" || ev.socket().get_session::<String>().is_some() {
            Ok(())
        } else {
            Err(ParamError::reject("log in first"))
        }
    }
}

#[derive(Default)]
struct Counter(Arc<AtomicUsize>);

impl EventMiddleware for Counter {
    fn after(&self, _: &EventDone<'_>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

static COUNTED: std::sync::LazyLock<Arc<AtomicUsize>> = std::sync::LazyLock::new(Default::default);

#[derive(Default)]
struct Guarded;

#[namespace("/guarded", register = false, middleware(Counter(COUNTED.clone()), LoggedIn))]
impl Guarded {
    #[on("login")]
    async fn login(&self, socket: Socket, name: String) {
        socket.save_session(name);
    }

    #[on("hello")]
    async fn hello(&self, socket: Socket) -> String {
        format!(
            "hello {}",
            socket.get_session::<String>().unwrap_or_default()
        )
    }
}

#[tokio::test]
async fn a_namespace_class_installs_its_middleware() {
    let io = SocketIo::builder().namespace(Guarded).build().unwrap();
    let c = TestClient::builder()
        .namespace("/guarded")
        .connect(&io)
        .await
        .unwrap();
    let ack: Json = c.emit_with_ack("hello", &()).await.unwrap();
    assert_eq!(ack, json!({"error": "log in first"}));
    c.emit_with_ack::<()>("login", &"ada").await.unwrap();
    assert_eq!(
        c.emit_with_ack::<String>("hello", &()).await.unwrap(),
        "hello ada"
    );
    // `after` runs once the ack is sent: all three events were counted by then.
    assert_eq!(COUNTED.load(Ordering::SeqCst), 3);
}
