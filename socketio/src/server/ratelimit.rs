//! Bounds on what one client sends us, per Engine.IO connection: the budget of events that
//! wait for (or, with concurrent handlers, run in) a handler, shared by every namespace of
//! the connection, and the optional token-bucket rate limits on events and bytes.
//!
//! Sans-IO: nothing here spawns, sleeps or reads a clock; the buckets take `now` as an
//! argument, so every limit is unit-tested without sockets or sleeps.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

// -- the queued-event budget -------------------------------------------------------------------

/// How many events, and how many bytes of them, one connection has waiting for its handlers
/// (in ordered mode: queued behind a handler that awaits; with concurrent handlers: handlers
/// in flight). Shared by all sockets of the connection; events are charged only from the
/// connection's `on_message`, so charges never race with each other, only with releases.
#[derive(Debug)]
pub(crate) struct InboundBudget {
    events: AtomicUsize,
    bytes: AtomicUsize,
    max_events: usize,
    max_bytes: usize,
}

/// The connection's inbound budget is exhausted: the caller closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BudgetExceeded;

impl InboundBudget {
    pub(crate) fn new(max_events: usize, max_bytes: usize) -> Arc<Self> {
        Arc::new(Self {
            events: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
            max_events,
            max_bytes,
        })
    }

    /// Charge one event of `bytes`, or refuse when that would put the connection over
    /// either limit (at the limit is accepted). The charge is released when the returned
    /// guard is dropped.
    pub(crate) fn try_charge(self: &Arc<Self>, bytes: usize) -> Result<Charge, BudgetExceeded> {
        let events = self.events.fetch_add(1, Ordering::AcqRel).saturating_add(1);
        let total = self
            .bytes
            .fetch_add(bytes, Ordering::AcqRel)
            .saturating_add(bytes);
        if events > self.max_events || total > self.max_bytes {
            self.release(bytes);
            return Err(BudgetExceeded);
        }
        super::metrics::inbound_queued(1.0);
        Ok(Charge {
            budget: self.clone(),
            bytes,
        })
    }

    fn release(&self, bytes: usize) {
        self.events.fetch_sub(1, Ordering::AcqRel);
        self.bytes.fetch_sub(bytes, Ordering::AcqRel);
    }

    /// Events and bytes currently charged.
    #[cfg(test)]
    pub(crate) fn used(&self) -> (usize, usize) {
        (
            self.events.load(Ordering::Acquire),
            self.bytes.load(Ordering::Acquire),
        )
    }
}

/// One event's share of an [`InboundBudget`], given back on drop (when the queued handler
/// starts, when a concurrent handler finishes, or when the queue is dropped).
#[derive(Debug)]
pub(crate) struct Charge {
    budget: Arc<InboundBudget>,
    bytes: usize,
}

impl Drop for Charge {
    fn drop(&mut self) {
        super::metrics::inbound_queued(-1.0);
        self.budget.release(self.bytes);
    }
}

// -- rate limits -------------------------------------------------------------------------------

/// What happens to an event that a client sends over its [`RateLimit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RateLimitAction {
    /// The event is not dispatched (its handler does not run) and the connection stays
    /// open. If the client asked for an acknowledgement it gets an error ack with one
    /// argument, `{"error": "rate limited"}`: the same shape as the ack of an event whose
    /// arguments do not deserialize (and of a handler returning `Err`). The default.
    #[default]
    DropWithError,
    /// The whole connection is closed (every namespace of the client); disconnect handlers
    /// see [`DisconnectReason::RateLimited`](crate::DisconnectReason::RateLimited).
    Disconnect,
}

/// Per-connection token buckets on the events a client sends (Socket.IO EVENT and
/// BINARY_EVENT packets, summed over all namespaces of one Engine.IO connection): one in
/// events, one in bytes (an event's size is its decoded packet: JSON text plus attachment
/// bytes). Each bucket starts full with `*_burst` tokens and refills at `*_per_sec`; an event
/// passes when both buckets hold enough tokens, and then takes them. What happens to an
/// event that does not pass is [`RateLimit::action`]. Off by default
/// ([`ServerConfig::rate_limit`](crate::ServerConfig::rate_limit) is `None`).
///
/// An event larger than `byte_burst` never passes: keep `byte_burst` at least the Engine.IO
/// `max_payload`. A `*_per_sec` of 0 never refills: the burst is all a connection ever gets.
/// Other Socket.IO packets (CONNECT, DISCONNECT, ACK) are not counted.
///
/// ```
/// use socketio::{RateLimit, RateLimitAction, SocketIo};
///
/// let limit = RateLimit::default()
///     .with_events(20, 40)
///     .with_bytes(256 * 1024, 2 * 1024 * 1024)
///     .with_action(RateLimitAction::Disconnect);
/// let io = SocketIo::builder().rate_limit(limit).build().unwrap();
/// assert_eq!(io.config().rate_limit.unwrap().events_per_sec, 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Sustained events per second. Default 100.
    pub events_per_sec: u32,
    /// Events a client may send at once after being idle. Default 200.
    pub event_burst: u32,
    /// Sustained bytes of events per second. Default 1 MiB.
    pub bytes_per_sec: u64,
    /// Bytes of events a client may send at once after being idle. Default 4 MiB.
    pub byte_burst: u64,
    /// What happens to an event over the limit. Default
    /// [`RateLimitAction::DropWithError`].
    pub action: RateLimitAction,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            events_per_sec: 100,
            event_burst: 200,
            bytes_per_sec: 1024 * 1024,
            byte_burst: 4 * 1024 * 1024,
            action: RateLimitAction::DropWithError,
        }
    }
}

impl RateLimit {
    /// Set the event bucket: `per_sec` sustained, `burst` at once.
    pub fn with_events(mut self, per_sec: u32, burst: u32) -> Self {
        self.events_per_sec = per_sec;
        self.event_burst = burst;
        self
    }

    /// Set the byte bucket: `per_sec` sustained, `burst` at once.
    pub fn with_bytes(mut self, per_sec: u64, burst: u64) -> Self {
        self.bytes_per_sec = per_sec;
        self.byte_burst = burst;
        self
    }

    /// Set what happens to an event over the limit.
    pub fn with_action(mut self, action: RateLimitAction) -> Self {
        self.action = action;
        self
    }
}

/// A token bucket: `burst` tokens at most, refilled at `rate` per second.
#[derive(Debug, Clone)]
struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(rate: f64, burst: f64, now: Instant) -> Self {
        Self {
            rate,
            burst,
            tokens: burst,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        if dt > 0.0 {
            self.tokens = (self.tokens + dt * self.rate).min(self.burst);
            self.last = now;
        }
    }
}

/// The rate limiter of one connection (sans-IO: time is an argument).
#[derive(Debug, Clone)]
pub(crate) struct RateLimiter {
    events: TokenBucket,
    bytes: TokenBucket,
    action: RateLimitAction,
}

impl RateLimiter {
    pub(crate) fn new(limit: &RateLimit, now: Instant) -> Self {
        Self {
            events: TokenBucket::new(
                f64::from(limit.events_per_sec),
                f64::from(limit.event_burst),
                now,
            ),
            bytes: TokenBucket::new(limit.bytes_per_sec as f64, limit.byte_burst as f64, now),
            action: limit.action,
        }
    }

    /// Whether an event of `bytes` may pass at `now`; when it does, it takes its tokens from
    /// both buckets (a refused event takes none).
    pub(crate) fn allow(&mut self, bytes: usize, now: Instant) -> bool {
        self.events.refill(now);
        self.bytes.refill(now);
        let cost = bytes as f64;
        if self.events.tokens < 1.0 || self.bytes.tokens < cost {
            return false;
        }
        self.events.tokens -= 1.0;
        self.bytes.tokens -= cost;
        true
    }

    pub(crate) fn action(&self) -> RateLimitAction {
        self.action
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn budget_accepts_at_the_event_limit_and_refuses_one_more() {
        let b = InboundBudget::new(3, 1000);
        let held: Vec<_> = (0..3).map(|_| b.try_charge(1).unwrap()).collect();
        assert_eq!(b.try_charge(1).unwrap_err(), BudgetExceeded);
        assert_eq!(b.used(), (3, 3), "a refused charge is rolled back");
        drop(held);
        assert_eq!(b.used(), (0, 0));
    }

    #[test]
    fn budget_accepts_at_the_byte_limit_and_refuses_one_more_byte() {
        let b = InboundBudget::new(100, 1000);
        let a = b.try_charge(600).unwrap();
        let c = b.try_charge(400).unwrap();
        assert_eq!(b.used(), (2, 1000));
        assert!(b.try_charge(1).is_err());
        drop(a);
        let d = b.try_charge(600).unwrap();
        assert!(b.try_charge(1).is_err());
        drop((c, d));
        assert_eq!(b.used(), (0, 0));
        // One event larger than the whole budget is refused even on an empty budget.
        assert!(b.try_charge(1001).is_err());
        assert_eq!(b.used(), (0, 0));
    }

    fn limiter(events: (u32, u32), bytes: (u64, u64), t0: Instant) -> RateLimiter {
        let limit = RateLimit::default()
            .with_events(events.0, events.1)
            .with_bytes(bytes.0, bytes.1);
        RateLimiter::new(&limit, t0)
    }

    #[test]
    fn event_bucket_allows_the_burst_then_refills_at_the_rate() {
        let t0 = Instant::now();
        let mut r = limiter((10, 5), (1 << 30, 1 << 30), t0);
        for i in 0..5 {
            assert!(r.allow(1, t0), "event {i} within the burst");
        }
        assert!(!r.allow(1, t0), "burst + 1 is refused");
        // 10/s: one token every 100 ms.
        assert!(!r.allow(1, t0 + Duration::from_millis(99)));
        assert!(r.allow(1, t0 + Duration::from_millis(100)));
        assert!(!r.allow(1, t0 + Duration::from_millis(100)));
        // Idle for a long time: back to the burst, not more.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..5 {
            assert!(r.allow(1, later));
        }
        assert!(!r.allow(1, later));
    }

    #[test]
    fn byte_bucket_allows_exactly_the_burst() {
        let t0 = Instant::now();
        let mut r = limiter((1000, 1000), (100, 1000), t0);
        assert!(r.allow(600, t0));
        assert!(r.allow(400, t0), "at the byte limit");
        assert!(!r.allow(1, t0), "limit + 1 byte");
        // 100 B/s: 50 bytes after half a second.
        let t = t0 + Duration::from_millis(500);
        assert!(!r.allow(51, t));
        assert!(r.allow(50, t));
        // Larger than the burst: never.
        assert!(!r.allow(1001, t0 + Duration::from_secs(3600)));
    }

    #[test]
    fn a_refused_event_takes_no_tokens_from_either_bucket() {
        let t0 = Instant::now();
        let mut r = limiter((0, 2), (0, 100), t0);
        assert!(!r.allow(101, t0), "over the byte burst");
        assert!(r.allow(100, t0), "the event bucket was not charged");
        assert!(r.allow(0, t0));
        assert!(!r.allow(0, t0), "event burst used up");
    }

    #[test]
    fn time_going_backwards_is_harmless() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut r = limiter((1, 1), (1, 10), t0);
        assert!(r.allow(1, t0));
        assert!(!r.allow(1, t0 - Duration::from_secs(5)));
        assert!(r.allow(1, t0 + Duration::from_secs(1)));
    }

    #[test]
    fn action_defaults_to_drop_with_error() {
        let r = RateLimiter::new(&RateLimit::default(), Instant::now());
        assert_eq!(r.action(), RateLimitAction::DropWithError);
    }
}
