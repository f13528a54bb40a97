//! `cargo bench -p socketio --all-features --bench broadcast`: a broadcast to N local sockets
//! and a cluster message applied to N local sockets, N = 1, 100, 1000. The numbers of one run
//! are in `docs/performance.md` ("cargo bench").
//!
//! The sockets are [`TestClient`]s connected in memory (WebSocket over a duplex pipe) to a
//! server on a current-thread tokio runtime, which runs only while the bench thread blocks on
//! it. So the timed part of `emit` and `cluster_emit_applied` is what the caller of `io.emit`
//! (or the cluster listener calling `RemoteSink::apply`) pays, with nothing running beside it:
//! the packet encoded once and its frame queued on every socket (and the writer tasks woken).
//! The call is made inside the runtime (`block_on` of a future that completes at its first
//! poll), as a handler or the listener task would make it, so waking a writer is a push on
//! the local run queue and not a cross-thread unpark; `block_on_ready` is that constant. Writing the frames out and the clients reading them happen outside the timed
//! part: before each sample the bench runs the runtime until one client (the probe, connected
//! last) has received every event sent so far, so queues stay bounded. At the end every client
//! must still be connected (none was closed as too slow) and the probe must have received
//! exactly one event per emit.
//!
//! `emit_and_receive` times the whole delivery instead, on one thread: `io.emit`, then every
//! socket's frame written and read by its client, until the probe has it (the CPU cost of a
//! broadcast, server and in-memory clients together).
// A bench that hits an error must stop loudly, and its inputs are our own, not a peer's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::cell::Cell;
use std::sync::{Arc, OnceLock};

use divan::{Bencher, black_box};
use serde::Serialize;
use serde::de::IgnoredAny;
use socketio::SocketIo;
use socketio::adapter::pubsub::{self, Limits};
use socketio::adapter::{Envelope, Manager, Operation, PackedArgs, RemoteSink};
use socketio::proto::sio::Args;
use socketio::testing::TestClient;
use tokio::runtime::Runtime;

fn main() {
    divan::main();
}

const SOCKETS: [usize; 3] = [1, 100, 1000];

/// The event every socket receives.
#[derive(Serialize)]
struct Message<'a> {
    user: &'a str,
    text: &'a str,
    at: u64,
}

const MESSAGE: Message<'static> = Message {
    user: "ann",
    text: "hello, world: a message of a few dozen bytes",
    at: 1_764_662_400_000,
};

/// A manager that publishes nowhere and keeps the sink the server hands it, so the bench can
/// apply messages as a broker listener would.
#[derive(Default)]
struct Capture {
    sink: OnceLock<Arc<dyn RemoteSink>>,
}

impl Manager for Capture {
    fn host_id(&self) -> &str {
        "0123456789abcdef0123456789abcdef"
    }
    fn publish(&self, _env: Envelope) {}
    fn start(&self, sink: Arc<dyn RemoteSink>) {
        let _ = self.sink.set(sink);
    }
}

/// A server with `n` connected clients on `/`; the last one is the probe.
struct Bed {
    rt: Runtime,
    io: SocketIo,
    clients: Vec<TestClient>,
    /// Events sent (timed closures count them) and events the probe has read.
    sent: Cell<u64>,
    received: Cell<u64>,
}

impl Bed {
    fn new(n: usize, manager: Option<Arc<Capture>>) -> Bed {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut builder = SocketIo::builder();
        if let Some(m) = manager {
            builder = builder.manager(m);
        }
        let io = builder.build().unwrap();
        let clients = rt.block_on(async {
            let mut clients = Vec::with_capacity(n);
            for i in 0..n {
                // The others drop what they do not keep; the probe keeps a sample's worth.
                let keep = if i + 1 == n { 1 << 20 } else { 1 };
                let c = TestClient::builder()
                    .max_buffered_events(keep)
                    .connect(&io)
                    .await
                    .unwrap();
                clients.push(c);
            }
            clients
        });
        Bed {
            rt,
            io,
            clients,
            sent: Cell::new(0),
            received: Cell::new(0),
        }
    }

    fn probe(&self) -> &TestClient {
        self.clients.last().unwrap()
    }

    /// Wait until the probe has read every event sent so far.
    fn drain(&self) {
        let (sent, mut received) = (self.sent.get(), self.received.get());
        if received == sent {
            return;
        }
        let _g = self.rt.enter();
        self.rt.block_on(async {
            while received < sent {
                self.probe().next_event::<IgnoredAny>("tick").await.unwrap();
                received += 1;
            }
        });
        self.received.set(received);
    }

    /// After a bench: nothing lost, nobody closed.
    fn check(&self) {
        self.drain();
        assert!(self.sent.get() > 0);
        for c in &self.clients {
            assert!(!c.is_disconnected(), "a client was disconnected");
        }
        assert!(
            self.probe().buffered().is_empty(),
            "the probe got more events than sent"
        );
    }
}

/// What the other benches pay for calling into the runtime: `block_on` of a ready future.
#[divan::bench]
fn block_on_ready(b: Bencher) {
    let bed = Bed::new(1, None);
    b.bench_local(|| bed.rt.block_on(async { black_box(1) }));
}

/// `io.emit("tick", …)` to every socket of `/`.
#[divan::bench(args = SOCKETS, sample_count = 100)]
fn emit(b: Bencher, n: usize) {
    let bed = Bed::new(n, None);
    let _g = bed.rt.enter();
    b.with_inputs(|| bed.drain()).bench_local_values(|()| {
        bed.sent.set(bed.sent.get() + 1);
        bed.rt.block_on(async {
            bed.io
                .emit("tick", black_box(&("lobby", &MESSAGE)))
                .unwrap();
        });
    });
    bed.check();
}

/// `io.emit`, then the runtime run until the probe received it: the other sockets' frames are
/// written and read meanwhile (tasks run in the order the emit woke them; the probe is last).
#[divan::bench(args = SOCKETS, sample_count = 100)]
fn emit_and_receive(b: Bencher, n: usize) {
    let bed = Bed::new(n, None);
    let _g = bed.rt.enter();
    b.bench_local(|| {
        bed.sent.set(bed.sent.get() + 1);
        bed.io
            .emit("tick", black_box(&("lobby", &MESSAGE)))
            .unwrap();
        bed.drain();
    });
    bed.check();
}

/// A cluster `emit` to the whole namespace, as a broker listener hands it over: the message
/// decoded (python-socketio's format) and applied to the local sockets.
#[divan::bench(args = SOCKETS, sample_count = 100)]
fn cluster_emit_applied(b: Bencher, n: usize) {
    let manager = Arc::new(Capture::default());
    let bed = Bed::new(n, Some(manager.clone()));
    let sink = manager
        .sink
        .get()
        .expect("the server started its manager")
        .clone();
    let args = Args::from_serialize(&("lobby", &MESSAGE)).unwrap();
    let message = pubsub::encode(&Envelope {
        host_id: "fedcba9876543210fedcba9876543210".into(),
        operation: Operation::Emit {
            event: "tick".into(),
            args: PackedArgs::from_args(&args),
            namespace: "/".into(),
            room: None,
            skip_sid: None,
            callback: None,
        },
    });
    let limits = Limits::default();
    let _g = bed.rt.enter();
    b.with_inputs(|| bed.drain()).bench_local_values(|()| {
        bed.sent.set(bed.sent.get() + 1);
        bed.rt.block_on(async {
            let env = pubsub::decode_with(black_box(&message), &limits).unwrap();
            sink.apply(env);
        });
    });
    bed.check();
}
