//! A Socket.IO v5 / Engine.IO v4 server for tokio and axum.

pub mod adapter;
pub mod engine;
pub mod proto;
pub mod router;
pub mod server;
