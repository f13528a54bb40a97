//! The deadline on acks that another server of the cluster asked of a local client
//! ([`ServerConfig::remote_ack_timeout`]): the slot is held until the deadline, freed at it,
//! and a late answer is not published.
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
use socketio::{ServerConfig, SocketIo};
use socketio_tests::{STEP, Served, Ws, eventually, serve};

/// A manager that records what the server publishes and lets the test play another server.
#[derive(Default)]
struct Probe {
    sink: Mutex<Option<Arc<dyn RemoteSink>>>,
    published: Mutex<Vec<Envelope>>,
}

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
    /// Another server asks `sid` for the ack of event `remote`, under callback id `id`.
    fn ask(&self, sid: &str, id: u64) {
        let sink = self.sink.lock().unwrap().clone().unwrap();
        sink.apply(Envelope {
            host_id: "0123456789abcdef0123456789abcdef".to_owned(),
            operation: Operation::Emit {
                event: "remote".to_owned(),
                args: PackedArgs::json("[]"),
                namespace: "/".to_owned(),
                room: Some(OneOrMany::One(sid.to_owned())),
                skip_sid: None,
                callback: Some(CallbackRef {
                    sid: sid.to_owned(),
                    namespace: "/".to_owned(),
                    id,
                }),
            },
        });
    }

    /// The callback ids published so far.
    fn callbacks(&self) -> Vec<u64> {
        self.published
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match &e.operation {
                Operation::Callback { id, .. } => Some(*id),
                _ => None,
            })
            .collect()
    }
}

async fn clustered(deadline: Duration) -> (Served, Arc<Probe>) {
    let probe = Arc::new(Probe::default());
    let io = SocketIo::builder()
        .max_pending_acks(1)
        .remote_ack_timeout(deadline)
        .manager(probe.clone())
        .build()
        .unwrap();
    io.of("/").on("ping", async || ());
    (serve(io).await, probe)
}

#[test]
fn the_default_deadline_is_a_minute() {
    assert_eq!(
        ServerConfig::default().remote_ack_timeout,
        Duration::from_secs(60)
    );
}

#[tokio::test]
async fn an_unanswered_remote_ack_frees_its_slot_at_the_deadline() {
    let deadline = Duration::from_millis(300);
    let (srv, probe) = clustered(deadline).await;
    let mut c = Ws::open(srv.addr).await;
    let sid = c.join("/", None).await;

    let asked = Instant::now();
    probe.ask(&sid, 1);
    assert_eq!(c.recv_text().await, r#"421["remote"]"#);
    // Before the deadline the slot is held: a second request is refused (nothing arrives
    // before the answer to a ping).
    probe.ask(&sid, 2);
    assert!(c.roundtrip("/", 1, "ping").await.is_empty());
    assert!(
        asked.elapsed() < deadline,
        "the machine is too slow for this test"
    );

    // At the deadline the slot is freed: ask again until a request goes through.
    let mut id = 3;
    let got = loop {
        assert!(asked.elapsed() < STEP, "the slot was never freed");
        probe.ask(&sid, id);
        let got = c.roundtrip("/", id + 100, "ping").await;
        if !got.is_empty() {
            break got;
        }
        id += 1;
        // The behaviour under test is a deadline passing: retry every 10 ms until it has.
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(asked.elapsed() >= deadline, "freed before the deadline");
    assert_eq!(got, [r#"422["remote"]"#]);

    // The late answer to the first request is dropped; the answer to the new one is
    // published (after the late one, as the connection's packets are handled in order).
    c.send(r#"431["late"]"#).await;
    c.send(r#"432["in time"]"#).await;
    eventually("the answer to be published", STEP, || {
        !probe.callbacks().is_empty()
    })
    .await;
    assert_eq!(probe.callbacks(), [id]);
}
