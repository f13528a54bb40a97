//! The observability guide (`docs/observability.md`), proven: the crate's tracing events
//! have targets under `socketio::`, a normal session logs nothing at `info` or above, a
//! payload that does not deserialize is a `warn` (and an error ack), an event without a
//! handler is a `debug`.
//!
//! One test in this binary: it installs the process-wide subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::{Arc, Mutex};

use axum_app::Config;
use serde_json::json;
use socketio_tests::{Ws, parse_open};
use tracing::Level;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt as _};

/// One event seen by [`Capture`].
#[derive(Debug, Clone)]
struct Seen {
    level: Level,
    target: String,
    message: String,
    fields: Vec<String>,
}

/// A layer that keeps every event.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Seen>>>);

impl Capture {
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

struct Fields<'a>(&'a mut Seen);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.message = format!("{value:?}");
        } else {
            self.0.fields.push(field.name().to_owned());
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut seen = Seen {
            level: *meta.level(),
            target: meta.target().to_owned(),
            message: String::new(),
            fields: Vec::new(),
        };
        event.record(&mut Fields(&mut seen));
        self.0.lock().unwrap().push(seen);
    }
}

#[tokio::test]
async fn tracing_targets_and_levels() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(capture.clone()))
        .unwrap();

    let app = axum_app::app(&Config {
        origin: "http://app.example".into(),
        token: "t".into(),
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(axum_app::serve_socketio(listener, app, async move {
        let _ = stopped.await;
    }));

    // A normal session: connect, an event with its ack, a clean close.
    let mut ws = Ws::dial(addr, "/api/socket.io/?EIO=4&transport=websocket")
        .await
        .unwrap();
    parse_open(&ws.text().await);
    ws.send_text(&format!("40{}", json!({"token": "t"}))).await;
    assert!(ws.recv_text().await.starts_with("40"));
    ws.send_text(r#"421["post","hello"]"#).await;
    assert!(ws.recv_text().await.starts_with(r#"42["post""#));
    assert_eq!(ws.recv_text().await, "431[1]");
    let quiet: Vec<_> = capture
        .take()
        .into_iter()
        .filter(|e| e.target.starts_with("socketio") && e.level <= Level::INFO)
        .collect();
    assert!(quiet.is_empty(), "a normal session logged {quiet:?}");

    // A payload that does not deserialize: the handler is not called, a warning names the
    // namespace, socket and event, and the client gets an error ack.
    ws.send_text(r#"422["post",{"not":"a string"}]"#).await;
    let ack = ws.recv_text().await;
    assert!(
        ack.starts_with(r#"432[{"error":"invalid argument 1: "#),
        "{ack}"
    );
    // An event nobody handles: a debug line only. Its ack never comes, so wait on an event
    // that is answered after it (events of one client are handled in order).
    ws.send_text(r#"42["nobody handles this"]"#).await;
    ws.send_text(r#"423["post","after"]"#).await;
    assert!(ws.recv_text().await.starts_with(r#"42["post""#));
    assert_eq!(ws.recv_text().await, "433[2]");

    let events = capture.take();
    let warn = events
        .iter()
        .find(|e| e.level == Level::WARN)
        .unwrap_or_else(|| panic!("no warning in {events:?}"));
    assert!(warn.target.starts_with("socketio::server"), "{warn:?}");
    assert!(
        warn.message.contains("event handler not called"),
        "{warn:?}"
    );
    for field in ["nsp", "sid", "event"] {
        assert!(
            warn.fields.iter().any(|f| f == field),
            "{field} in {warn:?}"
        );
    }
    let debug = events
        .iter()
        .find(|e| e.message.contains("no handler for event"))
        .unwrap_or_else(|| panic!("no debug line in {events:?}"));
    assert_eq!(debug.level, Level::DEBUG);
    assert!(debug.target.starts_with("socketio::server"), "{debug:?}");
    assert!(
        events
            .iter()
            .filter(|e| e.level <= Level::INFO)
            .all(|e| e.level == Level::WARN),
        "{events:?}"
    );

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
