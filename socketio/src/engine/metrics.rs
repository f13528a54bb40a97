//! The engine's metrics (see the table in `docs/observability.md`). Every name and label
//! value is a literal, so each call site uses a static key: with no recorder installed a call
//! is a load of the global recorder and a no-op, without allocation or formatting. Without
//! the `metrics` feature these functions are empty.

use super::{CloseReason, Frame, Transport};

/// Whether a `metrics` recorder is installed. The facade's no-op recorder is a zero-sized
/// type, so a recorder that records anything has a size.
pub(crate) fn recorder_installed() -> bool {
    #[cfg(feature = "metrics")]
    return ::metrics::with_recorder(|r| std::mem::size_of_val(r) != 0);
    #[cfg(not(feature = "metrics"))]
    false
}

/// The per-message metrics of one engine: enabled when a recorder was installed before the
/// engine was built, and then one branch per call when it was not.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EngineMetrics {
    on: bool,
}

impl EngineMetrics {
    pub(crate) fn new() -> Self {
        Self {
            on: recorder_installed(),
        }
    }

    /// See [`received`].
    #[inline]
    pub(crate) fn received(self, transport: Transport, frames: usize, bytes: usize) {
        if self.on {
            received(transport, frames, bytes);
        }
    }

    /// [`sent`] for `frames`.
    #[inline]
    pub(crate) fn sent<'a>(
        self,
        transport: Transport,
        frames: impl ExactSizeIterator<Item = &'a Frame>,
    ) {
        if self.on {
            let n = frames.len();
            sent(transport, n, frames.map(|f| f.data().len()).sum());
        }
    }
}

#[cfg(feature = "metrics")]
macro_rules! by_transport {
    ($t:expr, $macro:ident, $name:literal) => {
        match $t {
            Transport::Polling => ::metrics::$macro!($name, "transport" => "polling"),
            Transport::Websocket => ::metrics::$macro!($name, "transport" => "websocket"),
        }
    };
}

/// A session opened on `transport`.
#[inline]
pub(crate) fn opened(transport: Transport) {
    #[cfg(feature = "metrics")]
    {
        by_transport!(transport, gauge, "socketio_engine_connections").increment(1.0);
        by_transport!(
            transport,
            counter,
            "socketio_engine_connections_opened_total"
        )
        .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = transport;
}

/// A session on `transport` left the session table for `reason`.
#[inline]
pub(crate) fn closed(transport: Transport, reason: CloseReason) {
    #[cfg(feature = "metrics")]
    {
        by_transport!(transport, gauge, "socketio_engine_connections").decrement(1.0);
        let closed = match reason {
            CloseReason::TransportClose => {
                ::metrics::counter!("socketio_engine_connections_closed_total", "reason" => "transport close")
            }
            CloseReason::TransportError => {
                ::metrics::counter!("socketio_engine_connections_closed_total", "reason" => "transport error")
            }
            CloseReason::PingTimeout => {
                ::metrics::counter!("socketio_engine_connections_closed_total", "reason" => "ping timeout")
            }
            CloseReason::ParseError => {
                ::metrics::counter!("socketio_engine_connections_closed_total", "reason" => "parse error")
            }
            CloseReason::ForcedClose => {
                ::metrics::counter!("socketio_engine_connections_closed_total", "reason" => "forced close")
            }
            CloseReason::SendBufferFull => {
                limit_hit(Limit::MaxBuffered);
                ::metrics::counter!("socketio_engine_connections_closed_total", "reason" => "send buffer full")
            }
            CloseReason::ServerShuttingDown => {
                ::metrics::counter!("socketio_engine_connections_closed_total", "reason" => "server shutting down")
            }
        };
        closed.increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (transport, reason);
}

/// A polling session upgraded to WebSocket.
#[inline]
pub(crate) fn upgraded() {
    #[cfg(feature = "metrics")]
    {
        ::metrics::gauge!("socketio_engine_connections", "transport" => "polling").decrement(1.0);
        ::metrics::gauge!("socketio_engine_connections", "transport" => "websocket").increment(1.0);
        ::metrics::counter!("socketio_engine_upgrades_total").increment(1);
    }
}

/// Engine.IO packets received (`frames`) totalling `bytes` on `transport`: one WebSocket
/// message, or one polling POST body.
#[inline]
fn received(transport: Transport, frames: usize, bytes: usize) {
    #[cfg(feature = "metrics")]
    {
        by_transport!(transport, counter, "socketio_engine_frames_received_total")
            .increment(frames as u64);
        by_transport!(transport, counter, "socketio_engine_bytes_received_total")
            .increment(bytes as u64);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (transport, frames, bytes);
}

/// Engine.IO packets sent (`frames`) totalling `bytes` on `transport`: one WebSocket write
/// batch, or one polling GET answer (before compression).
#[inline]
fn sent(transport: Transport, frames: usize, bytes: usize) {
    #[cfg(feature = "metrics")]
    {
        by_transport!(transport, counter, "socketio_engine_frames_sent_total")
            .increment(frames as u64);
        by_transport!(transport, counter, "socketio_engine_bytes_sent_total")
            .increment(bytes as u64);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (transport, frames, bytes);
}

/// A limit of `EngineConfig` that closed a connection.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
pub(crate) enum Limit {
    /// `max_payload`: a WebSocket message or a polling body too large.
    MaxPayload,
    /// `max_buffered_bytes` / `max_buffered_frames`: the outgoing queue was full.
    MaxBuffered,
    /// `request_body_timeout`: a polling POST body too slow.
    RequestBodyTimeout,
}

/// A client ran into `limit`.
#[inline]
pub(crate) fn limit_hit(limit: Limit) {
    #[cfg(feature = "metrics")]
    match limit {
        Limit::MaxPayload => {
            ::metrics::counter!("socketio_engine_limit_hits_total", "limit" => "max_payload")
        }
        Limit::MaxBuffered => {
            ::metrics::counter!("socketio_engine_limit_hits_total", "limit" => "max_buffered")
        }
        Limit::RequestBodyTimeout => {
            ::metrics::counter!("socketio_engine_limit_hits_total", "limit" => "request_body_timeout")
        }
    }
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = limit;
}

/// Why a handshake was refused.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    /// `max_connections` or `max_connections_per_ip` reached (403).
    MaxConnections,
    /// The engine is shutting down (503, or a WebSocket closed at once).
    ShuttingDown,
}

/// A handshake refused for `why`.
#[inline]
pub(crate) fn handshake_refused(why: Refusal) {
    #[cfg(feature = "metrics")]
    match why {
        Refusal::MaxConnections => {
            ::metrics::counter!("socketio_engine_handshakes_refused_total", "reason" => "max_connections")
        }
        Refusal::ShuttingDown => {
            ::metrics::counter!("socketio_engine_handshakes_refused_total", "reason" => "shutting_down")
        }
    }
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = why;
}
