//! The cluster seam: how the server shares emits, room changes and disconnects with other
//! servers. The in-memory default keeps everything local; pub/sub managers (Redis, AMQP) speak
//! python-socketio's message-queue format so Rust and Python servers can share one channel.

pub mod broker;
pub mod pubsub;

#[cfg(feature = "amqp")]
pub mod amqp;
#[cfg(feature = "redis")]
pub mod redis;
