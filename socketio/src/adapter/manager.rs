//! Pub/sub cluster managers ([`PubSubManager`], [`RedisManager`], [`AmqpManager`]) and the
//! write-only [`Emitter`].
//!
//! A [`PubSubManager`] publishes every cluster-visible operation of its server on a broker
//! channel in python-socketio's format ([`crate::adapter::pubsub`]) and applies what the other
//! servers publish. It is python-socketio's `PubSubManager` in Rust:
//!
//! * **Publishing** never blocks the server: the message is encoded and put in a bounded
//!   queue ([`ManagerConfig::publish_queue`]) drained by a single publisher task, so messages
//!   leave in the order they were published. When the queue is full (the broker is slow or
//!   down) the message is dropped and counted ([`PubSubManager::dropped_messages`]).
//! * **Receiving**: one listener task reads the channel, skips (and logs) malformed or
//!   foreign messages, keeps python's routing rule ([`pubsub::Envelope::is_for`]: a server
//!   ignores its own messages, a `callback` is only for the host it names) and applies the
//!   rest in arrival order.
//! * **Faults**: an unreachable broker at start is an error ([`BrokerError::Connect`], after
//!   [`BrokerConfig::connect_attempts`] tries), never a panic. A broker lost while serving is
//!   reconnected with backoff, capped at 5 s by default ([`ManagerConfig::default`]) so that
//!   messages flow again within a few seconds of the broker's return; local delivery goes on
//!   meanwhile.
//!
//! What pub/sub cannot promise: delivery is at most once. What is published while the broker
//! (or the link to it) is down is lost, a server that is reconnecting misses what others
//! published meanwhile, and there is no replay. Within one connected period, messages of one
//! publisher arrive in the order they were published.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use super::broker::{Backoff, Broker, BrokerConfig, BrokerError, LinkState, Subscription};
use super::metrics::{self, PublishError, ReceiveError};
use super::pubsub::{self, Envelope, Limits, OneOrMany, Operation, PackedArgs};
use super::{Manager, RemoteSink};
use crate::proto::sio::Args;

/// Settings of a [`PubSubManager`].
///
/// `#[non_exhaustive]`: outside this crate, start from `ManagerConfig::default()` and assign fields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ManagerConfig {
    /// The broker settings: channel (default `socketio`), reconnection backoff (default 1 s
    /// doubling to **5 s** for managers), timeouts.
    pub broker: BrokerConfig,
    /// Messages waiting to be published. When full, new messages are dropped (and counted).
    /// Default 1024.
    pub publish_queue: usize,
    /// Limits on the messages read from the channel.
    pub limits: Limits,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        Self {
            broker: BrokerConfig {
                backoff: Backoff {
                    max: Duration::from_secs(5),
                    ..Backoff::default()
                },
                ..BrokerConfig::default()
            },
            publish_queue: 1024,
            limits: Limits::default(),
        }
    }
}

impl ManagerConfig {
    /// The default settings on another channel (Redis channel or AMQP exchange).
    pub fn with_channel(channel: impl Into<String>) -> Self {
        let mut c = Self::default();
        c.broker.channel = channel.into();
        c
    }

    /// These TLS settings for a `rediss://`, `valkeys://` or `amqps://` broker (feature
    /// `tls`; see [`TlsOptions`](super::broker::TlsOptions)).
    ///
    /// ```no_run
    /// # #[cfg(all(feature = "redis", feature = "tls"))]
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// use socketio::adapter::broker::TlsOptions;
    /// use socketio::adapter::{ManagerConfig, connect};
    ///
    /// let config = ManagerConfig::with_channel("socketio").tls(
    ///     TlsOptions::default()
    ///         .ca_file("/etc/ssl/redis-ca.pem")
    ///         .client_cert("/etc/ssl/me.pem", "/etc/ssl/me.key"),
    /// );
    /// let manager = connect("rediss://redis.internal:6380/0", config).await?;
    /// let io = socketio::SocketIo::builder().manager(manager).build()?;
    /// # drop(io); Ok(()) }
    /// ```
    pub fn tls(mut self, tls: super::broker::TlsOptions) -> Self {
        self.broker.tls = tls;
        self
    }

    /// The broker settings with the smaller of the two message size limits
    /// ([`BrokerConfig::max_message_bytes`], [`Limits::max_message_bytes`]), so that setting
    /// either one bounds what is read before it is queued.
    #[cfg(any(feature = "redis", feature = "amqp"))]
    fn broker_config(&self) -> BrokerConfig {
        let mut b = self.broker.clone();
        b.max_message_bytes = b.max_message_bytes.min(self.limits.max_message_bytes);
        b
    }
}

/// A cluster manager over any [`Broker`]: see the [module docs](self).
///
/// ```no_run
/// # #[cfg(feature = "redis")]
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use socketio::adapter::{ManagerConfig, RedisManager};
///
/// let manager = RedisManager::connect("redis://127.0.0.1:6379/0", ManagerConfig::default()).await?;
/// let io = socketio::SocketIo::builder().manager(Arc::new(manager)).build()?;
/// io.emit("news", "to every client of every server").ok();
/// # Ok(()) }
/// ```
pub struct PubSubManager<B: Broker> {
    broker: Arc<B>,
    host_id: String,
    tx: mpsc::Sender<Bytes>,
    subscription: Mutex<Option<Subscription>>,
    link: watch::Receiver<LinkState>,
    limits: Limits,
    handle: tokio::runtime::Handle,
    dropped: Arc<AtomicU64>,
    /// Dropping it (with the manager) stops the listener task.
    _stop: watch::Sender<()>,
}

impl<B: Broker> std::fmt::Debug for PubSubManager<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PubSubManager")
            .field("host_id", &self.host_id)
            .finish_non_exhaustive()
    }
}

/// python-socketio-compatible manager on Redis pub/sub (feature `redis`).
#[cfg(feature = "redis")]
pub type RedisManager = PubSubManager<super::redis::RedisBroker>;

/// python-socketio-compatible manager on an AMQP fanout exchange (feature `amqp`).
#[cfg(feature = "amqp")]
pub type AmqpManager = PubSubManager<super::amqp::AmqpBroker>;

#[cfg(feature = "redis")]
impl PubSubManager<super::redis::RedisBroker> {
    /// Connect to Redis at `url` (`redis://[user:password@]host[:port][/db]`, `unix://…`) and
    /// subscribe to `config.broker.channel`. Fails if Redis cannot be reached.
    pub async fn connect(url: &str, config: ManagerConfig) -> Result<Self, BrokerError> {
        let broker = super::redis::RedisBroker::connect(url, config.broker_config()).await?;
        Self::new(broker, config).await
    }
}

#[cfg(feature = "amqp")]
impl PubSubManager<super::amqp::AmqpBroker> {
    /// Connect to the AMQP broker at `url` (`amqp://user:password@host:port/vhost`), declare
    /// the fanout exchange `config.broker.channel` and bind a private queue to it. Fails if the
    /// broker cannot be reached.
    pub async fn connect(url: &str, config: ManagerConfig) -> Result<Self, BrokerError> {
        let broker = super::amqp::AmqpBroker::connect(url, config.broker_config()).await?;
        Self::new(broker, config).await
    }
}

impl<B: Broker> PubSubManager<B> {
    /// A manager over a connected broker: subscribes now (so messages published from now on
    /// are received once the server is built) and starts the publisher task. Must be called
    /// inside a tokio runtime.
    pub async fn new(broker: B, config: ManagerConfig) -> Result<Self, BrokerError> {
        let broker = Arc::new(broker);
        let subscription = broker.subscribe().await?;
        let link = subscription.state_watch();
        let (tx, rx) = mpsc::channel(config.publish_queue.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let handle = tokio::runtime::Handle::current();
        handle.spawn(run_publisher(broker.clone(), rx));
        let (stop, _) = watch::channel(());
        Ok(Self {
            broker,
            host_id: pubsub::new_host_id(),
            tx,
            subscription: Mutex::new(Some(subscription)),
            link,
            limits: config.limits,
            handle,
            dropped,
            _stop: stop,
        })
    }

    /// The broker.
    pub fn broker(&self) -> &B {
        &self.broker
    }

    /// The state of the subscription (connected, or reconnecting after a broker outage).
    pub fn link_state(&self) -> watch::Receiver<LinkState> {
        self.link.clone()
    }

    /// Messages dropped because the publish queue was full.
    pub fn dropped_messages(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// At most this many queued messages go to the broker in one [`Broker::publish_batch`].
const PUBLISH_BATCH: usize = 64;

/// Publishes the queued messages in order. What queued up while the previous publish was in
/// flight goes in one batch (for Redis one pipeline: one write, one round trip), so a burst
/// of local emits reaches Redis, and from it the other servers, in one piece: they then
/// deliver it to their sockets in one write each instead of one write per message.
async fn run_publisher<B: Broker>(broker: Arc<B>, mut rx: mpsc::Receiver<Bytes>) {
    let mut lost = 0u64;
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, PUBLISH_BATCH).await > 0 {
        let n = batch.len();
        let (done, result) = if n == 1 {
            match batch.pop() {
                Some(payload) => {
                    let r = broker.publish(payload).await;
                    (usize::from(r.is_ok()), r)
                }
                None => (0, Ok(())),
            }
        } else {
            broker.publish_batch(std::mem::take(&mut batch)).await
        };
        batch.clear();
        let done = done.min(n);
        for _ in 0..done {
            metrics::published();
        }
        if done > 0 && lost > 0 {
            tracing::warn!(lost, "cluster publishing restored; messages were lost");
            lost = 0;
        }
        if let Err(e) = result {
            for _ in done..n {
                metrics::publish_error(PublishError::Broker);
            }
            if lost == 0 {
                tracing::warn!(error = %e, "cannot publish to the cluster; message lost");
            }
            lost = lost.saturating_add((n - done) as u64);
        }
    }
}

async fn run_listener(
    mut sub: Subscription,
    sink: Arc<dyn RemoteSink>,
    host_id: String,
    limits: Limits,
    mut stop: watch::Receiver<()>,
) {
    loop {
        let payload = tokio::select! {
            _ = stop.changed() => return,
            p = sub.recv() => match p {
                Some(p) => p,
                None => return,
            },
        };
        let decoded = pubsub::decode_for(&payload, &limits, &host_id);
        match &decoded {
            Ok(_) => metrics::received(),
            Err(_) => metrics::receive_error(ReceiveError::Decode),
        }
        match decoded {
            Ok(Some(env)) => sink.apply(env),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "skipping a cluster message"),
        }
    }
}

impl<B: Broker> Manager for PubSubManager<B> {
    fn host_id(&self) -> &str {
        &self.host_id
    }

    fn publish(&self, env: Envelope) {
        let payload = Bytes::from(pubsub::encode(&env));
        match self.tx.try_send(payload) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                metrics::publish_error(PublishError::QueueFull);
                let n = self.dropped.fetch_add(1, Ordering::Relaxed);
                if n.is_power_of_two() || n == 0 {
                    tracing::warn!(
                        dropped = n + 1,
                        "cluster publish queue full; message dropped"
                    );
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                metrics::publish_error(PublishError::Stopped);
                tracing::warn!("cluster publisher stopped; message dropped");
            }
        }
    }

    fn start(&self, sink: Arc<dyn RemoteSink>) {
        let sub = match self.subscription.lock() {
            Ok(mut g) => g.take(),
            Err(p) => p.into_inner().take(),
        };
        match sub {
            Some(sub) => {
                self.handle.spawn(run_listener(
                    sub,
                    sink,
                    self.host_id.clone(),
                    self.limits,
                    self._stop.subscribe(),
                ));
            }
            None => tracing::warn!("cluster manager started twice; ignored"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Write-only emitter
// ---------------------------------------------------------------------------------------------

/// Why an [`Emitter`] operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitterError {
    /// The data could not be serialized.
    Serialize(String),
    /// The broker did not take the message.
    Broker(BrokerError),
}

impl std::fmt::Display for EmitterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Serialize(e) => write!(f, "cannot serialize the payload: {e}"),
            Self::Broker(e) => write!(f, "cannot publish: {e}"),
        }
    }
}

impl std::error::Error for EmitterError {}

impl From<BrokerError> for EmitterError {
    fn from(e: BrokerError) -> Self {
        Self::Broker(e)
    }
}

/// A write-only member of a cluster (python's `write_only=True` manager): a worker process
/// that is not a server publishes emits and room changes that the servers apply to their
/// clients. Each call publishes one message and waits until the broker took it.
///
/// ```no_run
/// # #[cfg(feature = "redis")]
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use socketio::adapter::Emitter;
/// use socketio::adapter::broker::BrokerConfig;
///
/// let emitter = Emitter::redis("redis://127.0.0.1:6379/0", BrokerConfig::default()).await?;
/// emitter.of("/chat").to("lobby").emit("news", &("hello", 42)).await?;
/// emitter.of("/chat").close_room("lobby").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Emitter {
    broker: Arc<dyn Broker>,
    host_id: Arc<str>,
}

impl std::fmt::Debug for Emitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emitter")
            .field("host_id", &self.host_id)
            .finish_non_exhaustive()
    }
}

impl Emitter {
    /// An emitter publishing through `broker`.
    pub fn new(broker: impl Broker) -> Self {
        Self {
            broker: Arc::new(broker),
            host_id: Arc::from(pubsub::new_host_id()),
        }
    }

    /// An emitter on Redis (feature `redis`).
    #[cfg(feature = "redis")]
    pub async fn redis(url: &str, config: BrokerConfig) -> Result<Self, BrokerError> {
        Ok(Self::new(
            super::redis::RedisBroker::connect(url, config).await?,
        ))
    }

    /// An emitter on an AMQP fanout exchange (feature `amqp`).
    #[cfg(feature = "amqp")]
    pub async fn amqp(url: &str, config: BrokerConfig) -> Result<Self, BrokerError> {
        Ok(Self::new(
            super::amqp::AmqpBroker::connect(url, config).await?,
        ))
    }

    /// The host id this emitter publishes under.
    pub fn host_id(&self) -> &str {
        &self.host_id
    }

    /// Operations on namespace `ns`.
    pub fn of(&self, ns: impl Into<String>) -> EmitterOperator {
        let mut namespace: String = ns.into();
        if !namespace.starts_with('/') {
            namespace.insert(0, '/');
        }
        EmitterOperator {
            emitter: self.clone(),
            namespace,
            rooms: Vec::new(),
            skip: Vec::new(),
        }
    }

    /// Target a room (or a sid) of the main namespace `/`.
    pub fn to(&self, room: impl Into<String>) -> EmitterOperator {
        self.of("/").to(room)
    }

    /// Emit to every client of the main namespace `/`, on every server.
    pub async fn emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitterError> {
        self.of("/").emit(event, data).await
    }

    async fn publish(&self, operation: Operation) -> Result<(), EmitterError> {
        let env = Envelope {
            host_id: self.host_id.to_string(),
            operation,
        };
        let r = self.broker.publish(Bytes::from(pubsub::encode(&env))).await;
        match &r {
            Ok(()) => metrics::published(),
            Err(_) => metrics::publish_error(PublishError::Broker),
        }
        r.map_err(EmitterError::from)
    }
}

/// Targets of an [`Emitter`] in one namespace.
#[derive(Debug, Clone)]
#[must_use = "an operator does nothing until an operation is awaited"]
pub struct EmitterOperator {
    emitter: Emitter,
    namespace: String,
    rooms: Vec<String>,
    skip: Vec<String>,
}

impl EmitterOperator {
    /// Add a room (or sid) to the recipients.
    pub fn to(mut self, room: impl Into<String>) -> Self {
        self.rooms.push(room.into());
        self
    }

    /// Exclude a socket.
    pub fn skip_sid(mut self, sid: impl Into<String>) -> Self {
        self.skip.push(sid.into());
        self
    }

    /// Emit `event` with `data` (a tuple is several arguments, `()` none, anything else one;
    /// bytes become binary attachments) to the targeted clients of every server.
    pub async fn emit<T: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitterError> {
        let args =
            Args::from_serialize(data).map_err(|e| EmitterError::Serialize(e.to_string()))?;
        self.emitter
            .publish(Operation::Emit {
                event: event.to_owned(),
                args: PackedArgs::from_args(&args),
                namespace: self.namespace.clone(),
                room: OneOrMany::from_names(&self.rooms),
                skip_sid: OneOrMany::from_names(&self.skip),
                callback: None,
            })
            .await
    }

    /// Add socket `sid` (wherever it is connected) to `room`.
    pub async fn enter_room(&self, sid: &str, room: &str) -> Result<(), EmitterError> {
        self.emitter
            .publish(Operation::EnterRoom {
                sid: sid.to_owned(),
                namespace: self.namespace.clone(),
                room: room.to_owned(),
            })
            .await
    }

    /// Remove socket `sid` from `room`.
    pub async fn leave_room(&self, sid: &str, room: &str) -> Result<(), EmitterError> {
        self.emitter
            .publish(Operation::LeaveRoom {
                sid: sid.to_owned(),
                namespace: self.namespace.clone(),
                room: room.to_owned(),
            })
            .await
    }

    /// Remove every socket from `room`, on every server.
    pub async fn close_room(&self, room: &str) -> Result<(), EmitterError> {
        self.emitter
            .publish(Operation::CloseRoom {
                room: room.to_owned(),
                namespace: self.namespace.clone(),
            })
            .await
    }

    /// Disconnect socket `sid` from this namespace, wherever it is connected.
    pub async fn disconnect(&self, sid: &str) -> Result<(), EmitterError> {
        self.emitter
            .publish(Operation::Disconnect {
                sid: sid.to_owned(),
                namespace: self.namespace.clone(),
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use crate::adapter::broker::BoxFuture;
    use tokio::sync::Notify;

    /// An in-memory broker: a broadcast bus shared by every clone.
    #[derive(Clone)]
    struct Bus {
        tx: tokio::sync::broadcast::Sender<Bytes>,
        /// When set, `publish` waits for a notification before returning.
        gate: Option<Arc<(Notify, Notify)>>,
        /// The size of each `publish_batch`, in order.
        batches: Arc<Mutex<Vec<usize>>>,
    }

    impl Bus {
        fn new() -> Self {
            Self {
                tx: tokio::sync::broadcast::channel(64).0,
                gate: None,
                batches: Arc::default(),
            }
        }
    }

    impl Broker for Bus {
        fn publish(&self, payload: Bytes) -> BoxFuture<'_, Result<(), BrokerError>> {
            Box::pin(async move {
                if let Some(gate) = &self.gate {
                    gate.0.notify_one();
                    gate.1.notified().await;
                }
                let _ = self.tx.send(payload);
                Ok(())
            })
        }

        fn publish_batch(
            &self,
            payloads: Vec<Bytes>,
        ) -> BoxFuture<'_, (usize, Result<(), BrokerError>)> {
            if let Ok(mut b) = self.batches.lock() {
                b.push(payloads.len());
            }
            let n = payloads.len();
            for payload in payloads {
                let _ = self.tx.send(payload);
            }
            Box::pin(std::future::ready((n, Ok(()))))
        }

        fn subscribe(&self) -> BoxFuture<'_, Result<Subscription, BrokerError>> {
            let mut rx = self.tx.subscribe();
            Box::pin(async move {
                let (tx, srx) = mpsc::channel(64);
                tokio::spawn(async move {
                    while let Ok(m) = rx.recv().await {
                        if tx.send(m).await.is_err() {
                            return;
                        }
                    }
                });
                Ok(Subscription::from_parts(
                    srx,
                    watch::channel(LinkState::Connected).1,
                ))
            })
        }
    }

    struct Collect(mpsc::UnboundedSender<Envelope>);
    impl RemoteSink for Collect {
        fn apply(&self, env: Envelope) {
            let _ = self.0.send(env);
        }
    }

    fn close_room(host: &str, room: &str) -> Envelope {
        Envelope {
            host_id: host.into(),
            operation: Operation::CloseRoom {
                room: room.into(),
                namespace: "/".into(),
            },
        }
    }

    #[tokio::test]
    async fn peers_receive_in_order_and_never_their_own_messages() {
        let bus = Bus::new();
        let a = PubSubManager::new(bus.clone(), ManagerConfig::default())
            .await
            .unwrap();
        let b = PubSubManager::new(bus.clone(), ManagerConfig::default())
            .await
            .unwrap();
        let (atx, mut arx) = mpsc::unbounded_channel();
        let (btx, mut brx) = mpsc::unbounded_channel();
        a.start(Arc::new(Collect(atx)));
        b.start(Arc::new(Collect(btx)));
        for i in 0..20 {
            a.publish(close_room(a.host_id(), &i.to_string()));
        }
        // garbage on the channel is skipped, the listener goes on
        bus.publish(Bytes::from_static(b"\x93garbage"))
            .await
            .unwrap();
        bus.publish(Bytes::from_static(b"{\"method\":\"nope\"}"))
            .await
            .unwrap();
        b.publish(close_room(b.host_id(), "from-b"));
        for i in 0..20 {
            let env = brx.recv().await.unwrap();
            assert_eq!(env, close_room(a.host_id(), &i.to_string()));
        }
        // a sees only b's message: its own 20 were skipped, the garbage too
        assert_eq!(arx.recv().await.unwrap(), close_room(b.host_id(), "from-b"));
        assert!(arx.try_recv().is_err());
    }

    #[tokio::test]
    async fn callback_goes_only_to_the_host_it_names() {
        let bus = Bus::new();
        let a = PubSubManager::new(bus.clone(), ManagerConfig::default())
            .await
            .unwrap();
        let b = PubSubManager::new(bus.clone(), ManagerConfig::default())
            .await
            .unwrap();
        let c = PubSubManager::new(bus.clone(), ManagerConfig::default())
            .await
            .unwrap();
        let (atx, mut arx) = mpsc::unbounded_channel();
        let (ctx, mut crx) = mpsc::unbounded_channel();
        a.start(Arc::new(Collect(atx)));
        c.start(Arc::new(Collect(ctx)));
        let cb = Envelope {
            host_id: a.host_id().into(),
            operation: Operation::Callback {
                sid: "s".into(),
                namespace: "/".into(),
                id: 1,
                args: PackedArgs::json("[1]"),
            },
        };
        b.publish(cb.clone());
        b.publish(close_room(b.host_id(), "after"));
        assert_eq!(arx.recv().await.unwrap(), cb);
        // c skipped the callback and saw the next message
        assert_eq!(crx.recv().await.unwrap(), close_room(b.host_id(), "after"));
    }

    #[tokio::test]
    async fn messages_queued_during_a_publish_go_in_one_batch_in_order() {
        let gate = Arc::new((Notify::new(), Notify::new()));
        let bus = Bus {
            gate: Some(gate.clone()),
            ..Bus::new()
        };
        let a = PubSubManager::new(bus.clone(), ManagerConfig::default())
            .await
            .unwrap();
        let b = PubSubManager::new(bus.clone(), ManagerConfig::default())
            .await
            .unwrap();
        let (btx, mut brx) = mpsc::unbounded_channel();
        b.start(Arc::new(Collect(btx)));
        // The publisher takes the first message and blocks in the broker; three more queue.
        a.publish(close_room(a.host_id(), "0"));
        gate.0.notified().await;
        for i in 1..=3 {
            a.publish(close_room(a.host_id(), &i.to_string()));
        }
        gate.1.notify_one();
        for i in 0..=3 {
            let env = brx.recv().await.unwrap();
            assert_eq!(env, close_room(a.host_id(), &i.to_string()));
        }
        assert_eq!(*bus.batches.lock().unwrap(), vec![3]);
    }

    #[tokio::test]
    async fn publish_queue_limit_drops_at_limit_plus_one() {
        let gate = Arc::new((Notify::new(), Notify::new()));
        let bus = Bus {
            gate: Some(gate.clone()),
            ..Bus::new()
        };
        let config = ManagerConfig {
            publish_queue: 3,
            ..ManagerConfig::default()
        };
        let m = PubSubManager::new(bus, config).await.unwrap();
        // The publisher task takes the first message and blocks in the broker.
        m.publish(close_room(m.host_id(), "0"));
        gate.0.notified().await;
        for i in 1..=3 {
            m.publish(close_room(m.host_id(), &i.to_string()));
        }
        assert_eq!(m.dropped_messages(), 0);
        m.publish(close_room(m.host_id(), "4"));
        assert_eq!(m.dropped_messages(), 1);
    }

    #[test]
    fn manager_backoff_is_capped_at_five_seconds() {
        let c = ManagerConfig::with_channel("x");
        assert_eq!(c.broker.channel, "x");
        assert_eq!(c.broker.backoff.max, Duration::from_secs(5));
        assert_eq!(c.broker.backoff.delay(10, 0.0), Duration::from_secs(5));
    }

    #[tokio::test]
    async fn emitter_publishes_python_messages() {
        let bus = Bus::new();
        let mut rx = bus.subscribe().await.unwrap();
        let e = Emitter::new(bus.clone());
        e.of("chat")
            .to("r1")
            .skip_sid("s1")
            .emit("ev", &("a", Bytes::from_static(b"\x01")))
            .await
            .unwrap();
        e.of("/chat").enter_room("s2", "r2").await.unwrap();
        e.of("/").disconnect("s3").await.unwrap();
        let env = pubsub::decode(&rx.recv().await.unwrap()).unwrap();
        assert_eq!(env.host_id, e.host_id());
        assert_eq!(
            env.operation,
            Operation::Emit {
                event: "ev".into(),
                args: PackedArgs::with_attachments(
                    r#"["a",{"_placeholder":true,"num":0}]"#,
                    vec![Bytes::from_static(b"\x01")],
                ),
                namespace: "/chat".into(),
                room: Some(OneOrMany::One("r1".into())),
                skip_sid: Some(OneOrMany::One("s1".into())),
                callback: None,
            }
        );
        let env = pubsub::decode(&rx.recv().await.unwrap()).unwrap();
        assert_eq!(
            env.operation,
            Operation::EnterRoom {
                sid: "s2".into(),
                namespace: "/chat".into(),
                room: "r2".into()
            }
        );
        let env = pubsub::decode(&rx.recv().await.unwrap()).unwrap();
        assert_eq!(env.operation.method(), "disconnect");
    }
}
