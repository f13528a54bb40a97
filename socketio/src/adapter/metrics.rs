//! The cluster's metrics (see the table in `docs/observability.md`). Literal names and
//! labels, so a call with no recorder installed is a no-op that neither allocates nor
//! formats. Without the `metrics` feature these functions are empty.

/// Why a message was not published.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PublishError {
    /// The broker refused it or the link was down.
    Broker,
    /// The publish queue (`ManagerConfig`'s capacity) was full.
    QueueFull,
    /// The publisher task is gone.
    Stopped,
}

/// Why a received message was dropped.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ReceiveError {
    /// It did not decode (or broke a decoding limit).
    Decode,
    /// It was over `BrokerConfig::max_message_bytes`.
    TooLarge,
}

/// Which link came back.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Link {
    /// The subscription.
    Subscription,
    /// The publishing connection.
    Publisher,
}

/// One message published to the broker.
#[inline]
pub(crate) fn published() {
    #[cfg(feature = "metrics")]
    ::metrics::counter!("socketio_broker_messages_published_total").increment(1);
}

/// One message not published.
#[inline]
pub(crate) fn publish_error(why: PublishError) {
    #[cfg(feature = "metrics")]
    match why {
        PublishError::Broker => {
            ::metrics::counter!("socketio_broker_publish_errors_total", "reason" => "broker")
        }
        PublishError::QueueFull => {
            ::metrics::counter!("socketio_broker_publish_errors_total", "reason" => "queue_full")
        }
        PublishError::Stopped => {
            ::metrics::counter!("socketio_broker_publish_errors_total", "reason" => "stopped")
        }
    }
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = why;
}

/// One message received from the broker and decoded (including this server's own, which
/// it then ignores).
#[inline]
pub(crate) fn received() {
    #[cfg(feature = "metrics")]
    ::metrics::counter!("socketio_broker_messages_received_total").increment(1);
}

/// One received message dropped.
#[inline]
pub(crate) fn receive_error(why: ReceiveError) {
    #[cfg(feature = "metrics")]
    match why {
        ReceiveError::Decode => {
            ::metrics::counter!("socketio_broker_receive_errors_total", "reason" => "decode")
        }
        ReceiveError::TooLarge => {
            ::metrics::counter!("socketio_broker_receive_errors_total", "reason" => "too_large")
        }
    }
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = why;
}

/// A link to the broker restored after it dropped.
#[inline]
pub(crate) fn reconnected(link: Link) {
    #[cfg(feature = "metrics")]
    match link {
        Link::Subscription => {
            ::metrics::counter!("socketio_broker_reconnects_total", "link" => "subscription")
        }
        Link::Publisher => {
            ::metrics::counter!("socketio_broker_reconnects_total", "link" => "publisher")
        }
    }
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = link;
}
