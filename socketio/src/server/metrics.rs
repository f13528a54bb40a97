//! The Socket.IO layer's metrics (see the table in `docs/observability.md`).
//!
//! Per-namespace handles are registered once, when the namespace is created, and labelled
//! with its path: a namespace created on demand for a client (the `*` handlers, or
//! `accept_any_namespace`) is labelled `*`, since its path is the client's choice. No metric
//! is labelled with a sid, a room name or an event name. With no recorder installed the
//! handles are no-ops (one branch each); without the `metrics` feature they are empty.

use super::types::DisconnectReason;

/// The metrics of one namespace.
#[derive(Debug, Clone)]
pub(crate) struct NsMetrics {
    #[cfg(feature = "metrics")]
    inner: std::sync::Arc<Handles>,
    /// A recorder was installed when the namespace was created: handler durations are
    /// measured (otherwise the clock is not read).
    timed: bool,
}

#[cfg(feature = "metrics")]
#[derive(Debug)]
struct Handles {
    sockets: ::metrics::Gauge,
    rooms: ::metrics::Gauge,
    events_received: ::metrics::Counter,
    events_sent: ::metrics::Counter,
    acks_received: ::metrics::Counter,
    acks_sent: ::metrics::Counter,
    handler_seconds: ::metrics::Histogram,
    /// Counted in `socketio_namespaces`.
    counted: bool,
}

impl NsMetrics {
    /// The handles of namespace `path`; `dynamic`: created on demand for a client.
    pub(crate) fn new(path: &str, dynamic: bool) -> Self {
        #[cfg(feature = "metrics")]
        {
            let label: String = if dynamic { "*".into() } else { path.into() };
            let l = || [("namespace", label.clone())];
            ::metrics::gauge!("socketio_namespaces").increment(1.0);
            Self {
                timed: ::metrics::with_recorder(|r| std::mem::size_of_val(r) != 0),
                inner: std::sync::Arc::new(Handles {
                    sockets: ::metrics::gauge!("socketio_sockets", &l()),
                    rooms: ::metrics::gauge!("socketio_rooms", &l()),
                    events_received: ::metrics::counter!("socketio_events_received_total", &l()),
                    events_sent: ::metrics::counter!("socketio_events_sent_total", &l()),
                    acks_received: ::metrics::counter!("socketio_acks_received_total", &l()),
                    acks_sent: ::metrics::counter!("socketio_acks_sent_total", &l()),
                    handler_seconds: ::metrics::histogram!(
                        "socketio_handler_duration_seconds",
                        &l()
                    ),
                    counted: true,
                }),
            }
        }
        #[cfg(not(feature = "metrics"))]
        {
            let _ = (path, dynamic);
            Self { timed: false }
        }
    }

    /// Handles that record nothing (for tests of the room maps).
    #[cfg(test)]
    pub(crate) fn none() -> Self {
        #[cfg(feature = "metrics")]
        {
            Self {
                timed: false,
                inner: std::sync::Arc::new(Handles {
                    sockets: ::metrics::Gauge::noop(),
                    rooms: ::metrics::Gauge::noop(),
                    events_received: ::metrics::Counter::noop(),
                    events_sent: ::metrics::Counter::noop(),
                    acks_received: ::metrics::Counter::noop(),
                    acks_sent: ::metrics::Counter::noop(),
                    handler_seconds: ::metrics::Histogram::noop(),
                    counted: false,
                }),
            }
        }
        #[cfg(not(feature = "metrics"))]
        Self { timed: false }
    }

    /// Whether handler durations are recorded (a recorder was installed when the namespace
    /// was created).
    #[inline]
    pub(crate) fn timed(&self) -> bool {
        self.timed
    }

    /// A socket joined (`+1`) or left (`-1`) the namespace.
    #[inline]
    pub(crate) fn sockets(&self, delta: f64) {
        #[cfg(feature = "metrics")]
        self.inner.sockets.increment(delta);
        #[cfg(not(feature = "metrics"))]
        let _ = delta;
    }

    /// A room was created (`+1`) or emptied (`-1`).
    #[inline]
    pub(crate) fn rooms(&self, delta: f64) {
        #[cfg(feature = "metrics")]
        self.inner.rooms.increment(delta);
        #[cfg(not(feature = "metrics"))]
        let _ = delta;
    }

    /// An event from a client, for a joined namespace.
    #[inline]
    pub(crate) fn event_received(&self) {
        #[cfg(feature = "metrics")]
        self.inner.events_received.increment(1);
    }

    /// An event packet queued to `n` clients.
    #[inline]
    pub(crate) fn events_sent(&self, n: usize) {
        #[cfg(feature = "metrics")]
        self.inner.events_sent.increment(n as u64);
        #[cfg(not(feature = "metrics"))]
        let _ = n;
    }

    /// A client's ack of a server emit.
    #[inline]
    pub(crate) fn ack_received(&self) {
        #[cfg(feature = "metrics")]
        self.inner.acks_received.increment(1);
    }

    /// An ack sent to a client.
    #[inline]
    pub(crate) fn ack_sent(&self) {
        #[cfg(feature = "metrics")]
        self.inner.acks_sent.increment(1);
    }

    /// An event handler ran for `seconds` (from its call to the end of its future).
    #[inline]
    pub(crate) fn handler_duration(&self, seconds: f64) {
        #[cfg(feature = "metrics")]
        self.inner.handler_seconds.record(seconds);
        #[cfg(not(feature = "metrics"))]
        let _ = seconds;
    }
}

#[cfg(feature = "metrics")]
impl Drop for Handles {
    fn drop(&mut self) {
        if self.counted {
            ::metrics::gauge!("socketio_namespaces").decrement(1.0);
        }
    }
}

/// A socket left its namespace for `reason`.
#[inline]
pub(crate) fn disconnected(reason: DisconnectReason) {
    #[cfg(feature = "metrics")]
    {
        macro_rules! by_reason {
            ($($variant:ident => $label:literal),* $(,)?) => {
                match reason {
                    $(DisconnectReason::$variant => ::metrics::counter!(
                        "socketio_disconnects_total", "reason" => $label
                    ),)*
                }
            };
        }
        by_reason!(
            ClientNamespaceDisconnect => "client namespace disconnect",
            ServerNamespaceDisconnect => "server namespace disconnect",
            TransportClose => "transport close",
            TransportError => "transport error",
            PingTimeout => "ping timeout",
            ParseError => "parse error",
            ForcedClose => "forced close",
            SendBufferFull => "send buffer full",
            ServerShuttingDown => "server shutting down",
            InboundQueueFull => "inbound queue full",
            RateLimited => "rate limited",
        )
        .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = reason;
}

/// Events waiting for their handler (queued behind a running one, or pending after their
/// first poll): `+1` when charged to a connection's inbound budget, `-1` when released.
#[inline]
pub(crate) fn inbound_queued(delta: f64) {
    #[cfg(feature = "metrics")]
    ::metrics::gauge!("socketio_inbound_queued_events").increment(delta);
    #[cfg(not(feature = "metrics"))]
    let _ = delta;
}
