//! The message-broker seam of the pub/sub cluster adapter: publish bytes on a shared channel,
//! and receive every message published on it, across broker outages.
//!
//! A [`Broker`] moves opaque payloads (the JSON text of [`crate::adapter::pubsub`]); it does not
//! look inside them. Implementations: `adapter::redis::RedisBroker` (feature `redis`)
//! and `adapter::amqp::AmqpBroker` (feature `amqp`).
//!
//! Behaviour every implementation follows:
//! * **Connecting at start** tries [`BrokerConfig::connect_attempts`] times, each bounded by
//!   [`BrokerConfig::connect_timeout`], with [`Backoff`] between tries, then fails with
//!   [`BrokerError::Connect`].
//! * **Receiving** ([`Broker::subscribe`]) goes on across outages: when the link drops, a
//!   background task reconnects with exponential [`Backoff`] (default 1 s doubling to 30 s,
//!   with jitter) and subscribes again by itself; [`Subscription::state`] tells which side of
//!   an outage it is on. It stops when the [`Subscription`] is dropped.
//! * **Publishing** ([`Broker::publish`]) never hangs: every call is bounded by
//!   [`BrokerConfig::connect_timeout`] plus [`BrokerConfig::publish_timeout`]. While the broker
//!   is known to be down, calls fail at once with [`BrokerError::Disconnected`]; a new
//!   connection is attempted at most once per backoff delay.
//!
//! What this cannot promise: pub/sub is fire-and-forget. A message published during an outage
//! is lost (the error says so), and a subscriber that is reconnecting misses what was
//! published meanwhile. There is no replay and no delivery guarantee across reconnects.
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # async fn demo() -> Result<(), socketio::adapter::broker::BrokerError> {
//! use socketio::adapter::broker::{Broker, BrokerConfig};
//! use socketio::adapter::redis::RedisBroker;
//!
//! let broker = RedisBroker::connect("redis://127.0.0.1:6379/0", BrokerConfig::default()).await?;
//! let mut sub = broker.subscribe().await?;
//! broker.publish(bytes::Bytes::from_static(b"{\"method\":\"close_room\",\"room\":\"r\"}")).await?;
//! while let Some(payload) = sub.recv().await {
//!     println!("{}", String::from_utf8_lossy(&payload));
//! }
//! # Ok(())
//! # }
//! ```

// The shared machinery below is used by the broker implementations, which are behind features.
#![cfg_attr(not(any(feature = "redis", feature = "amqp")), allow(dead_code))]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

pub use crate::sync::BoxFuture;

/// A message broker shared by the servers of a cluster: one channel, every message to every
/// subscriber. Object safe: use it as `Arc<dyn Broker>`.
pub trait Broker: Send + Sync + 'static {
    /// Publish one payload on the channel. Bounded in time; fails fast while the broker is
    /// down (the payload is then lost).
    fn publish(&self, payload: Bytes) -> BoxFuture<'_, Result<(), BrokerError>>;

    /// Publish several payloads, in order, as one operation where the broker allows it (Redis:
    /// one pipeline, so one write and one round trip for all of them). Bounded in time like
    /// [`publish`](Self::publish). Resolves to how many payloads were published (the first
    /// ones) and the error that stopped the others, if any; those others are lost.
    ///
    /// The default publishes them one by one with [`publish`](Self::publish).
    fn publish_batch(
        &self,
        payloads: Vec<Bytes>,
    ) -> BoxFuture<'_, (usize, Result<(), BrokerError>)> {
        Box::pin(one_by_one(payloads, move |payload| self.publish(payload)))
    }

    /// Subscribe to the channel. Fails if the broker cannot be reached within the start-up
    /// retry budget; afterwards the subscription survives outages by itself.
    fn subscribe(&self) -> BoxFuture<'_, Result<Subscription, BrokerError>>;
}

/// Why a broker operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrokerError {
    /// The broker URL could not be parsed or names an unknown scheme.
    InvalidUrl(String),
    /// The URL asks for something this build does not support (for example TLS).
    Unsupported(String),
    /// The channel name cannot be used with this broker.
    InvalidChannel(String),
    /// The broker could not be reached at start.
    Connect {
        /// How many attempts were made.
        attempts: u32,
        /// The last error.
        last: String,
    },
    /// The link to the broker is down (reconnection pending); the payload was not published.
    Disconnected,
    /// An operation did not finish in time.
    Timeout(&'static str),
    /// The broker or its client library reported an error.
    Broker(String),
    /// TLS to the broker failed: its certificate is not trusted or does not name the host, a
    /// client certificate is required or refused, or a certificate file cannot be read. Not
    /// retried at start (retrying does not fix a certificate).
    Tls {
        /// The broker (`host:port`) or the file concerned.
        host: String,
        /// Why, in words (for example `certificate not trusted (UnknownIssuer)`).
        reason: String,
    },
}

impl fmt::Display for BrokerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl(m) => write!(f, "invalid broker url: {m}"),
            Self::Unsupported(m) => write!(f, "unsupported broker url: {m}"),
            Self::InvalidChannel(m) => write!(f, "invalid channel name: {m}"),
            Self::Connect { attempts, last } => {
                write!(
                    f,
                    "cannot connect to the broker after {attempts} attempt(s): {last}"
                )
            }
            Self::Disconnected => f.write_str("not connected to the broker"),
            Self::Timeout(what) => write!(f, "broker {what} timed out"),
            Self::Broker(m) => write!(f, "broker error: {m}"),
            Self::Tls { host, reason } => write!(f, "TLS with {host} failed: {reason}"),
        }
    }
}

impl std::error::Error for BrokerError {}

/// Exponential reconnection delay: `initial`, doubling up to `max`, each delay shortened by a
/// random fraction of at most `jitter` so that servers that lost the broker together do not
/// come back in lock step.
///
/// `#[non_exhaustive]`: outside this crate, start from `Backoff::default()` and assign fields.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Backoff {
    /// First delay. Default 1 s.
    pub initial: Duration,
    /// Largest delay. Default 30 s.
    pub max: Duration,
    /// Fraction (0.0 to 1.0) of each delay that is randomised. Default 0.2.
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(30),
            jitter: 0.2,
        }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (0-based), with `random` in `[0, 1)` picking
    /// the jitter. Always within `[(1 - jitter) * d, d]` where `d = min(initial * 2^attempt, max)`.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let base = self
            .initial
            .saturating_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX));
        let base = base.min(self.max);
        let jitter = self.jitter.clamp(0.0, 1.0) * random.clamp(0.0, 1.0);
        base.mul_f64(1.0 - jitter)
    }

    fn random_delay(&self, attempt: u32) -> Duration {
        use rand::Rng as _;
        self.delay(attempt, rand::rng().random::<f64>())
    }
}

/// TLS settings for `rediss://`, `valkeys://` and `amqps://` brokers (feature `tls`). A plain
/// URL ignores them.
///
/// By default the broker's certificate is checked against the system's roots (the platform
/// store, read with `rustls-native-certs`) and must name the host of the URL. Values given in
/// the URL (`?ssl_ca_certs=`, `ssl_certfile=`, `ssl_keyfile=`, as redis-py and kombu name
/// them) replace the ones set here.
///
/// `#[non_exhaustive]`: start from `TlsOptions::default()` and use the builder methods.
///
/// ```
/// use socketio::adapter::broker::TlsOptions;
///
/// let tls = TlsOptions::default()
///     .ca_file("/etc/ssl/private-ca.pem")
///     .client_cert("/etc/ssl/me.pem", "/etc/ssl/me.key");
/// assert!(tls.system_roots);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsOptions {
    /// A PEM file of CA certificates trusted for the broker's certificate, in addition to the
    /// system roots (unless [`TlsOptions::system_roots`] is off). Default none.
    pub ca_file: Option<std::path::PathBuf>,
    /// The client certificate chain (PEM) presented to a broker that asks for one. Needs
    /// [`TlsOptions::client_key`]. Default none.
    pub client_cert: Option<std::path::PathBuf>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1) of [`TlsOptions::client_cert`].
    pub client_key: Option<std::path::PathBuf>,
    /// Whether the system's roots are trusted. Default `true`.
    pub system_roots: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        Self {
            ca_file: None,
            client_cert: None,
            client_key: None,
            system_roots: true,
        }
    }
}

impl TlsOptions {
    /// Trust the CA certificates of this PEM file (besides the system roots).
    pub fn ca_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Present this client certificate chain and key (both PEM files).
    pub fn client_cert(
        mut self,
        cert: impl Into<std::path::PathBuf>,
        key: impl Into<std::path::PathBuf>,
    ) -> Self {
        self.client_cert = Some(cert.into());
        self.client_key = Some(key.into());
        self
    }

    /// Trust the system's roots (`true`, the default) or only [`TlsOptions::ca_file`].
    pub fn system_roots(mut self, on: bool) -> Self {
        self.system_roots = on;
        self
    }
}

/// Settings shared by the broker implementations.
///
/// `#[non_exhaustive]`: outside this crate, start from `BrokerConfig::default()` and assign fields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BrokerConfig {
    /// Redis channel, or AMQP exchange, carrying every namespace. Default `socketio`, as
    /// python-socketio.
    pub channel: String,
    /// Reconnection delays (subscriber and publisher).
    pub backoff: Backoff,
    /// Bound on one connection attempt (TCP, handshake, subscribe/declare). Default 5 s.
    pub connect_timeout: Duration,
    /// Attempts made at start before [`BrokerError::Connect`]. Default 3.
    pub connect_attempts: u32,
    /// Bound on one publish once connected. Default 2 s.
    pub publish_timeout: Duration,
    /// Messages buffered between the broker link and the [`Subscription`] reader. When full,
    /// reading from the broker pauses until the reader catches up. Default 1024.
    pub queue_capacity: usize,
    /// How often an idle subscriber link is checked (Redis `PING`, AMQP heartbeat), so that a
    /// silently dead link is noticed. Default 15 s.
    pub health_check_interval: Duration,
    /// Largest message read from the broker, in bytes. A larger one is dropped (logged at
    /// `warn`) before it is queued for the [`Subscription`] reader, so the queue holds at most
    /// `queue_capacity` × `max_message_bytes`; the Redis broker drops it before copying it out
    /// of the client's read buffer. At the limit a message is delivered. Default 8 MiB (the
    /// pub/sub decoder's [`Limits::max_message_bytes`](super::pubsub::Limits); a
    /// [`ManagerConfig`](super::ManagerConfig) uses the smaller of the two).
    ///
    /// What the client libraries hold before we see a message: redis-rs reads a whole RESP
    /// push into its buffer (Redis itself disconnects a subscriber whose output buffer passes
    /// `client-output-buffer-limit pubsub`, 32 MB by default); amqprs assembles a whole
    /// delivery from its body frames (RabbitMQ refuses publishes over `max_message_size`,
    /// 16 MiB by default since 4.0) and holds at most `queue_capacity` unacknowledged
    /// deliveries (the consumer's prefetch). Bound those on the broker.
    pub max_message_bytes: usize,
    /// TLS settings, used by `rediss://`, `valkeys://` and `amqps://` URLs (feature `tls`).
    pub tls: TlsOptions,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            channel: "socketio".to_owned(),
            backoff: Backoff::default(),
            connect_timeout: Duration::from_secs(5),
            connect_attempts: 3,
            publish_timeout: Duration::from_secs(2),
            queue_capacity: 1024,
            health_check_interval: Duration::from_secs(15),
            max_message_bytes: 8 * 1024 * 1024,
            tls: TlsOptions::default(),
        }
    }
}

impl BrokerConfig {
    /// The default settings on another channel.
    pub fn with_channel(channel: impl Into<String>) -> Self {
        Self {
            channel: channel.into(),
            ..Self::default()
        }
    }

    /// These TLS settings (see [`TlsOptions`]).
    ///
    /// ```
    /// use socketio::adapter::broker::{BrokerConfig, TlsOptions};
    ///
    /// let config = BrokerConfig::with_channel("socketio")
    ///     .tls(TlsOptions::default().ca_file("/etc/ssl/private-ca.pem"));
    /// assert!(config.tls.ca_file.is_some());
    /// ```
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = tls;
        self
    }
}

/// Which side of an outage a [`Subscription`] is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Subscribed: messages published now are received.
    Connected,
    /// The link dropped; reconnecting with backoff. Messages published now are lost.
    Reconnecting,
}

/// The receiving side of a broker channel: every payload published on it, in order, across
/// reconnections. Dropping it stops the background task and closes the link.
#[derive(Debug)]
pub struct Subscription {
    messages: mpsc::Receiver<Bytes>,
    state: watch::Receiver<LinkState>,
}

impl Subscription {
    /// A subscription fed by a broker implementation of your own: `messages` carries the
    /// payloads, `state` tells which side of an outage the link is on.
    pub fn from_parts(messages: mpsc::Receiver<Bytes>, state: watch::Receiver<LinkState>) -> Self {
        Self { messages, state }
    }

    /// The next payload; `None` only if the background task ended (it does not on its own).
    pub async fn recv(&mut self) -> Option<Bytes> {
        self.messages.recv().await
    }

    /// The current link state.
    pub fn state(&self) -> LinkState {
        *self.state.borrow()
    }

    /// A watch on the link state (to log outages or wait for a reconnection).
    pub fn state_watch(&self) -> watch::Receiver<LinkState> {
        self.state.clone()
    }

    /// Split into the payload receiver and the state watch.
    pub fn into_parts(self) -> (mpsc::Receiver<Bytes>, watch::Receiver<LinkState>) {
        (self.messages, self.state)
    }
}

// ---------------------------------------------------------------------------------------------
// Shared machinery for implementations
// ---------------------------------------------------------------------------------------------

/// Payloads received on one connection; the stream ends when the connection is lost.
pub(crate) type MessageStream = Pin<Box<dyn Stream<Item = Bytes> + Send>>;

/// Opens one subscriber connection.
pub(crate) type Connector =
    Arc<dyn Fn() -> BoxFuture<'static, Result<MessageStream, BrokerError>> + Send + Sync>;

/// Run `attempt` up to `config.connect_attempts` times with backoff in between.
pub(crate) async fn connect_with_retries<T, F, Fut>(
    config: &BrokerConfig,
    mut attempt: F,
) -> Result<T, BrokerError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, BrokerError>>,
{
    let attempts = config.connect_attempts.max(1);
    let mut last = String::new();
    for n in 0..attempts {
        if n > 0 {
            tokio::time::sleep(config.backoff.random_delay(n - 1)).await;
        }
        match tokio::time::timeout(config.connect_timeout, attempt()).await {
            Ok(Ok(v)) => return Ok(v),
            // a certificate does not get better by retrying: say so at once
            Ok(Err(e @ BrokerError::Tls { .. })) => return Err(e),
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = BrokerError::Timeout("connect").to_string(),
        }
        tracing::debug!(attempt = n + 1, error = %last, "broker connection attempt failed");
    }
    Err(BrokerError::Connect { attempts, last })
}

/// Connect a subscriber (with the start-up retry budget) and keep it going in a background
/// task that reconnects with backoff whenever the stream ends.
pub(crate) async fn start_subscription(
    config: &BrokerConfig,
    connector: Connector,
) -> Result<Subscription, BrokerError> {
    let first = connect_with_retries(config, || connector()).await?;
    let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
    let (state_tx, state_rx) = watch::channel(LinkState::Connected);
    tokio::spawn(run_subscription(
        first,
        connector,
        tx,
        state_tx,
        config.clone(),
    ));
    Ok(Subscription {
        messages: rx,
        state: state_rx,
    })
}

async fn run_subscription(
    mut stream: MessageStream,
    connector: Connector,
    tx: mpsc::Sender<Bytes>,
    state: watch::Sender<LinkState>,
    config: BrokerConfig,
) {
    loop {
        // Pump one connection until it ends or the reader goes away.
        loop {
            tokio::select! {
                _ = tx.closed() => return,
                item = stream.next() => match item {
                    Some(payload) if payload.len() > config.max_message_bytes => {
                        super::metrics::receive_error(super::metrics::ReceiveError::TooLarge);
                        tracing::warn!(
                            channel = %config.channel,
                            size = payload.len(),
                            limit = config.max_message_bytes,
                            "broker message over max_message_bytes dropped"
                        );
                    }
                    Some(payload) => {
                        if tx.send(payload).await.is_err() {
                            return;
                        }
                    }
                    None => break,
                },
            }
        }
        drop(stream);
        state.send_replace(LinkState::Reconnecting);
        tracing::warn!(channel = %config.channel, "lost the broker subscription, reconnecting");
        let mut attempt = 0u32;
        stream = loop {
            let delay = config.backoff.random_delay(attempt);
            tokio::select! {
                _ = tx.closed() => return,
                _ = tokio::time::sleep(delay) => {}
            }
            let result = tokio::select! {
                _ = tx.closed() => return,
                r = tokio::time::timeout(config.connect_timeout, connector()) => r,
            };
            match result {
                Ok(Ok(s)) => break s,
                Ok(Err(e)) => tracing::debug!(error = %e, "broker reconnection failed"),
                Err(_) => tracing::debug!("broker reconnection timed out"),
            }
            attempt = attempt.saturating_add(1);
        };
        state.send_replace(LinkState::Connected);
        super::metrics::reconnected(super::metrics::Link::Subscription);
        tracing::info!(channel = %config.channel, "broker subscription restored");
    }
}

/// A publishing connection, cheap to clone.
pub(crate) trait PublishLink: Clone + Send + Sync + 'static {
    /// Send one payload.
    fn send(&self, payload: Bytes) -> BoxFuture<'static, Result<(), BrokerError>>;

    /// Send several payloads in order: how many were sent (the first ones), and the error that
    /// stopped the others. The default sends them one by one.
    fn send_batch(
        &self,
        payloads: Vec<Bytes>,
    ) -> BoxFuture<'static, (usize, Result<(), BrokerError>)> {
        let link = self.clone();
        Box::pin(async move { one_by_one(payloads, |payload| link.send(payload)).await })
    }
}

/// Sends `payloads` in order with `send`, stopping at the first error: how many were sent,
/// and that error.
async fn one_by_one<F, Fut>(payloads: Vec<Bytes>, mut send: F) -> (usize, Result<(), BrokerError>)
where
    F: FnMut(Bytes) -> Fut,
    Fut: Future<Output = Result<(), BrokerError>>,
{
    let mut done = 0;
    for payload in payloads {
        if let Err(e) = send(payload).await {
            return (done, Err(e));
        }
        done += 1;
    }
    (done, Ok(()))
}

/// Opens one publishing connection.
pub(crate) type LinkConnector<L> =
    Arc<dyn Fn() -> BoxFuture<'static, Result<L, BrokerError>> + Send + Sync>;

enum PubState<L> {
    Up(L),
    Connecting,
    Down { retry_at: Instant, attempt: u32 },
}

/// Publisher with a cached connection, lazy reconnection (one at a time, rate-limited by the
/// backoff) and fail-fast behaviour while the broker is down.
pub(crate) struct Publisher<L: PublishLink> {
    state: Arc<Mutex<PubState<L>>>,
    connect: LinkConnector<L>,
    config: BrokerConfig,
}

impl<L: PublishLink> Publisher<L> {
    /// Connect (with the start-up retry budget).
    pub(crate) async fn connect(
        config: &BrokerConfig,
        connect: LinkConnector<L>,
    ) -> Result<Self, BrokerError> {
        let link = connect_with_retries(config, || connect()).await?;
        Ok(Self {
            state: Arc::new(Mutex::new(PubState::Up(link))),
            connect,
            config: config.clone(),
        })
    }

    fn set(&self, s: PubState<L>) {
        if let Ok(mut g) = self.state.lock() {
            *g = s;
        }
    }

    fn mark_down(&self, attempt: u32) {
        let retry_at = Instant::now() + self.config.backoff.random_delay(attempt);
        self.set(PubState::Down { retry_at, attempt });
    }

    /// Publish one payload; see the module docs for the time bounds.
    pub(crate) async fn publish(&self, payload: Bytes) -> Result<(), BrokerError> {
        let link = self.link().await?;
        let r = tokio::time::timeout(self.config.publish_timeout, link.send(payload)).await;
        self.sent(r.unwrap_or(Err(BrokerError::Timeout("publish"))))
    }

    /// Publish several payloads in order with [`PublishLink::send_batch`], within the time
    /// bounds of one publish: how many were published, and the error that stopped the others.
    pub(crate) async fn publish_batch(
        &self,
        mut payloads: Vec<Bytes>,
    ) -> (usize, Result<(), BrokerError>) {
        if payloads.len() <= 1 {
            return match payloads.pop() {
                Some(payload) => {
                    let r = self.publish(payload).await;
                    (usize::from(r.is_ok()), r)
                }
                None => (0, Ok(())),
            };
        }
        let link = match self.link().await {
            Ok(link) => link,
            Err(e) => return (0, Err(e)),
        };
        let sent = tokio::time::timeout(self.config.publish_timeout, link.send_batch(payloads));
        let (done, r) = sent
            .await
            .unwrap_or((0, Err(BrokerError::Timeout("publish"))));
        (done, self.sent(r))
    }

    /// After a send: an error marks the link down, to reconnect on the next publish at once.
    fn sent(&self, r: Result<(), BrokerError>) -> Result<(), BrokerError> {
        if r.is_err() {
            self.set(PubState::Down {
                retry_at: Instant::now(),
                attempt: 0,
            });
        }
        r
    }

    /// The link to publish on, connecting it again if it is down and its backoff has passed.
    async fn link(&self) -> Result<L, BrokerError> {
        enum Next<L> {
            Use(L),
            Reconnect(u32),
        }
        let next = {
            let mut g = self.state.lock().map_err(|_| BrokerError::Disconnected)?;
            match &*g {
                PubState::Up(link) => Next::Use(link.clone()),
                PubState::Connecting => return Err(BrokerError::Disconnected),
                PubState::Down { retry_at, attempt } => {
                    if Instant::now() < *retry_at {
                        return Err(BrokerError::Disconnected);
                    }
                    let attempt = *attempt;
                    *g = PubState::Connecting;
                    Next::Reconnect(attempt)
                }
            }
        };
        match next {
            Next::Use(link) => Ok(link),
            Next::Reconnect(attempt) => {
                // If this future is dropped mid-way, leave the state `Down`, never `Connecting`.
                let mut guard = ResetOnDrop {
                    state: &self.state,
                    armed: true,
                    attempt,
                };
                let r = tokio::time::timeout(self.config.connect_timeout, (self.connect)()).await;
                guard.armed = false;
                match r {
                    Ok(Ok(link)) => {
                        self.set(PubState::Up(link.clone()));
                        super::metrics::reconnected(super::metrics::Link::Publisher);
                        Ok(link)
                    }
                    Ok(Err(e)) => {
                        self.mark_down(attempt.saturating_add(1));
                        Err(e)
                    }
                    Err(_) => {
                        self.mark_down(attempt.saturating_add(1));
                        Err(BrokerError::Timeout("connect"))
                    }
                }
            }
        }
    }
}

struct ResetOnDrop<'a, L> {
    state: &'a Mutex<PubState<L>>,
    armed: bool,
    attempt: u32,
}

impl<L> Drop for ResetOnDrop<'_, L> {
    fn drop(&mut self) {
        if self.armed {
            if let Ok(mut g) = self.state.lock() {
                *g = PubState::Down {
                    retry_at: Instant::now(),
                    attempt: self.attempt,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast_config() -> BrokerConfig {
        BrokerConfig {
            backoff: Backoff {
                initial: Duration::from_millis(100),
                max: Duration::from_secs(1),
                jitter: 0.2,
            },
            connect_timeout: Duration::from_secs(1),
            connect_attempts: 3,
            queue_capacity: 4,
            ..BrokerConfig::default()
        }
    }

    #[test]
    fn backoff_doubles_to_max_with_bounded_jitter() {
        let b = Backoff::default();
        assert_eq!(b.delay(0, 0.0), Duration::from_secs(1));
        assert_eq!(b.delay(1, 0.0), Duration::from_secs(2));
        assert_eq!(b.delay(4, 0.0), Duration::from_secs(16));
        assert_eq!(b.delay(5, 0.0), Duration::from_secs(30));
        assert_eq!(b.delay(u32::MAX, 0.0), Duration::from_secs(30));
        let j = b.delay(2, 0.999);
        assert!(
            j <= Duration::from_secs(4) && j >= Duration::from_millis(3200),
            "{j:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn start_fails_with_connect_error_after_the_configured_attempts() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let connector: Connector = Arc::new(move || {
            c.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { Err(BrokerError::Broker("refused".into())) })
        });
        let err = start_subscription(&fast_config(), connector)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            BrokerError::Connect {
                attempts: 3,
                last: "broker error: refused".into()
            }
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn start_attempt_that_hangs_is_bounded_by_connect_timeout() {
        let connector: Connector = Arc::new(|| Box::pin(std::future::pending()));
        let cfg = BrokerConfig {
            connect_attempts: 1,
            ..fast_config()
        };
        let err = start_subscription(&cfg, connector).await.unwrap_err();
        assert!(
            matches!(err, BrokerError::Connect { attempts: 1, .. }),
            "{err}"
        );
    }

    /// A fake broker: each connection is an mpsc receiver handed out by the connector; the
    /// test keeps the senders and drops one to "cut" the link.
    fn fake() -> (
        Connector,
        mpsc::UnboundedReceiver<mpsc::Sender<Bytes>>,
        Arc<AtomicU32>,
    ) {
        let (links_tx, links_rx) = mpsc::unbounded_channel();
        let fail_next = Arc::new(AtomicU32::new(0));
        let f = fail_next.clone();
        let connector: Connector = Arc::new(move || {
            let links_tx = links_tx.clone();
            let f = f.clone();
            Box::pin(async move {
                if f.load(Ordering::SeqCst) > 0 {
                    f.fetch_sub(1, Ordering::SeqCst);
                    return Err(BrokerError::Broker("down".into()));
                }
                let (tx, rx) = mpsc::channel::<Bytes>(8);
                let _ = links_tx.send(tx);
                let s: MessageStream = Box::pin(tokio_stream_from(rx));
                Ok(s)
            })
        });
        (connector, links_rx, fail_next)
    }

    fn tokio_stream_from(rx: mpsc::Receiver<Bytes>) -> impl Stream<Item = Bytes> + Send {
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) })
    }

    #[tokio::test(start_paused = true)]
    async fn subscription_reconnects_and_resubscribes_after_the_link_drops() {
        let (connector, mut links, fail_next) = fake();
        let mut sub = start_subscription(&fast_config(), connector).await.unwrap();
        let link = links.recv().await.unwrap();
        link.send(Bytes::from_static(b"one")).await.unwrap();
        assert_eq!(sub.recv().await.unwrap(), "one");
        assert_eq!(sub.state(), LinkState::Connected);

        // Cut the link; the next two reconnection attempts fail.
        fail_next.store(2, Ordering::SeqCst);
        let mut state = sub.state_watch();
        drop(link);
        state
            .wait_for(|s| *s == LinkState::Reconnecting)
            .await
            .unwrap();
        state
            .wait_for(|s| *s == LinkState::Connected)
            .await
            .unwrap();
        assert_eq!(fail_next.load(Ordering::SeqCst), 0);
        let link = links.recv().await.unwrap();
        link.send(Bytes::from_static(b"two")).await.unwrap();
        assert_eq!(sub.recv().await.unwrap(), "two");
    }

    #[tokio::test(start_paused = true)]
    async fn messages_over_max_message_bytes_are_dropped_before_the_queue() {
        let (connector, mut links, _) = fake();
        let cfg = BrokerConfig {
            max_message_bytes: 4,
            ..fast_config()
        };
        let mut sub = start_subscription(&cfg, connector).await.unwrap();
        let link = links.recv().await.unwrap();
        link.send(Bytes::from_static(b"12345")).await.unwrap();
        link.send(Bytes::from_static(b"1234")).await.unwrap();
        link.send(Bytes::from_static(b"123456789")).await.unwrap();
        link.send(Bytes::from_static(b"")).await.unwrap();
        assert_eq!(sub.recv().await.unwrap(), "1234", "at the limit");
        assert_eq!(
            sub.recv().await.unwrap(),
            "",
            "limit + 1 and more were skipped"
        );
        assert_eq!(sub.state(), LinkState::Connected);
    }

    #[tokio::test(start_paused = true)]
    async fn full_queue_applies_backpressure_without_loss() {
        let (connector, mut links, _) = fake();
        let cfg = fast_config(); // queue_capacity 4
        let mut sub = start_subscription(&cfg, connector).await.unwrap();
        let link = links.recv().await.unwrap();
        // capacity + 1 (and more) messages while the reader is not reading
        for i in 0..(cfg.queue_capacity + 4) {
            link.send(Bytes::from(i.to_string())).await.unwrap();
        }
        for i in 0..(cfg.queue_capacity + 4) {
            assert_eq!(sub.recv().await.unwrap(), i.to_string());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_subscription_stops_the_task() {
        let (connector, mut links, _) = fake();
        let sub = start_subscription(&fast_config(), connector).await.unwrap();
        let link = links.recv().await.unwrap();
        drop(sub);
        // the task drops its stream, so the fake link's receiver goes away
        link.closed().await;
    }

    #[derive(Clone)]
    struct FakeLink(Arc<AtomicU32>, bool);

    impl PublishLink for FakeLink {
        fn send(&self, _payload: Bytes) -> BoxFuture<'static, Result<(), BrokerError>> {
            let (count, ok) = (self.0.clone(), self.1);
            Box::pin(async move {
                if ok {
                    count.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                } else {
                    Err(BrokerError::Broker("broken pipe".into()))
                }
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn publisher_fails_fast_while_down_and_recovers() {
        let sent = Arc::new(AtomicU32::new(0));
        let healthy = Arc::new(AtomicU32::new(1));
        let connects = Arc::new(AtomicU32::new(0));
        let (s, h, c) = (sent.clone(), healthy.clone(), connects.clone());
        let connect: LinkConnector<FakeLink> = Arc::new(move || {
            let (s, h, c) = (s.clone(), h.clone(), c.clone());
            Box::pin(async move {
                c.fetch_add(1, Ordering::SeqCst);
                if h.load(Ordering::SeqCst) == 1 {
                    Ok(FakeLink(s, true))
                } else {
                    Err(BrokerError::Broker("refused".into()))
                }
            })
        });
        let cfg = fast_config();
        let p = Publisher::connect(&cfg, connect).await.unwrap();
        p.publish(Bytes::from_static(b"a")).await.unwrap();
        assert_eq!(sent.load(Ordering::SeqCst), 1);

        // The link breaks and the broker refuses connections.
        p.set(PubState::Up(FakeLink(sent.clone(), false)));
        healthy.store(0, Ordering::SeqCst);
        assert!(matches!(
            p.publish(Bytes::new()).await,
            Err(BrokerError::Broker(_))
        ));
        // Next call tries one reconnection, which fails...
        assert!(matches!(
            p.publish(Bytes::new()).await,
            Err(BrokerError::Broker(_))
        ));
        let after_first = connects.load(Ordering::SeqCst);
        // ...and calls within the backoff delay fail at once, without connecting.
        for _ in 0..10 {
            assert_eq!(
                p.publish(Bytes::new()).await,
                Err(BrokerError::Disconnected)
            );
        }
        assert_eq!(connects.load(Ordering::SeqCst), after_first);

        healthy.store(1, Ordering::SeqCst);
        tokio::time::advance(cfg.backoff.max).await;
        p.publish(Bytes::from_static(b"b")).await.unwrap();
        assert_eq!(sent.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn publish_that_hangs_is_bounded() {
        #[derive(Clone)]
        struct Hang;
        impl PublishLink for Hang {
            fn send(&self, _: Bytes) -> BoxFuture<'static, Result<(), BrokerError>> {
                Box::pin(std::future::pending())
            }
        }
        let connect: LinkConnector<Hang> = Arc::new(|| Box::pin(async { Ok(Hang) }));
        let p = Publisher::connect(&fast_config(), connect).await.unwrap();
        assert_eq!(
            p.publish(Bytes::new()).await,
            Err(BrokerError::Timeout("publish"))
        );
    }

    #[test]
    fn errors_display() {
        let e = BrokerError::Connect {
            attempts: 3,
            last: "x".into(),
        };
        assert_eq!(
            e.to_string(),
            "cannot connect to the broker after 3 attempt(s): x"
        );
    }
}
