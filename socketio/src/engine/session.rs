//! The sans-IO state of one Engine.IO session: the outgoing queue and its byte budget, the
//! close reason, the polling GET/POST flags and the answer owed to a pending poll, the
//! polling -> WebSocket upgrade, and the heartbeat.
//!
//! [`SessionState`] performs no I/O and reads no clock: the transports (`request.rs` for
//! polling, `ws.rs` for WebSocket, `core.rs` for the polling timer task) call its transitions
//! with `now` where time matters and perform the I/O its answers ask for. Every per-session
//! limit and deadline is checked here, once, and unit-tested below without sockets or sleeps.
//! No other file touches its fields.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::heartbeat::{Beat, Heartbeat};
use super::{CloseReason, Frame, SendError, Transport};

/// What one queued frame costs on top of its bytes, for the byte budget: its queue slot and
/// bookkeeping, so that a flood of empty frames is bounded too.
pub(crate) const FRAME_OVERHEAD: usize = 32;

/// The server's ping packet.
pub(crate) const PING: Frame = Frame::Text(Bytes::from_static(b"2"));

/// What a queued frame counts against [`QueueLimits::max_bytes`].
pub(crate) fn frame_cost(frame: &Frame) -> usize {
    frame.data().len().saturating_add(FRAME_OVERHEAD)
}

/// The bytes a frame adds to a polling payload: the text packet and its separator, or `b`,
/// the base64 of a binary message and its separator.
fn payload_cost(frame: &Frame) -> usize {
    match frame {
        Frame::Text(t) => t.len().saturating_add(1),
        Frame::Binary(b) => b.len().div_ceil(3).saturating_mul(4).saturating_add(2),
    }
}

/// Bounds of a connection's outgoing queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueLimits {
    /// Most bytes queued, every frame counted as its length plus [`FRAME_OVERHEAD`].
    pub(crate) max_bytes: usize,
    /// Most frames queued (a safety net behind the byte budget).
    pub(crate) max_frames: usize,
}

/// Bounds of one polling response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PollLimits {
    /// Most packets (binary attachments included) in one response.
    pub(crate) max_packets: usize,
    /// Most payload bytes in one response; a single larger packet still goes, alone.
    pub(crate) max_bytes: usize,
}

/// What pending poll (GET) must be answered with, when it is not data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollAnswer {
    /// `6`: the poll is released (client close, upgrade).
    Noop,
    /// HTTP 400: the session ended on an error.
    Error,
    /// `1`: the session is closed under it (duplicate poll).
    Close,
}

/// What a polling GET answers now ([`SessionState::poll_get`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GetAnswer {
    /// Nothing to say yet: wait for the connection to be woken, then ask again.
    Wait,
    /// The frames moved into the caller's batch.
    Data,
    /// A packet or an error instead of data.
    Answer(PollAnswer),
}

/// Where a polling -> WebSocket upgrade stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpgradeState {
    /// No upgrade in progress.
    None,
    /// A WebSocket is open for this sid, waiting for `2probe`.
    Pending,
    /// `2probe` was answered; polls are answered with `6` at once.
    Probed,
}

/// A second polling request of a kind that is already in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overlap;

/// The state of one Engine.IO session (see the module docs).
pub(crate) struct SessionState {
    /// Frames waiting for the transport, in order.
    frames: VecDeque<Frame>,
    /// What `frames` costs against `limits.max_bytes`.
    queued_bytes: usize,
    limits: QueueLimits,
    /// Set once: the connection is closing for this reason.
    close: Option<CloseReason>,
    /// Forced answer for the pending poll.
    poll_answer: Option<PollAnswer>,
    /// A polling GET is in progress.
    get_active: bool,
    /// A polling POST is in progress.
    post_active: bool,
    /// Upgrade progress.
    upgrade: UpgradeState,
    /// The pending GET arrived after `2probe` was answered (a client that did not pause
    /// polling for the upgrade): until when it is held for the `5` that may already be on
    /// its way, so that a poll sent after `5` is refused as the reference server refuses it.
    late_get: Option<LateGet>,
    hb: Heartbeat,
    /// Set by the layer above ([`SessionState::set_close_deadline`]): the session closes
    /// with [`CloseReason::ForcedClose`] at this instant unless it is cleared first.
    close_at: Option<Instant>,
}

/// A GET that arrived while an upgrade was probed ([`SessionState::poll_get`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LateGet {
    /// Arrived; not yet given a deadline (the first `poll_get` sets it).
    Arrived,
    /// Held until this instant, then answered `6`.
    Until(Instant),
}

/// How long a GET that arrives during a probed upgrade waits for the upgrade to complete
/// before it is released with `6`. Node's engine.io releases such a poll at its next
/// 100 ms check, so 0 to 100 ms after it arrived; the `5` of a client that sends it right
/// after `2probe` arrives well within this.
pub(crate) const LATE_GET_HOLD: Duration = Duration::from_millis(50);

impl SessionState {
    pub(crate) fn new(
        now: Instant,
        limits: QueueLimits,
        ping_interval: Duration,
        ping_timeout: Duration,
    ) -> Self {
        Self {
            frames: VecDeque::new(),
            queued_bytes: 0,
            limits,
            close: None,
            poll_answer: None,
            get_active: false,
            post_active: false,
            upgrade: UpgradeState::None,
            late_get: None,
            hb: Heartbeat::new(now, ping_interval, ping_timeout),
            close_at: None,
        }
    }

    // -- close -----------------------------------------------------------------------------

    /// The close reason, once a close was requested.
    pub(crate) fn close_reason(&self) -> Option<CloseReason> {
        self.close
    }

    /// Mark the session closing; the first reason wins. True if this call closed it.
    pub(crate) fn request_close(&mut self, reason: CloseReason) -> bool {
        if self.close.is_some() {
            return false;
        }
        self.close = Some(reason);
        true
    }

    // -- the outgoing queue ----------------------------------------------------------------

    /// Frames queued.
    #[cfg(test)]
    pub(crate) fn queued_frames(&self) -> usize {
        self.frames.len()
    }

    /// Bytes queued, as counted against the budget.
    #[cfg(test)]
    pub(crate) fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    /// Whether `n` more frames costing `cost` fit; if not, the session closes with
    /// [`CloseReason::SendBufferFull`].
    fn admit(&mut self, n: usize, cost: usize) -> Result<(), SendError> {
        if self.close.is_some() {
            return Err(SendError::Closed);
        }
        let frames = self.frames.len().saturating_add(n);
        let bytes = self.queued_bytes.saturating_add(cost);
        if frames > self.limits.max_frames || bytes > self.limits.max_bytes {
            self.request_close(CloseReason::SendBufferFull);
            return Err(SendError::Full);
        }
        self.queued_bytes = bytes;
        Ok(())
    }

    /// Queue one frame within the bounds.
    pub(crate) fn push(&mut self, frame: Frame) -> Result<(), SendError> {
        self.admit(1, frame_cost(&frame))?;
        self.frames.push_back(frame);
        Ok(())
    }

    /// Queue several frames within the bounds, all or nothing.
    pub(crate) fn push_many(&mut self, frames: &[Frame]) -> Result<(), SendError> {
        let cost = frames
            .iter()
            .fold(0usize, |sum, f| sum.saturating_add(frame_cost(f)));
        self.admit(frames.len(), cost)?;
        self.frames.extend(frames.iter().cloned());
        Ok(())
    }

    /// Queue a frame of the engine's own (ping, open packet) regardless of the bounds: at
    /// most one such frame is ever outstanding. Counted, so the budget stays exact.
    fn push_control(&mut self, frame: Frame, front: bool) {
        if self.close.is_some() {
            return;
        }
        self.queued_bytes = self.queued_bytes.saturating_add(frame_cost(&frame));
        if front {
            self.frames.push_front(frame);
        } else {
            self.frames.push_back(frame);
        }
    }

    /// Put the open packet of a fresh WebSocket ahead of anything `on_open` queued.
    pub(crate) fn push_open(&mut self, open: Frame) {
        self.push_control(open, true);
    }

    /// WebSocket: swap every queued frame into `batch` (empty on entry), and return the
    /// close reason as it stands now. With nothing queued, the queue takes `batch`'s
    /// buffer if it has none: a connection with nothing to send keeps one buffer, not two
    /// (the frames then queued need no allocation, and the next swap hands it back).
    pub(crate) fn take_all(&mut self, batch: &mut VecDeque<Frame>) -> Option<CloseReason> {
        if !self.frames.is_empty() || self.frames.capacity() == 0 {
            std::mem::swap(&mut self.frames, batch);
            self.queued_bytes = 0;
        }
        self.close
    }

    /// Polling: move the next response's frames into `batch`: at most `max_packets`, and
    /// at most `max_bytes` of payload unless the first frame alone is larger (it then goes
    /// alone). The rest waits for the next GET.
    fn take_poll_batch(&mut self, limits: PollLimits, batch: &mut Vec<Frame>) {
        let max_packets = limits.max_packets.max(1);
        batch.reserve(self.frames.len().min(max_packets));
        let mut bytes = 0usize;
        while batch.len() < max_packets {
            let Some(next) = self.frames.front() else {
                break;
            };
            let cost = payload_cost(next);
            if !batch.is_empty() && bytes.saturating_add(cost) > limits.max_bytes {
                break;
            }
            bytes = bytes.saturating_add(cost);
            if let Some(frame) = self.frames.pop_front() {
                self.queued_bytes = self.queued_bytes.saturating_sub(frame_cost(&frame));
                batch.push(frame);
            }
        }
        if self.frames.is_empty() {
            self.queued_bytes = 0;
            if self.frames.capacity() > 64 {
                self.frames = VecDeque::new();
            }
        }
    }

    // -- polling ---------------------------------------------------------------------------

    /// A polling GET starts. A second one while one is pending closes the session
    /// (`TransportError`) and answers the first with `1`.
    pub(crate) fn on_get(&mut self) -> Result<(), Overlap> {
        if self.get_active {
            self.poll_answer = Some(PollAnswer::Close);
            self.request_close(CloseReason::TransportError);
            return Err(Overlap);
        }
        self.get_active = true;
        if self.upgrade == UpgradeState::Probed {
            self.late_get = Some(LateGet::Arrived);
        }
        Ok(())
    }

    /// The polling GET ended (answered or cancelled).
    pub(crate) fn on_get_end(&mut self) {
        self.get_active = false;
        self.late_get = None;
    }

    /// Until when the pending GET may be held without anything else waking it (a GET that
    /// arrived during a probed upgrade); `None`: until woken.
    pub(crate) fn get_deadline(&self) -> Option<Instant> {
        match self.late_get {
            Some(LateGet::Until(t)) => Some(t),
            _ => None,
        }
    }

    /// What the pending GET answers now; on [`GetAnswer::Data`] the next batch is in
    /// `batch`. `transport` is the connection's current transport.
    pub(crate) fn poll_get(
        &mut self,
        now: Instant,
        transport: Transport,
        limits: PollLimits,
        batch: &mut Vec<Frame>,
    ) -> GetAnswer {
        if let Some(a) = self.poll_answer.take() {
            GetAnswer::Answer(a)
        } else if transport == Transport::Websocket {
            // A GET sent after `5` belongs to a transport that is gone (Node: 400); the one
            // that was pending when the upgrade started is released with `6`.
            GetAnswer::Answer(if self.late_get.is_some() {
                PollAnswer::Error
            } else {
                PollAnswer::Noop
            })
        } else if !self.frames.is_empty() {
            self.take_poll_batch(limits, batch);
            GetAnswer::Data
        } else if let Some(reason) = self.close {
            // A deliberate close is announced with a close packet; a session that ended on
            // an error (payload too large, parse error, ...) fails the poll, so clients
            // report a transport error rather than a server disconnect.
            GetAnswer::Answer(if closes_gracefully(reason) {
                PollAnswer::Close
            } else {
                PollAnswer::Error
            })
        } else if self.upgrade == UpgradeState::Probed {
            match self.late_get {
                Some(LateGet::Arrived) => {
                    self.late_get = Some(LateGet::Until(now + LATE_GET_HOLD));
                    GetAnswer::Wait
                }
                Some(LateGet::Until(t)) if now < t => GetAnswer::Wait,
                _ => GetAnswer::Answer(PollAnswer::Noop),
            }
        } else {
            GetAnswer::Wait
        }
    }

    /// A server close ([`CloseReason::ForcedClose`], Socket.IO's `disconnect`) found more
    /// frames queued than one poll carries: the closed session still serves them, in
    /// batches, to the polls that follow (within the grace period of `finish_polling`).
    fn flushes_after_close(&self) -> bool {
        self.close == Some(CloseReason::ForcedClose) && !self.frames.is_empty()
    }

    /// A closed session still owes a GET that no GET is taking: the `6` after a client
    /// close, or the rest of the frames queued before a server close.
    pub(crate) fn owes_poll_answer(&self) -> bool {
        !self.get_active && (self.poll_answer.is_some() || self.flushes_after_close())
    }

    /// A forced answer, or frames queued before a server close, wait for a poll.
    pub(crate) fn poll_answer_pending(&self) -> bool {
        self.poll_answer.is_some() || self.flushes_after_close()
    }

    /// A polling POST starts at `now`; its body must have arrived by the returned
    /// deadline (`now + body_timeout`). A second one while one is in progress closes the
    /// session (`TransportError`).
    pub(crate) fn on_post(
        &mut self,
        now: Instant,
        body_timeout: Duration,
    ) -> Result<Instant, Overlap> {
        if self.post_active {
            self.request_close(CloseReason::TransportError);
            return Err(Overlap);
        }
        self.post_active = true;
        Ok(now
            .checked_add(body_timeout)
            .unwrap_or(now + Duration::from_secs(86_400 * 365)))
    }

    /// The polling POST ended (answered or cancelled).
    pub(crate) fn on_post_end(&mut self) {
        self.post_active = false;
    }

    /// The client sent a close packet (`1`) over polling: the pending poll gets `6`.
    pub(crate) fn on_client_close(&mut self) {
        self.poll_answer = Some(PollAnswer::Noop);
        self.request_close(CloseReason::TransportClose);
    }

    // -- upgrade ---------------------------------------------------------------------------

    /// A WebSocket arrived for this polling session. False if it must be refused (upgrades
    /// off, already upgraded or upgrading, closing); otherwise the upgrade is pending.
    pub(crate) fn on_upgrade_request(&mut self, allowed: bool, transport: Transport) -> bool {
        let ok = allowed
            && transport == Transport::Polling
            && self.upgrade == UpgradeState::None
            && self.close.is_none();
        if ok {
            self.upgrade = UpgradeState::Pending;
        }
        ok
    }

    /// `2probe` was answered with `3probe`: polls are now released with `6` at once.
    pub(crate) fn on_probe(&mut self) {
        self.upgrade = UpgradeState::Probed;
    }

    /// The upgrade failed or was cancelled: the session stays on polling, as it was.
    pub(crate) fn on_upgrade_cancelled(&mut self) {
        self.upgrade = UpgradeState::None;
    }

    /// `5` arrived after the probe. False if the session closed meanwhile (the upgrade is
    /// then cancelled by the caller); otherwise the caller switches the transport, under the
    /// same lock, and a pending poll gets `6`.
    pub(crate) fn on_upgrade_done(&mut self) -> bool {
        if self.close.is_some() {
            return false;
        }
        self.upgrade = UpgradeState::None;
        // The poll pending since before the probe gets `6`; one sent after the probe is
        // refused by `poll_get` once it sees the new transport.
        if self.get_active && self.late_get.is_none() {
            self.poll_answer = Some(PollAnswer::Noop);
        }
        true
    }

    // -- heartbeat -------------------------------------------------------------------------

    /// Engine.IO v3: the client drives the heartbeat from `now` on.
    pub(crate) fn use_client_heartbeat(&mut self, now: Instant) {
        self.hb.client_driven(now);
    }

    /// Engine.IO v3: a client ping `2[data]` arrived. It pushes the heartbeat deadline and
    /// queues the pong `3[data]`, which counts against the queue budget like any frame (a
    /// client that pings without polling fills it and is closed with `SendBufferFull`).
    pub(crate) fn on_ping(&mut self, now: Instant, data: &str) -> Result<(), SendError> {
        self.hb.on_ping(now);
        self.push(Frame::Text(Bytes::from(format!("3{data}"))))
    }

    /// A pong arrived.
    pub(crate) fn on_pong(&mut self, now: Instant) {
        self.hb.on_pong(now);
    }

    /// When [`SessionState::poll_timer`] has something to do next.
    pub(crate) fn timer_deadline(&self) -> Instant {
        match self.close_at {
            Some(at) => at.min(self.hb.deadline()),
            None => self.hb.deadline(),
        }
    }

    /// Close the session with [`CloseReason::ForcedClose`] at `at` (`None`: never). The
    /// Socket.IO layer's connect timeout; the transport's timer runs it, so it costs no task
    /// of its own.
    pub(crate) fn set_close_deadline(&mut self, at: Option<Instant>) {
        self.close_at = at;
    }

    /// True when no pong can arrive in time any more, even if the timer has not fired yet.
    pub(crate) fn heartbeat_expired(&self, now: Instant) -> bool {
        self.hb.expired(now)
    }

    /// Run the heartbeat at `now`: a due ping is queued ([`Beat::SendPing`]: wake the
    /// transport), a missed pong or a passed close deadline closes the session
    /// ([`Beat::TimedOut`]).
    pub(crate) fn poll_timer(&mut self, now: Instant) -> Beat {
        if self.close_at.is_some_and(|at| now >= at) {
            self.close_at = None;
            self.request_close(CloseReason::ForcedClose);
            return Beat::TimedOut;
        }
        let beat = self.hb.poll(now);
        match beat {
            Beat::SendPing => self.push_control(PING, false),
            Beat::TimedOut => {
                self.request_close(CloseReason::PingTimeout);
            }
            Beat::Wait => {}
        }
        beat
    }
}

/// Whether a session closed for `reason` announces it to a pending poll with a close packet.
fn closes_gracefully(reason: CloseReason) -> bool {
    matches!(
        reason,
        CloseReason::TransportClose | CloseReason::ForcedClose | CloseReason::ServerShuttingDown
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn state(max_bytes: usize, max_frames: usize) -> SessionState {
        SessionState::new(
            Instant::now(),
            QueueLimits {
                max_bytes,
                max_frames,
            },
            MS(300),
            MS(200),
        )
    }

    fn text(s: &'static str) -> Frame {
        Frame::Text(Bytes::from_static(s.as_bytes()))
    }

    fn bin(n: usize) -> Frame {
        Frame::Binary(Bytes::from(vec![7u8; n]))
    }

    const POLL: PollLimits = PollLimits {
        max_packets: 16,
        max_bytes: 1_000_000,
    };

    #[test]
    fn byte_budget_at_limit_and_limit_plus_one() {
        // Three frames of 10 bytes cost 3 * 42 = 126.
        let mut s = state(126, usize::MAX);
        let f = text("4123456789");
        assert_eq!(frame_cost(&f), 42);
        for _ in 0..3 {
            assert_eq!(s.push(f.clone()), Ok(()));
        }
        assert_eq!(s.queued_bytes(), 126);
        assert_eq!(s.close_reason(), None, "at the limit: still open");
        assert_eq!(s.push(text("4")), Err(SendError::Full), "limit + 1");
        assert_eq!(s.close_reason(), Some(CloseReason::SendBufferFull));
        assert_eq!(s.push(text("4")), Err(SendError::Closed));
        assert_eq!(s.queued_frames(), 3);
    }

    #[test]
    fn attachments_count_as_bytes_not_frames() {
        // 1000 events with ten 1-byte attachments: 11,000 frames, ~ 400 KB, well within
        // the default 8 MiB.
        let mut s = state(8 << 20, 1 << 18);
        let mut packet = vec![text("451-[\"ev\",{\"_placeholder\":true,\"num\":0}]")];
        packet.extend((0..10).map(|_| bin(1)));
        for _ in 0..1000 {
            assert_eq!(s.push_many(&packet), Ok(()));
        }
        assert_eq!(s.queued_frames(), 11_000);
        assert!(s.queued_bytes() < 1 << 20);
    }

    #[test]
    fn empty_frames_are_bounded_by_their_overhead() {
        let mut s = state(FRAME_OVERHEAD * 4, usize::MAX);
        for _ in 0..4 {
            assert_eq!(s.push(Frame::Binary(Bytes::new())), Ok(()));
        }
        assert_eq!(s.push(Frame::Binary(Bytes::new())), Err(SendError::Full));
    }

    #[test]
    fn frame_count_safety_net_at_limit_and_limit_plus_one() {
        let mut s = state(usize::MAX, 3);
        assert_eq!(s.push_many(&[text("4a"), text("4b")]), Ok(()));
        assert_eq!(s.push(text("4c")), Ok(()));
        let mut s2 = state(usize::MAX, 3);
        assert_eq!(s2.push_many(&[text("4a"), text("4b")]), Ok(()));
        assert_eq!(
            s2.push_many(&[text("4c"), text("4d")]),
            Err(SendError::Full),
            "all or nothing"
        );
        assert_eq!(s2.queued_frames(), 2);
        assert_eq!(s.push(text("4d")), Err(SendError::Full));
    }

    #[test]
    fn poll_batches_hold_at_most_max_packets() {
        let mut s = state(usize::MAX, usize::MAX);
        for _ in 0..33 {
            s.push(text("4x")).unwrap();
        }
        let mut sizes = Vec::new();
        loop {
            let mut batch = Vec::new();
            match s.poll_get(Instant::now(), Transport::Polling, POLL, &mut batch) {
                GetAnswer::Data => sizes.push(batch.len()),
                GetAnswer::Wait => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(sizes, [16, 16, 1]);
        assert_eq!(s.queued_bytes(), 0);
    }

    #[test]
    fn poll_batches_hold_at_most_max_bytes_but_a_big_packet_goes_alone() {
        let limits = PollLimits {
            max_packets: 16,
            max_bytes: 10,
        };
        let mut s = state(usize::MAX, usize::MAX);
        // "4abcd" costs 6 in a payload (with its separator): one fits in 10, two do not.
        s.push(text("4abcd")).unwrap();
        s.push(text("4abc")).unwrap(); // 5: 6 + 5 = 11 > 10
        s.push(bin(30)).unwrap(); // 42 alone
        s.push(text("41")).unwrap(); // 3
        s.push(text("4123")).unwrap(); // 5: 3 + 5 = 8
        s.push(text("4")).unwrap(); // 2: 8 + 2 = 10, at the limit
        let mut sizes = Vec::new();
        let mut batch = Vec::new();
        while s.poll_get(Instant::now(), Transport::Polling, limits, &mut batch) == GetAnswer::Data
        {
            sizes.push(batch.len());
            batch.clear();
        }
        assert_eq!(sizes, [1, 1, 1, 3]);
        assert_eq!(s.queued_frames(), 0);
    }

    #[test]
    fn a_closed_session_flushes_its_batches_before_the_close_answer() {
        let mut s = state(usize::MAX, usize::MAX);
        for _ in 0..20 {
            s.push(text("4x")).unwrap();
        }
        s.request_close(CloseReason::ForcedClose);
        let mut batch = Vec::new();
        assert_eq!(
            s.poll_get(Instant::now(), Transport::Polling, POLL, &mut batch),
            GetAnswer::Data
        );
        assert_eq!(batch.len(), 16);
        batch.clear();
        assert_eq!(
            s.poll_get(Instant::now(), Transport::Polling, POLL, &mut batch),
            GetAnswer::Data
        );
        assert_eq!(batch.len(), 4);
        assert_eq!(
            s.poll_get(Instant::now(), Transport::Polling, POLL, &mut batch),
            GetAnswer::Answer(PollAnswer::Close)
        );
        let mut e = state(usize::MAX, usize::MAX);
        e.request_close(CloseReason::ParseError);
        assert_eq!(
            e.poll_get(Instant::now(), Transport::Polling, POLL, &mut batch),
            GetAnswer::Answer(PollAnswer::Error)
        );
    }

    #[test]
    fn a_server_close_keeps_owing_the_queued_batches() {
        let mut s = state(usize::MAX, usize::MAX);
        for _ in 0..20 {
            s.push(text("4x")).unwrap();
        }
        s.request_close(CloseReason::ForcedClose);
        assert!(s.owes_poll_answer());
        assert!(s.poll_answer_pending());
        s.on_get().unwrap();
        assert!(!s.owes_poll_answer(), "taken by the GET in progress");
        let mut batch = Vec::new();
        assert_eq!(
            s.poll_get(Instant::now(), Transport::Polling, POLL, &mut batch),
            GetAnswer::Data
        );
        s.on_get_end();
        assert!(s.owes_poll_answer(), "4 frames left");
        batch.clear();
        assert_eq!(
            s.poll_get(Instant::now(), Transport::Polling, POLL, &mut batch),
            GetAnswer::Data
        );
        assert!(!s.owes_poll_answer());
        assert!(!s.poll_answer_pending());
        // Any other close reason does not keep the session for its queue.
        let mut e = state(usize::MAX, usize::MAX);
        e.push(text("4x")).unwrap();
        e.request_close(CloseReason::SendBufferFull);
        assert!(!e.owes_poll_answer());
        assert!(!e.poll_answer_pending());
    }

    #[test]
    fn websocket_takes_everything_and_resets_the_count() {
        let mut s = state(usize::MAX, usize::MAX);
        for _ in 0..100 {
            s.push(text("4x")).unwrap();
        }
        let mut batch = VecDeque::new();
        assert_eq!(s.take_all(&mut batch), None);
        assert_eq!(batch.len(), 100);
        assert_eq!(s.queued_bytes(), 0);
    }

    #[test]
    fn websocket_with_nothing_queued_keeps_one_buffer() {
        let mut s = state(usize::MAX, usize::MAX);
        s.push(text("4x")).unwrap();
        let mut batch = VecDeque::new();
        s.take_all(&mut batch);
        assert_eq!(batch.len(), 1);
        assert_eq!(s.frames.capacity(), 0, "the queue got the empty batch");
        batch.clear();
        let spare = batch.capacity();
        assert!(spare > 0);
        // Nothing queued: the queue, which has no buffer, takes the batch's.
        assert_eq!(s.take_all(&mut batch), None);
        assert_eq!(batch.capacity(), 0);
        assert_eq!(s.frames.capacity(), spare);
        // Again: nothing moves, and nothing is lost.
        s.take_all(&mut batch);
        assert_eq!((batch.capacity(), s.frames.capacity()), (0, spare));
        s.push(text("4y")).unwrap();
        s.take_all(&mut batch);
        assert_eq!(batch.len(), 1);
        assert_eq!(s.queued_bytes(), 0);
    }

    #[test]
    fn close_deadline_closes_unless_cleared() {
        let t0 = Instant::now();
        let at = |t0| {
            SessionState::new(
                t0,
                QueueLimits {
                    max_bytes: 9,
                    max_frames: 9,
                },
                MS(300),
                MS(200),
            )
        };
        let mut s = at(t0);
        s.set_close_deadline(Some(t0 + MS(100)));
        assert_eq!(
            s.timer_deadline(),
            t0 + MS(100),
            "earlier than the first ping"
        );
        assert_eq!(s.poll_timer(t0 + MS(99)), Beat::Wait);
        assert_eq!(s.close_reason(), None);
        assert_eq!(s.poll_timer(t0 + MS(100)), Beat::TimedOut);
        assert_eq!(s.close_reason(), Some(CloseReason::ForcedClose));

        let mut s = at(t0);
        s.set_close_deadline(Some(t0 + MS(100)));
        s.set_close_deadline(None);
        assert_eq!(s.timer_deadline(), t0 + MS(300), "the heartbeat's again");
        assert_eq!(s.poll_timer(t0 + MS(150)), Beat::Wait);
        assert_eq!(s.close_reason(), None);

        // A deadline after the next ping does not delay it.
        let mut s = at(t0);
        s.set_close_deadline(Some(t0 + MS(1000)));
        assert_eq!(s.timer_deadline(), t0 + MS(300));
        assert_eq!(s.poll_timer(t0 + MS(300)), Beat::SendPing);
    }

    #[test]
    fn duplicate_get_and_post() {
        let mut s = state(usize::MAX, usize::MAX);
        let now = Instant::now();
        assert_eq!(s.on_get(), Ok(()));
        assert_eq!(s.on_post(now, MS(10_000)), Ok(now + MS(10_000)));
        assert_eq!(s.on_get(), Err(Overlap));
        assert_eq!(s.close_reason(), Some(CloseReason::TransportError));
        let mut batch = Vec::new();
        assert_eq!(
            s.poll_get(Instant::now(), Transport::Polling, POLL, &mut batch),
            GetAnswer::Answer(PollAnswer::Close),
            "the first poll is answered with a close packet"
        );
        assert_eq!(s.on_post(now, MS(1)), Err(Overlap));
        s.on_post_end();
        assert!(s.on_post(now, MS(1)).is_ok());
    }

    #[test]
    fn client_close_owes_the_poll_a_noop() {
        let mut s = state(usize::MAX, usize::MAX);
        s.on_client_close();
        assert!(s.owes_poll_answer());
        assert_eq!(s.on_get(), Ok(()));
        assert!(!s.owes_poll_answer());
        let mut batch = Vec::new();
        assert_eq!(
            s.poll_get(Instant::now(), Transport::Polling, POLL, &mut batch),
            GetAnswer::Answer(PollAnswer::Noop)
        );
        assert!(!s.poll_answer_pending());
    }

    #[test]
    fn upgrade_transitions() {
        let mut s = state(usize::MAX, usize::MAX);
        assert!(!s.on_upgrade_request(false, Transport::Polling));
        assert!(!s.on_upgrade_request(true, Transport::Websocket));
        assert!(s.on_upgrade_request(true, Transport::Polling));
        assert!(
            !s.on_upgrade_request(true, Transport::Polling),
            "one at a time"
        );
        s.on_get().unwrap();
        let mut batch = Vec::new();
        assert_eq!(
            s.poll_get(Instant::now(), Transport::Polling, POLL, &mut batch),
            GetAnswer::Wait
        );
        s.on_probe();
        assert_eq!(
            s.poll_get(Instant::now(), Transport::Polling, POLL, &mut batch),
            GetAnswer::Answer(PollAnswer::Noop)
        );
        assert!(s.on_upgrade_done());
        assert!(s.poll_answer_pending(), "the pending poll gets 6");
        s.on_upgrade_cancelled();
        assert!(s.on_upgrade_request(true, Transport::Polling));
        s.request_close(CloseReason::ForcedClose);
        assert!(!s.on_upgrade_done());
    }

    #[test]
    fn a_get_sent_during_a_probed_upgrade_waits_for_it() {
        let t0 = Instant::now();
        let mut batch = Vec::new();
        // The upgrade completes while the late GET waits: it is refused (Node: 400).
        let mut s = state(usize::MAX, usize::MAX);
        assert!(s.on_upgrade_request(true, Transport::Polling));
        s.on_probe();
        s.on_get().unwrap();
        assert_eq!(
            s.poll_get(t0, Transport::Polling, POLL, &mut batch),
            GetAnswer::Wait
        );
        assert_eq!(s.get_deadline(), Some(t0 + LATE_GET_HOLD));
        assert_eq!(
            s.poll_get(
                t0 + LATE_GET_HOLD - MS(1),
                Transport::Polling,
                POLL,
                &mut batch
            ),
            GetAnswer::Wait,
            "held until the deadline"
        );
        assert!(s.on_upgrade_done());
        assert_eq!(
            s.poll_get(t0 + MS(50), Transport::Websocket, POLL, &mut batch),
            GetAnswer::Answer(PollAnswer::Error)
        );
        s.on_get_end();
        assert_eq!(s.get_deadline(), None);

        // No `5` within the hold: released with `6`, like a poll pending before the probe.
        let mut s = state(usize::MAX, usize::MAX);
        assert!(s.on_upgrade_request(true, Transport::Polling));
        s.on_probe();
        s.on_get().unwrap();
        assert_eq!(
            s.poll_get(t0, Transport::Polling, POLL, &mut batch),
            GetAnswer::Wait
        );
        assert_eq!(
            s.poll_get(t0 + LATE_GET_HOLD, Transport::Polling, POLL, &mut batch),
            GetAnswer::Answer(PollAnswer::Noop)
        );
    }

    #[test]
    fn heartbeat_with_a_fake_clock() {
        let t0 = Instant::now();
        let mut s = SessionState::new(
            t0,
            QueueLimits {
                max_bytes: 0,
                max_frames: 0,
            },
            MS(300),
            MS(200),
        );
        assert_eq!(s.timer_deadline(), t0 + MS(300));
        assert_eq!(s.poll_timer(t0 + MS(299)), Beat::Wait);
        assert_eq!(s.poll_timer(t0 + MS(300)), Beat::SendPing);
        assert_eq!(s.queued_frames(), 1, "the ping ignores the (zero) bounds");
        assert_eq!(s.timer_deadline(), t0 + MS(500));
        s.on_pong(t0 + MS(400));
        assert_eq!(s.timer_deadline(), t0 + MS(700));
        assert_eq!(s.poll_timer(t0 + MS(700)), Beat::SendPing);
        assert!(!s.heartbeat_expired(t0 + MS(899)));
        assert!(s.heartbeat_expired(t0 + MS(900)));
        assert_eq!(s.poll_timer(t0 + MS(900)), Beat::TimedOut);
        assert_eq!(s.close_reason(), Some(CloseReason::PingTimeout));
    }

    #[test]
    fn post_body_deadline_is_start_plus_timeout() {
        let t0 = Instant::now();
        let mut s = state(usize::MAX, usize::MAX);
        let deadline = s.on_post(t0, Duration::from_secs(10)).unwrap();
        assert_eq!(deadline, t0 + Duration::from_secs(10));
        s.on_post_end();
        // An absurd timeout does not overflow.
        assert!(s.on_post(t0, Duration::MAX).is_ok());
    }
}
