//! The cluster seam: how the server shares emits, room changes and disconnects with other
//! servers. Without a manager everything stays local (the in-memory default); pub/sub managers
//! ([`PubSubManager`] over Redis or AMQP) speak python-socketio's message-queue format so Rust
//! and Python servers can share one channel, and [`Emitter`] lets a process that is not a
//! server emit into the cluster.
//!
//! The seam is written in adapter terms only (this module never names the server): the server
//! hands every cluster-visible operation to [`Manager::publish`] as an [`Envelope`] (an
//! [`Operation`] and the host it comes from), and receives what other servers published
//! through the [`RemoteSink`] it gives to [`Manager::start`]. These types, re-exported here,
//! are the whole vocabulary of the seam; they are defined with their sans-IO codec,
//! python-socketio's message-queue format, in [`crate::proto::pubsub`] (also reachable as
//! `adapter::pubsub`). The server names only these and the two traits, never
//! [`manager`], [`broker`] or a broker's module.

pub mod broker;
pub mod manager;
mod metrics;

/// python-socketio's message-queue format: [`crate::proto::pubsub`], re-exported under its
/// former path.
pub use crate::proto::pubsub;
pub use crate::proto::pubsub::{CallbackRef, Envelope, OneOrMany, Operation, PackedArgs};

#[cfg(feature = "amqp")]
pub mod amqp;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "tls")]
mod tls;

use std::sync::Arc;

#[cfg(feature = "amqp")]
pub use manager::AmqpManager;
#[cfg(feature = "redis")]
pub use manager::RedisManager;
pub use manager::{Emitter, EmitterOperator, ManagerConfig, PubSubManager};

/// Where a manager delivers the operations other servers published. Implemented by the server;
/// `apply` is called from one listener task, in the order messages arrived, and must not
/// block.
pub trait RemoteSink: Send + Sync + 'static {
    /// Apply one operation (already filtered with [`Envelope::is_for`]).
    fn apply(&self, env: Envelope);
}

/// A cluster manager: told about every cluster-visible operation the local server performs,
/// and feeding back what the other servers do.
///
/// ```
/// use std::sync::Arc;
/// use socketio::adapter::{Envelope, Manager, RemoteSink};
///
/// /// A manager that only logs (a cluster of one).
/// struct Log;
/// impl Manager for Log {
///     fn host_id(&self) -> &str { "0123456789abcdef0123456789abcdef" }
///     fn publish(&self, env: Envelope) { println!("{}", env.operation.method()); }
///     fn start(&self, _sink: Arc<dyn RemoteSink>) {}
/// }
/// let io = socketio::SocketIo::builder().manager(Arc::new(Log)).build().unwrap();
/// # drop(io);
/// ```
pub trait Manager: Send + Sync + 'static {
    /// The id this server publishes under (python: 32 hex digits).
    fn host_id(&self) -> &str;

    /// Publish one operation to the other servers. Never blocks: implementations queue it
    /// (bounded) for a single publisher task, so operations leave in the order they were
    /// published. `env.host_id` is normally [`Manager::host_id`]; for a `callback` it is the
    /// host that asked.
    fn publish(&self, env: Envelope);

    /// Start delivering the operations of other servers to `sink`. Called once, when the
    /// server is built.
    fn start(&self, sink: Arc<dyn RemoteSink>);
}

/// Connect the manager a URL names: every form python-socketio's Redis manager accepts
/// (`redis://`, `rediss://`, `valkey://`, `valkeys://`, `unix://`, `redis+sentinel://`;
/// feature `redis`, see [`redis::RedisUrl`]) or `amqp://`, `amqps://` (feature `amqp`).
/// `rediss://`, `valkeys://` and `amqps://` need the feature `tls` too; their certificates
/// are set in [`ManagerConfig::tls`] or the URL's query. Fails with a clear
/// [`broker::BrokerError`] when the scheme is unknown or not compiled in, the broker cannot
/// be reached, or TLS fails ([`broker::BrokerError::Tls`], naming the host and the reason).
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use socketio::adapter::{ManagerConfig, connect};
/// let manager = connect("redis://127.0.0.1:6379/0", ManagerConfig::with_channel("socketio")).await?;
/// let io = socketio::SocketIo::builder().manager(manager).build()?;
/// # drop(io); Ok(()) }
/// ```
pub async fn connect(
    url: &str,
    config: ManagerConfig,
) -> Result<Arc<dyn Manager>, broker::BrokerError> {
    let scheme = url
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    match scheme.as_str() {
        #[cfg(feature = "redis")]
        "redis" | "rediss" | "valkey" | "valkeys" | "unix" | "redis+unix" | "redis+sentinel"
        | "valkey+sentinel" => Ok(Arc::new(RedisManager::connect(url, config).await?)),
        #[cfg(feature = "amqp")]
        "amqp" | "amqps" => Ok(Arc::new(AmqpManager::connect(url, config).await?)),
        #[allow(unreachable_patterns)] // reached when a feature is off
        "redis" | "rediss" | "valkey" | "valkeys" | "unix" | "redis+unix" | "redis+sentinel"
        | "valkey+sentinel" | "amqp" | "amqps" => {
            let _ = config;
            Err(broker::BrokerError::Unsupported(format!(
                "`{scheme}://` needs the cargo feature `{}` of socketio",
                if scheme.starts_with("amqp") {
                    "amqp"
                } else {
                    "redis"
                }
            )))
        }
        _ => Err(broker::BrokerError::InvalidUrl(format!(
            "unknown manager URL scheme `{scheme}` (expected redis://, rediss://, valkey://, \
             valkeys://, unix://, redis+sentinel:// or amqp://, amqps://)"
        ))),
    }
}
