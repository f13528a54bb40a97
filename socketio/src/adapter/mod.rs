//! The cluster seam: how the server shares emits, room changes and disconnects with other
//! servers. The in-memory default keeps everything local; pub/sub managers (Redis, AMQP) speak
//! python-socketio's message-queue format so Rust and Python servers can share one channel.

pub mod broker;
pub mod pubsub;

#[cfg(feature = "amqp")]
pub mod amqp;
#[cfg(feature = "redis")]
pub mod redis;

use crate::server::BroadcastOperator;
use crate::proto::sio::Encoded;

/// A cluster manager: told about every cluster-visible operation the local server performs.
pub trait Manager: Send + Sync + 'static {
    /// An emit was delivered to local sockets; publish it to the other servers.
    fn publish_emit(&self, op: &BroadcastOperator, event: &str, packet: &Encoded);
}
