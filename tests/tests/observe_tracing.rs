//! The spans the server opens, seen by a `tracing-subscriber` layer that records span names,
//! fields and the events inside them: a `connection` span per Engine.IO session (sid,
//! transport, remote address, upgrade), at `debug`, so that an `info` subscriber sees nothing
//! of a normal session.
//!
//! The subscriber is global to the process, so this file holds one test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use socketio_tests::{Frame, Polling, STEP, Sio, Ws, start_testbed, within};
use testbed::Options;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

/// One span as the layer saw it.
#[derive(Debug, Clone, Default)]
struct SpanRec {
    name: &'static str,
    target: String,
    level: String,
    fields: HashMap<String, String>,
    /// The `message` of each event inside this span (not its children).
    events: Vec<String>,
    /// Name of the parent span, if any.
    parent: Option<&'static str>,
}

#[derive(Debug, Default)]
struct Seen {
    spans: Vec<SpanRec>,
    /// Span id -> index in `spans` (ids are reused after a span closes).
    live: HashMap<u64, usize>,
    /// Events outside any span (message).
    loose_events: Vec<String>,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Seen>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut rec = SpanRec {
            name: attrs.metadata().name(),
            target: attrs.metadata().target().to_string(),
            level: attrs.metadata().level().to_string(),
            ..SpanRec::default()
        };
        attrs.record(&mut Fields(&mut rec.fields));
        rec.parent = ctx.span(id).and_then(|s| s.parent()).map(|p| p.name());
        let mut seen = self.0.lock().unwrap();
        let i = seen.spans.len();
        seen.spans.push(rec);
        seen.live.insert(id.into_u64(), i);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut seen = self.0.lock().unwrap();
        if let Some(&i) = seen.live.get(&id.into_u64()) {
            values.record(&mut Fields(&mut seen.spans[i].fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        let message = fields.remove("message").unwrap_or_default();
        let mut seen = self.0.lock().unwrap();
        match ctx.event_span(event) {
            Some(span) => {
                if let Some(&i) = seen.live.get(&span.id().into_u64()) {
                    seen.spans[i].events.push(message);
                }
            }
            None => seen.loose_events.push(message),
        }
    }
}

impl Recorder {
    fn spans(&self, name: &str) -> Vec<SpanRec> {
        let seen = self.0.lock().unwrap();
        seen.spans
            .iter()
            .filter(|s| s.name == name)
            .cloned()
            .collect()
    }

    fn connection(&self, sid: &str) -> Option<SpanRec> {
        self.spans("connection")
            .into_iter()
            .find(|s| s.fields.get("sid").map(String::as_str) == Some(sid))
    }

    /// Wait until the `connection` span of `sid` satisfies `ok` (bounded by [`STEP`]).
    async fn wait_connection(&self, sid: &str, what: &str, ok: impl Fn(&SpanRec) -> bool) {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            if self.connection(sid).as_ref().is_some_and(&ok) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}: {:#?}",
                self.connection(sid)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn ack(sio: &mut Sio, send: &str, want: &str) {
    sio.ws.send_text(send).await;
    within(&format!("ack {want}"), STEP, async {
        loop {
            match sio.ws.next().await {
                Frame::Text(t) if t == "2" => sio.ws.send_text("3").await,
                Frame::Text(t) if t == want => return,
                Frame::Closed => panic!("closed while waiting for {want}"),
                _ => {}
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_of_a_session() {
    let debug = Recorder::default();
    let info = Recorder::default();
    let subscriber = tracing_subscriber::registry()
        .with(debug.clone().with_filter(LevelFilter::DEBUG))
        .with(info.clone().with_filter(LevelFilter::INFO));
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let server = start_testbed(Options {
        ping_interval: Duration::from_millis(1000),
        ping_timeout: Duration::from_millis(5000),
        ..Options::default()
    })
    .await;
    if server.is_external() {
        socketio_tests::loud("SKIPPED: observe_tracing: needs the in-process test bed");
        return;
    }
    let addr = server.addr;

    // A websocket session: one `connection` span with its sid, transport and address.
    let mut a = Sio::open(addr).await;
    let eio_sid = a.open["sid"].as_str().expect("sid").to_string();
    a.join("").await;
    ack(&mut a, r#"421["echo","hi"]"#, r#"431["hi"]"#).await;
    ack(&mut a, r#"422["join",{"room":"r"}]"#, "432[true]").await;
    let span = debug.connection(&eio_sid).expect("a connection span");
    assert_eq!(span.target, "socketio::engine");
    assert_eq!(span.level, "DEBUG");
    assert_eq!(span.fields["transport"], "websocket");
    assert!(
        span.fields["remote_addr"].starts_with("127.0.0.1:"),
        "{span:?}"
    );
    assert_eq!(span.parent, None);
    assert!(
        span.events.iter().any(|m| m == "connection opened"),
        "{span:?}"
    );

    // One `event` span per handled event, inside the connection span.
    let events = debug.spans("event");
    let echo = events
        .iter()
        .find(|e| e.fields.get("event").map(String::as_str) == Some("echo"))
        .unwrap_or_else(|| panic!("an event span for echo: {events:#?}"));
    assert_eq!(echo.target, "socketio::server");
    assert_eq!(echo.level, "DEBUG");
    assert_eq!(echo.parent, Some("connection"));
    assert_eq!(echo.fields["nsp"], "/");
    assert_eq!(echo.fields["ack_id"], "1");
    assert_eq!(echo.fields["outcome"], "ok");
    let us: u64 = echo.fields["duration_us"].parse().expect("duration_us");
    assert!(us < STEP.as_micros() as u64, "{us}");
    let join = events
        .iter()
        .find(|e| e.fields.get("event").map(String::as_str) == Some("join"))
        .expect("an event span for join");
    assert_eq!(join.fields["ack_id"], "2");
    assert_eq!(join.fields["outcome"], "ok");
    // Without an ack request, no `ack_id`.
    ack(&mut a, r#"42["message","m"]"#, r#"42["message-back","m"]"#).await;
    let message = debug
        .spans("event")
        .into_iter()
        .find(|e| e.fields.get("event").map(String::as_str) == Some("message"))
        .expect("an event span for message");
    assert!(!message.fields.contains_key("ack_id"), "{message:?}");

    // A polling session that upgrades: the span's transport field follows, with an event.
    let (p, _) = Polling::open(addr, "/socket.io/").await;
    let polling = debug.connection(&p.sid).expect("a polling connection span");
    assert_eq!(polling.fields["transport"], "polling");
    assert_eq!(p.post(b"40").await.status, 200);
    assert!(p.get_skip_pings().await.starts_with("40{\"sid\""));
    let mut up = Ws::dial(
        addr,
        &format!("/socket.io/?EIO=4&transport=websocket&sid={}", p.sid),
    )
    .await
    .expect("upgrade websocket");
    up.send_text("2probe").await;
    assert_eq!(up.text().await, "3probe");
    up.send_text("5").await;
    debug
        .wait_connection(&p.sid, "the upgrade", |s| {
            s.fields["transport"] == "websocket"
                && s.events.iter().any(|m| m == "upgraded to websocket")
        })
        .await;

    // At `info`, a normal session shows no span and no event at all.
    {
        let seen = info.0.lock().unwrap();
        assert!(seen.spans.is_empty(), "{:#?}", seen.spans);
        assert!(seen.loose_events.is_empty(), "{:?}", seen.loose_events);
    }

    // An event whose payload does not deserialize: the handler is not called, the span
    // says so (and the `warn` is the one line `info` sees).
    a.ws.send_text(r#"423["join",5]"#).await;
    within("the error ack", STEP, async {
        loop {
            match a.ws.next().await {
                Frame::Text(t) if t.starts_with("433") => return,
                Frame::Text(t) if t == "2" => a.ws.send_text("3").await,
                Frame::Closed => panic!("closed while waiting for 433"),
                _ => {}
            }
        }
    })
    .await;
    let bad = debug
        .spans("event")
        .into_iter()
        .find(|e| e.fields.get("ack_id").map(String::as_str) == Some("3"))
        .expect("an event span for the bad join");
    assert_eq!(bad.fields["outcome"], "invalid_args");
    assert_eq!(info.0.lock().unwrap().spans.len(), 0);

    // Closing: an event with the reason, inside the span.
    a.ws.close().await;
    debug
        .wait_connection(&eio_sid, "the close event", |s| {
            s.events.iter().any(|m| m == "connection closed")
        })
        .await;
    up.close().await;
    debug
        .wait_connection(&p.sid, "the close event", |s| {
            s.events.iter().any(|m| m == "connection closed")
        })
        .await;

    server.shutdown().await;
}
