//! The pub/sub codec and brokers against python-socketio itself (>= 5.14), both directions:
//! python's write-only managers publish and we decode; we publish and python's own listen
//! path (`_thread` -> `_handle_*`) understands.
//!
//! Needs the test venv (`tests/install/python.sh`, run on first use), Redis and RabbitMQ
//! (`SOCKETIO_TEST_REDIS_URL`, `SOCKETIO_TEST_AMQP_URL`, loopback by default).
//! Run: `cargo test -p socketio-tests --test adapter_python_interop`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod adapter_common;

use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use socketio::adapter::amqp::AmqpBroker;
use socketio::adapter::broker::Broker;
use socketio::adapter::pubsub::{
    CallbackRef, Envelope, OneOrMany, Operation, PackedArgs, decode, encode, new_host_id,
};
use socketio::adapter::redis::RedisBroker;
use socketio_tests::within;
use tokio::sync::mpsc;

/// A python child process whose stdout lines arrive on a channel; killed on drop.
struct Py {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
}

impl Py {
    fn spawn(python: &PathBuf, script: &str, args: &[&str]) -> Py {
        let mut child = Command::new(python)
            .arg(socketio_tests::py_script(script))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Py { child, lines }
    }

    async fn line(&mut self, what: &str) -> String {
        within(what, Duration::from_secs(30), self.lines.recv())
            .await
            .unwrap_or_else(|| panic!("python exited before {what}: {:?}", self.child.try_wait()))
    }
}

impl Drop for Py {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything needed, or `None` after a loud skip.
async fn prerequisites(test: &str, url: &str) -> Option<PathBuf> {
    socketio_tests::broker_or_skip(test, url.to_owned()).await?;
    socketio_tests::python(test)
}

/// Arguments compared by value (python's JSON spacing differs from ours).
fn normalize(mut env: Envelope) -> Envelope {
    let norm = |a: &mut PackedArgs| {
        let v: Value = serde_json::from_str(&a.to_json_array()).unwrap();
        *a = PackedArgs::with_attachments(v.to_string(), a.attachments().to_vec());
    };
    match &mut env.operation {
        Operation::Emit { args, .. } | Operation::Callback { args, .. } => norm(args),
        _ => {}
    }
    env
}

fn emit(event: &str, args: Value, atts: &[&'static [u8]]) -> Operation {
    Operation::Emit {
        event: event.into(),
        args: PackedArgs::with_attachments(
            args.to_string(),
            atts.iter().map(|a| Bytes::from_static(a)).collect(),
        ),
        namespace: "/".into(),
        room: None,
        skip_sid: None,
        callback: None,
    }
}

fn with(m: Operation, ns: &str, room: Option<OneOrMany>, skip: Option<OneOrMany>) -> Operation {
    match m {
        Operation::Emit {
            event,
            args,
            callback,
            ..
        } => Operation::Emit {
            event,
            args,
            namespace: ns.into(),
            room,
            skip_sid: skip,
            callback,
        },
        m => m,
    }
}

fn one(s: &str) -> Option<OneOrMany> {
    Some(OneOrMany::One(s.into()))
}

fn many(v: &[&str]) -> Option<OneOrMany> {
    Some(OneOrMany::Many(v.iter().map(|s| (*s).to_owned()).collect()))
}

/// What `queue_emit.py` publishes, as envelopes (python host id `h`).
fn expected_from_python(h: &str) -> Vec<Envelope> {
    let ph = |n: u32| json!({"_placeholder": true, "num": n});
    let env = |operation| Envelope {
        host_id: h.to_owned(),
        operation,
    };
    vec![
        env(emit("text", json!(["hello"]), &[])),
        env(emit("several", json!(["a", 1, {"k": [1, 2.5, null]}]), &[])),
        env(with(
            emit(
                "bin",
                json!([{"file": ph(0), "name": "x"}]),
                &[b"\x00\x01\x02"],
            ),
            "/chat",
            one("r1"),
            one("s1"),
        )),
        env(with(
            emit("bins", json!([ph(0), "mid", [ph(1)]]), &[b"ab", b"cd"]),
            "/",
            many(&["r1", "r2"]),
            many(&["s1", "s2"]),
        )),
        env(emit("noargs", json!([]), &[])),
        env(Operation::Emit {
            event: "ask".into(),
            args: PackedArgs::json(r#"["q"]"#),
            namespace: "/".into(),
            room: one("sid1"),
            skip_sid: None,
            callback: Some(CallbackRef {
                sid: "sid1".into(),
                namespace: "/".into(),
                id: 1,
            }),
        }),
        env(Operation::EnterRoom {
            sid: "sid1".into(),
            namespace: "/chat".into(),
            room: "room-a".into(),
        }),
        env(Operation::LeaveRoom {
            sid: "sid1".into(),
            namespace: "/chat".into(),
            room: "room-a".into(),
        }),
        env(Operation::CloseRoom {
            room: "room-b".into(),
            namespace: "/chat".into(),
        }),
        env(Operation::Disconnect {
            sid: "sid9".into(),
            namespace: "/chat".into(),
        }),
        Envelope {
            host_id: "0123456789abcdef0123456789abcdef".into(),
            operation: Operation::Callback {
                sid: "sid1".into(),
                namespace: "/".into(),
                id: 5,
                args: PackedArgs::json(r#"["ok",2]"#),
            },
        },
        env(Operation::CloseRoom {
            room: "__end__".into(),
            namespace: "/".into(),
        }),
    ]
}

async fn python_publishes_we_decode(
    kind: &str,
    url: &str,
    channel: &str,
    py: &PathBuf,
    broker: Arc<dyn Broker>,
) {
    let mut sub = broker.subscribe().await.unwrap();
    let mut child = Py::spawn(py, "queue_emit.py", &[kind, url, channel]);
    let host = child.line("the python host id").await;
    let host = host.strip_prefix("HOST ").expect("HOST line").to_owned();
    assert_eq!(host.len(), 32);
    let mut got = Vec::new();
    loop {
        let payload = within("python's messages", Duration::from_secs(30), sub.recv())
            .await
            .unwrap();
        let env = decode(&payload)
            .unwrap_or_else(|e| panic!("cannot decode {}: {e}", String::from_utf8_lossy(&payload)));
        let end = matches!(&env.operation, Operation::CloseRoom { room, .. } if room == "__end__");
        got.push(normalize(env));
        if end {
            break;
        }
    }
    let want: Vec<_> = expected_from_python(&host)
        .into_iter()
        .map(normalize)
        .collect();
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
}

/// What we publish for `queue_listen.py`, and what python must print for it (in order).
fn rust_sequence(me: &str, python_host: &str) -> Vec<(Envelope, Option<Value>)> {
    let ph = |n: u32| json!({"_placeholder": true, "num": n});
    let env = |operation| Envelope {
        host_id: me.to_owned(),
        operation,
    };
    let emit_out = |event: &str, data: Value, ns: &str, room: Value, skip: Value, cb: bool| {
        json!({"op": "emit", "event": event, "data": data, "namespace": ns, "room": room,
               "skip_sid": skip, "callback": cb})
    };
    vec![
        (
            env(emit("text", json!(["hello"]), &[])),
            Some(emit_out(
                "text",
                json!("hello"),
                "/",
                Value::Null,
                Value::Null,
                false,
            )),
        ),
        (
            env(emit("several", json!(["a", 1, null]), &[])),
            Some(emit_out(
                "several",
                json!({"$tuple": ["a", 1, null]}),
                "/",
                Value::Null,
                Value::Null,
                false,
            )),
        ),
        (
            env(emit("none", json!([]), &[])),
            Some(emit_out(
                "none",
                Value::Null,
                "/",
                Value::Null,
                Value::Null,
                false,
            )),
        ),
        (
            env(with(
                emit(
                    "bin",
                    json!([{"f": ph(0)}, "t", [ph(1)]]),
                    &[b"\x01\x02", b""],
                ),
                "/chat",
                many(&["r1"]),
                one("s1"),
            )),
            Some(emit_out(
                "bin",
                json!({"$tuple": [{"f": {"$bytes": "0102"}}, "t", [{"$bytes": ""}]]}),
                "/chat",
                json!(["r1"]),
                json!("s1"),
                false,
            )),
        ),
        (
            env(emit("onebin", json!([ph(0)]), &[b"\xff"])),
            Some(emit_out(
                "onebin",
                json!({"$bytes": "ff"}),
                "/",
                Value::Null,
                Value::Null,
                false,
            )),
        ),
        (
            env(Operation::Emit {
                event: "ask".into(),
                args: PackedArgs::json(r#"["q"]"#),
                namespace: "/".into(),
                room: one("sid1"),
                skip_sid: many(&["a", "b"]),
                callback: Some(CallbackRef {
                    sid: "sid1".into(),
                    namespace: "/".into(),
                    id: 7,
                }),
            }),
            Some(emit_out(
                "ask",
                json!("q"),
                "/",
                json!("sid1"),
                json!(["a", "b"]),
                true,
            )),
        ),
        (
            env(Operation::EnterRoom {
                sid: "s".into(),
                namespace: "/chat".into(),
                room: "r".into(),
            }),
            Some(json!({"op": "enter_room", "sid": "s", "namespace": "/chat", "room": "r"})),
        ),
        (
            env(Operation::LeaveRoom {
                sid: "s".into(),
                namespace: "/".into(),
                room: "r".into(),
            }),
            Some(json!({"op": "leave_room", "sid": "s", "namespace": "/", "room": "r"})),
        ),
        (
            env(Operation::CloseRoom {
                room: "r".into(),
                namespace: "/chat".into(),
            }),
            Some(json!({"op": "close_room", "room": "r", "namespace": "/chat"})),
        ),
        (
            env(Operation::Disconnect {
                sid: "s9".into(),
                namespace: "/chat".into(),
            }),
            Some(
                json!({"op": "disconnect", "sid": "s9", "namespace": "/chat", "ignore_queue": true}),
            ),
        ),
        // a callback for another host: python ignores it
        (
            env(Operation::Callback {
                sid: "sid1".into(),
                namespace: "/".into(),
                id: 8,
                args: PackedArgs::json("[0]"),
            }),
            None,
        ),
        // a non-callback message carrying python's own host id: python ignores it
        (
            Envelope {
                host_id: python_host.to_owned(),
                operation: Operation::CloseRoom {
                    room: "own".into(),
                    namespace: "/".into(),
                },
            },
            None,
        ),
        (
            Envelope {
                host_id: python_host.to_owned(),
                operation: Operation::Callback {
                    sid: "sid1".into(),
                    namespace: "/".into(),
                    id: 9,
                    args: PackedArgs::json(r#"["ok",3]"#),
                },
            },
            Some(json!({"op": "callback", "sid": "sid1", "id": 9, "args": ["ok", 3]})),
        ),
    ]
}

async fn we_publish_python_decodes(
    kind: &str,
    url: &str,
    channel: &str,
    py: &PathBuf,
    broker: Arc<dyn Broker>,
) {
    let me = new_host_id();
    let python_host = new_host_id();
    let mut child = Py::spawn(py, "queue_listen.py", &[kind, url, channel, &python_host]);
    let probe = Bytes::from(encode(&Envelope {
        host_id: me.clone(),
        operation: Operation::CloseRoom {
            room: "__ready__".into(),
            namespace: "/".into(),
        },
    }));
    // Publish probes until python's listener reports it is subscribed (pub/sub drops what is
    // published before the subscription, so the probe is repeated; READY is the event).
    within("python to subscribe", Duration::from_secs(30), async {
        loop {
            broker.publish(probe.clone()).await.unwrap();
            tokio::select! {
                line = child.lines.recv() => match line.as_deref() {
                    Some("READY") => break,
                    Some(other) => panic!("unexpected python output before READY: {other}"),
                    None => panic!("python exited: {:?}", child.child.try_wait()),
                },
                _ = tokio::time::sleep(Duration::from_millis(300)) => {}
            }
        }
    })
    .await;
    let sequence = rust_sequence(&me, &python_host);
    for (env, _) in &sequence {
        broker.publish(Bytes::from(encode(env))).await.unwrap();
    }
    let end = Envelope {
        host_id: me.clone(),
        operation: Operation::CloseRoom {
            room: "__end__".into(),
            namespace: "/".into(),
        },
    };
    broker.publish(Bytes::from(encode(&end))).await.unwrap();
    let mut printed = Vec::new();
    loop {
        let line = child.line("python's output").await;
        if line == "END" {
            break;
        }
        printed.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    let want: Vec<Value> = sequence.into_iter().filter_map(|(_, out)| out).collect();
    assert_eq!(printed.len(), want.len(), "{printed:#?}");
    for (p, w) in printed.iter().zip(&want) {
        assert_eq!(p, w);
    }
}

macro_rules! interop_test {
    ($name:ident, $kind:literal, $url:expr, $broker:ident, $body:ident) => {
        #[tokio::test]
        async fn $name() {
            let url = $url;
            let Some(py) = prerequisites(stringify!($name), &url).await else {
                return;
            };
            let channel = socketio_tests::unique_channel(stringify!($name));
            let broker = $broker::connect(&url, adapter_common::test_config(&channel))
                .await
                .unwrap();
            $body($kind, &url, &channel, &py, Arc::new(broker)).await;
        }
    };
}

interop_test!(
    redis_python_emitter_to_rust,
    "redis",
    socketio_tests::redis_url(),
    RedisBroker,
    python_publishes_we_decode
);
interop_test!(
    kombu_python_emitter_to_rust,
    "kombu",
    socketio_tests::amqp_url(),
    AmqpBroker,
    python_publishes_we_decode
);
interop_test!(
    aiopika_python_emitter_to_rust,
    "aiopika",
    socketio_tests::amqp_url(),
    AmqpBroker,
    python_publishes_we_decode
);
interop_test!(
    redis_rust_to_python_listener,
    "redis",
    socketio_tests::redis_url(),
    RedisBroker,
    we_publish_python_decodes
);
interop_test!(
    kombu_rust_to_python_listener,
    "kombu",
    socketio_tests::amqp_url(),
    AmqpBroker,
    we_publish_python_decodes
);
