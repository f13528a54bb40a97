//! Connection state recovery (Node socket.io 4.x's `connectionStateRecovery`): the settings
//! ([`RecoveryConfig`]) and the per-namespace store of disconnected sessions and of the
//! packets emitted recently, from which a client that comes back gets its sid, rooms,
//! session data and the events it missed.
//!
//! How it works, as Node's `SessionAwareAdapter`: every event emitted without an ack request
//! (to a socket, to rooms, or to the whole namespace) gets an *offset*, a string appended as
//! its last argument, and is kept in the namespace's log with its targets. The CONNECT answer
//! carries a private session id `pid` next to the `sid`. When a socket's transport goes away
//! (transport close or error, ping timeout, forced close, server shutdown; not a namespace
//! disconnect by either side, nor a connection closed for what the client sent or could not
//! receive) its sid, pid,
//! rooms and session data are kept; a client that connects again within
//! [`RecoveryConfig::max_disconnection_duration`] with `{"pid", "offset"}` in its CONNECT auth
//! (what socket.io-client ≥ 4.6 sends) gets the same sid, rooms and session, then the events
//! of the log after its offset that were meant for it, in order.
//!
//! Bounds, per namespace: at most [`RecoveryConfig::max_sessions`] kept sessions and
//! [`RecoveryConfig::max_session_bytes`] of them (one more drops the one disconnected longest
//! ago: it is the least likely to come back), and at most
//! [`RecoveryConfig::max_buffered_packets`] packets and
//! [`RecoveryConfig::max_buffered_bytes`] bytes in the log (one more drops the oldest packet;
//! every session whose offset is older than a packet dropped this way can no longer be
//! recovered, since it would miss that event, and gets a fresh session instead). Sessions
//! and packets older than the duration are dropped as the store is used; a packet older than
//! the duration can only concern a client that received it or was not its target, so such
//! drops never make a session unrecoverable.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use smallvec::SmallVec;

use crate::engine::Frame;
use crate::proto::parser::Parser;
use crate::proto::sio::{Args, Encoded};
use crate::sync::lock;

/// Connection state recovery settings ([`ServerConfig::connection_state_recovery`](crate::ServerConfig::connection_state_recovery);
/// Node's `connectionStateRecovery`). Every limit applies to each namespace separately.
///
/// ```
/// use std::time::Duration;
/// use socketio::{RecoveryConfig, SocketIo};
///
/// let mut recovery = RecoveryConfig::default();
/// recovery.max_disconnection_duration = Duration::from_secs(30);
/// let io = SocketIo::builder().connection_state_recovery(recovery).build().unwrap();
/// # let _ = io;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecoveryConfig {
    /// How long a disconnected session stays recoverable. Default 2 minutes (Node). Events
    /// are kept in the log this long after they were emitted.
    pub max_disconnection_duration: Duration,
    /// Most disconnected sessions kept. Default 10,000. One more drops the session that
    /// disconnected first; its client then gets a fresh session (new sid, `recovered` false).
    pub max_sessions: usize,
    /// Most bytes of kept sessions: the names of their rooms plus 64 bytes each (the
    /// application's session data is not counted). Default 16 MiB. Past it the sessions
    /// that disconnected first are dropped as for [`max_sessions`](Self::max_sessions); a
    /// session larger than the whole budget is not kept.
    pub max_session_bytes: usize,
    /// Most packets kept in the log. Default 10,000. One more drops the oldest packet, and
    /// sessions that had not received it become unrecoverable.
    pub max_buffered_packets: usize,
    /// Most bytes of packets kept in the log (their frames, plus the names of the rooms they
    /// were sent to and excluded, plus 64 bytes each). Default 16 MiB. Past it the oldest
    /// packets are dropped as for [`max_buffered_packets`](Self::max_buffered_packets); a
    /// packet larger than the whole budget is sent but not kept. The events one client
    /// missed are sent to it at once when it recovers: more than the engine's
    /// [`max_buffered_bytes`](crate::engine::EngineConfig::max_buffered_bytes) (8 MiB) close
    /// its connection as any burst does (`send buffer full`, a session that is then not kept).
    pub max_buffered_bytes: usize,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        Self {
            max_disconnection_duration: Duration::from_secs(120),
            max_sessions: 10_000,
            max_session_bytes: 16 * 1024 * 1024,
            max_buffered_packets: 10_000,
            max_buffered_bytes: 16 * 1024 * 1024,
        }
    }
}

/// A room name, as `rooms.rs` stores it (not imported: `rooms.rs` names the config, which
/// names this file).
type Room = Arc<str>;
/// A socket id.
type Sid = Arc<str>;

/// Fixed cost counted for each kept packet besides its bytes.
const PACKET_OVERHEAD: usize = 64;

/// A session kept after its transport went away.
pub(crate) struct Session {
    pub(crate) sid: Sid,
    pub(crate) pid: Sid,
    /// Its rooms, without its own sid room.
    pub(crate) rooms: Vec<Room>,
    pub(crate) data: super::types::SessionData,
}

/// What a recovering client gets back.
pub(crate) struct Restored {
    pub(crate) session: Session,
    /// The frames of the events it missed, in order.
    pub(crate) missed: Vec<Frame>,
}

struct Kept {
    session: Session,
    at: Instant,
    cost: usize,
}

struct Logged {
    id: u64,
    at: Instant,
    frames: SmallVec<[Frame; 3]>,
    rooms: SmallVec<[Room; 1]>,
    except: SmallVec<[Sid; 1]>,
    cost: usize,
}

impl Logged {
    /// Node's `shouldIncludePacket`: to no room (the namespace) or to one of the socket's
    /// rooms, and none of its rooms excluded. `rooms` includes the sid.
    fn is_for(&self, sid: &str, rooms: &[Room]) -> bool {
        let mine = |r: &str| r == sid || rooms.iter().any(|x| &**x == r);
        (self.rooms.is_empty() || self.rooms.iter().any(|r| mine(r)))
            && !self.except.iter().any(|r| mine(r))
    }
}

#[derive(Default)]
struct Inner {
    /// The id of the next packet (ids start at 1; 0 is "none").
    next: u64,
    log: VecDeque<Logged>,
    bytes: usize,
    /// The highest id dropped for room (not for age): a session whose offset is below it
    /// missed an event that is gone.
    lost: u64,
    sessions: IndexMap<Sid, Kept>,
    session_bytes: usize,
}

/// The recovery store of one namespace.
pub(crate) struct Store {
    config: RecoveryConfig,
    inner: Mutex<Inner>,
}

impl Store {
    pub(crate) fn new(config: RecoveryConfig) -> Self {
        Self {
            config,
            inner: Mutex::new(Inner {
                next: 1,
                ..Inner::default()
            }),
        }
    }

    /// Keep an event for the sockets in `rooms` (none: the whole namespace) except those in
    /// `except`. `build` makes its frames from its offset (the decimal id, appended to its
    /// arguments); they are returned to be sent.
    pub(crate) fn log(
        &self,
        rooms: &[Room],
        except: &[Sid],
        now: Instant,
        build: impl FnOnce(&str) -> SmallVec<[Frame; 3]>,
    ) -> SmallVec<[Frame; 3]> {
        let mut inner = lock(&self.inner);
        let id = inner.next;
        inner.next = id.wrapping_add(1);
        let frames = build(&id.to_string());
        let names = rooms.iter().chain(except).map(|r| r.len()).sum::<usize>();
        let cost = frames
            .iter()
            .map(|f| match f {
                Frame::Text(b) | Frame::Binary(b) => b.len(),
            })
            .sum::<usize>()
            .saturating_add(names)
            .saturating_add(PACKET_OVERHEAD);
        inner.expire(now, self.config.max_disconnection_duration);
        inner.bytes = inner.bytes.saturating_add(cost);
        inner.log.push_back(Logged {
            id,
            at: now,
            frames: frames.clone(),
            rooms: rooms.iter().cloned().collect(),
            except: except.iter().cloned().collect(),
            cost,
        });
        while inner.log.len() > self.config.max_buffered_packets
            || inner.bytes > self.config.max_buffered_bytes
        {
            let Some(old) = inner.log.pop_front() else {
                break;
            };
            inner.bytes = inner.bytes.saturating_sub(old.cost);
            inner.lost = inner.lost.max(old.id);
        }
        frames
    }

    /// Keep a disconnected session (replacing one with the same pid).
    pub(crate) fn persist(&self, session: Session, now: Instant) {
        let mut inner = lock(&self.inner);
        inner.expire(now, self.config.max_disconnection_duration);
        let pid = session.pid.clone();
        inner.remove_session(&pid);
        let cost = session
            .rooms
            .iter()
            .map(|r| r.len())
            .sum::<usize>()
            .saturating_add(session.sid.len() + pid.len() + PACKET_OVERHEAD);
        if self.config.max_sessions == 0 || cost > self.config.max_session_bytes {
            return;
        }
        while inner.sessions.len() >= self.config.max_sessions
            || inner.session_bytes.saturating_add(cost) > self.config.max_session_bytes
        {
            if !inner.remove_first_session() {
                break;
            }
        }
        inner.session_bytes = inner.session_bytes.saturating_add(cost);
        inner.sessions.insert(
            pid,
            Kept {
                session,
                at: now,
                cost,
            },
        );
    }

    /// Take the session `pid` back with the events after `offset` meant for it, if it is
    /// still recoverable.
    pub(crate) fn restore(&self, pid: &str, offset: &str, now: Instant) -> Option<Restored> {
        let offset: u64 = offset.parse().ok()?;
        let mut inner = lock(&self.inner);
        inner.expire(now, self.config.max_disconnection_duration);
        let kept = inner.remove_session(pid)?;
        // An offset this log never gave, or older than an event dropped for room.
        if offset >= inner.next || offset < inner.lost {
            return None;
        }
        let s = &kept.session;
        let missed = inner
            .log
            .iter()
            .filter(|p| p.id > offset && p.is_for(&s.sid, &s.rooms))
            .flat_map(|p| p.frames.iter().cloned())
            .collect();
        Some(Restored {
            session: kept.session,
            missed,
        })
    }

    /// Kept sessions and logged packets (for tests).
    #[cfg(test)]
    fn counts(&self) -> (usize, usize, usize) {
        let inner = lock(&self.inner);
        (inner.sessions.len(), inner.log.len(), inner.bytes)
    }
}

impl Inner {
    fn remove_session(&mut self, pid: &str) -> Option<Kept> {
        let kept = self.sessions.shift_remove(pid)?;
        self.session_bytes = self.session_bytes.saturating_sub(kept.cost);
        Some(kept)
    }

    /// Drop the session that disconnected first; false when there is none.
    fn remove_first_session(&mut self) -> bool {
        match self.sessions.shift_remove_index(0) {
            Some((_, kept)) => {
                self.session_bytes = self.session_bytes.saturating_sub(kept.cost);
                true
            }
            None => false,
        }
    }

    /// Drop the sessions and packets older than `max`.
    fn expire(&mut self, now: Instant, max: Duration) {
        let Some(threshold) = now.checked_sub(max) else {
            return;
        };
        while self.sessions.first().is_some_and(|(_, k)| k.at < threshold) {
            self.remove_first_session();
        }
        while self.log.front().is_some_and(|p| p.at < threshold) {
            if let Some(old) = self.log.pop_front() {
                self.bytes = self.bytes.saturating_sub(old.cost);
            }
        }
    }
}

/// The frames of the event `base` (encoded by `parser`, in namespace `nsp`) with the string
/// `offset` appended as its last argument. With the JSON parser the offset is spliced into
/// the text; another parser encodes `args` (the event's arguments) again. Falls back to
/// `base` as it is if that fails (the event is then sent without its offset).
pub(crate) fn frames_with_offset(
    parser: &Parser,
    nsp: &str,
    event: &str,
    base: &Encoded,
    args: Option<&Args>,
    offset: &str,
) -> SmallVec<[Frame; 3]> {
    if parser.is_json() {
        if let Some(text) = append_offset_json(&base.text, offset) {
            return Frame::of_packet(&Encoded {
                text,
                attachments: base.attachments.clone(),
            });
        }
    } else if let Some(args) = args {
        let mut json = args.to_json_array();
        json.pop();
        if !args.is_empty() {
            json.push(',');
        }
        let mut quoted = Vec::with_capacity(offset.len() + 2);
        crate::proto::sio::push_json_str(&mut quoted, offset);
        json.push_str(&String::from_utf8_lossy(&quoted));
        json.push(']');
        let again = Args::from_json_array(json, args.attachments().to_vec())
            .ok()
            .and_then(|a| parser.encode_event(nsp, event, None, &a).ok());
        if let Some(enc) = again {
            return Frame::of_packet(&enc);
        }
    }
    Frame::of_packet(base)
}

/// The `pid` and `offset` of a CONNECT auth payload (JSON object), when both are strings.
pub(crate) fn pid_and_offset(auth: Option<&str>) -> Option<(String, String)> {
    #[derive(serde::Deserialize)]
    struct Auth {
        pid: Option<String>,
        offset: Option<String>,
    }
    let a: Auth = serde_json::from_str(auth?).ok()?;
    Some((a.pid?, a.offset?))
}

/// The text of a JSON event packet (`42…[…]`) with the string `offset` appended as its last
/// argument; `None` when `text` does not end with `]`.
pub(crate) fn append_offset_json(text: &[u8], offset: &str) -> Option<bytes::Bytes> {
    let (last, head) = text.split_last()?;
    if *last != b']' {
        return None;
    }
    let mut buf = Vec::with_capacity(text.len() + offset.len() + 3);
    buf.extend_from_slice(head);
    // `["ev"]` has its event name first: there is always an element before.
    buf.push(b',');
    crate::proto::sio::push_json_str(&mut buf, offset);
    buf.push(b']');
    Some(bytes::Bytes::from(buf))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn frames(text: &str) -> SmallVec<[Frame; 3]> {
        let mut v = SmallVec::new();
        v.push(Frame::Text(Bytes::from(text.to_owned())));
        v
    }

    fn session(sid: &str, pid: &str, rooms: &[&str]) -> Session {
        Session {
            sid: Arc::from(sid),
            pid: Arc::from(pid),
            rooms: rooms.iter().map(|r| Arc::from(*r)).collect(),
            data: Default::default(),
        }
    }

    fn texts(r: &Restored) -> Vec<String> {
        r.missed
            .iter()
            .map(|f| match f {
                Frame::Text(b) | Frame::Binary(b) => String::from_utf8_lossy(b).into_owned(),
            })
            .collect()
    }

    fn cfg(sessions: usize, packets: usize, bytes: usize) -> RecoveryConfig {
        RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(10),
            max_sessions: sessions,
            max_session_bytes: 1 << 20,
            max_buffered_packets: packets,
            max_buffered_bytes: bytes,
        }
    }

    #[test]
    fn restores_targeted_events_in_order() {
        let st = Store::new(cfg(10, 100, 1 << 20));
        let t = Instant::now();
        let r = |n: &str| -> Room { Arc::from(n) };
        st.log(&[], &[], t, |o| frames(&format!("all{o}")));
        st.persist(session("s1", "p1", &["r"]), t);
        st.log(&[r("s1")], &[], t, |o| frames(&format!("me{o}")));
        st.log(&[r("r")], &[], t, |o| frames(&format!("room{o}")));
        st.log(&[r("other")], &[], t, |o| frames(&format!("other{o}")));
        st.log(&[], &[r("s1")], t, |o| frames(&format!("notme{o}")));
        st.log(&[], &[], t, |o| frames(&format!("all{o}")));
        let got = st.restore("p1", "1", t).unwrap();
        assert_eq!(texts(&got), ["me2", "room3", "all6"]);
        assert_eq!(&*got.session.sid, "s1");
        // Taken: a second restore of the same pid fails.
        assert!(st.restore("p1", "1", t).is_none());
    }

    #[test]
    fn unknown_offset_or_expired_session_is_not_restored() {
        let st = Store::new(cfg(10, 100, 1 << 20));
        let t = Instant::now();
        st.log(&[], &[], t, frames);
        st.persist(session("s1", "p1", &[]), t);
        assert!(st.restore("p1", "7", t).is_none(), "offset never given");
        st.persist(session("s1", "p1", &[]), t);
        assert!(st.restore("p1", "x", t).is_none(), "offset not a number");
        st.persist(session("s1", "p1", &[]), t);
        let late = t + Duration::from_secs(11);
        assert!(st.restore("p1", "1", late).is_none(), "expired");
        assert_eq!(st.counts().0, 0);
    }

    #[test]
    fn session_limit_drops_the_oldest() {
        let st = Store::new(cfg(2, 100, 1 << 20));
        let t = Instant::now();
        st.log(&[], &[], t, frames);
        st.persist(session("a", "pa", &[]), t);
        st.persist(session("b", "pb", &[]), t);
        assert_eq!(st.counts().0, 2);
        st.persist(session("c", "pc", &[]), t); // limit + 1
        assert_eq!(st.counts().0, 2);
        assert!(st.restore("pa", "1", t).is_none());
        assert!(st.restore("pb", "1", t).is_some());
        assert!(st.restore("pc", "1", t).is_some());
    }

    #[test]
    fn session_byte_limit_drops_the_oldest() {
        // sid 1 + pid 2 + room 4 + overhead
        let one = 1 + 2 + 4 + PACKET_OVERHEAD;
        let mut c = cfg(10, 100, 1 << 20);
        c.max_session_bytes = 2 * one;
        let st = Store::new(c);
        let t = Instant::now();
        st.log(&[], &[], t, frames);
        st.persist(session("a", "pa", &["room"]), t);
        st.persist(session("b", "pb", &["room"]), t);
        assert_eq!(st.counts().0, 2);
        st.persist(session("c", "pc", &["room"]), t); // one session's bytes too many
        assert_eq!(st.counts().0, 2);
        assert!(st.restore("pa", "1", t).is_none());
        assert!(st.restore("pb", "1", t).is_some());
        // A session larger than the budget is not kept, and drops nothing.
        st.persist(
            session(
                "d",
                "pd",
                &["a-room-name-longer-than-the-budget-allows-for-one-session"; 2],
            ),
            t,
        );
        assert!(st.restore("pd", "1", t).is_none());
        assert!(st.restore("pc", "1", t).is_some());
    }

    #[test]
    fn packet_limit_drops_the_oldest_and_makes_late_sessions_unrecoverable() {
        let st = Store::new(cfg(10, 3, 1 << 20));
        let t = Instant::now();
        st.log(&[], &[], t, frames); // 1
        st.persist(session("a", "pa", &[]), t); // a received 1
        st.log(&[], &[], t, frames); // 2
        st.persist(session("b", "pb", &[]), t); // b received 2
        st.log(&[], &[], t, frames); // 3
        assert_eq!(st.counts().1, 3);
        st.log(&[], &[], t, frames); // 4: limit + 1 drops 1
        assert_eq!(st.counts().1, 3);
        // a still has every packet after 1; drop 2 and it would miss it.
        st.log(&[], &[], t, frames); // 5: drops 2
        assert!(
            st.restore("pa", "1", t).is_none(),
            "missed 2, which is gone"
        );
        let b = st.restore("pb", "2", t).unwrap();
        assert_eq!(texts(&b), ["3", "4", "5"]);
    }

    #[test]
    fn byte_limit_counts_frames_names_and_overhead() {
        let one = 10 + 1 + PACKET_OVERHEAD; // "0123456789" + room "r"
        let st = Store::new(cfg(10, 100, 2 * one));
        let t = Instant::now();
        let r: Room = Arc::from("r");
        let ten = |_: &str| frames("0123456789");
        st.log(std::slice::from_ref(&r), &[], t, ten);
        st.log(std::slice::from_ref(&r), &[], t, ten);
        assert_eq!(st.counts(), (0, 2, 2 * one));
        st.log(std::slice::from_ref(&r), &[], t, ten); // one byte budget too many
        assert_eq!(st.counts(), (0, 2, 2 * one));
        // A packet larger than the budget is not kept.
        let st = Store::new(cfg(10, 100, 10));
        st.log(&[], &[], t, ten);
        assert_eq!(st.counts(), (0, 0, 0));
    }

    #[test]
    fn aged_packets_do_not_make_sessions_unrecoverable() {
        let st = Store::new(cfg(10, 100, 1 << 20));
        let t = Instant::now();
        st.log(&[], &[], t, frames); // 1
        let later = t + Duration::from_secs(11);
        st.persist(session("a", "pa", &[]), later);
        st.log(&[], &[], later, frames); // 2, expires 1
        assert_eq!(st.counts().1, 1);
        let a = st.restore("pa", "1", later).unwrap();
        assert_eq!(texts(&a), ["2"]);
    }

    #[test]
    fn auth_and_offset_parsing() {
        assert_eq!(
            pid_and_offset(Some(r#"{"token":1,"pid":"p","offset":"3"}"#)),
            Some(("p".into(), "3".into()))
        );
        assert_eq!(pid_and_offset(Some(r#"{"pid":"p"}"#)), None);
        assert_eq!(pid_and_offset(Some("[1]")), None);
        assert_eq!(pid_and_offset(None), None);
        assert_eq!(
            &append_offset_json(br#"42/chat,["ev",1]"#, "7").unwrap()[..],
            br#"42/chat,["ev",1,"7"]"#
        );
        assert!(append_offset_json(b"42", "7").is_none());
    }
}
