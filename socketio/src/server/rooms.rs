//! Rooms, the in-memory adapter: which sockets a namespace has, which rooms they joined, and
//! the recipients of an emit to rooms and sids.
//!
//! [`Rooms`] keeps `sid -> socket` and `room -> sids`; each socket keeps the set of rooms it
//! joined ([`Member::joined`]). Every operation costs O(1) per room. Every socket is also in
//! a room named after its sid; that room is implicit (never stored), so an emit to a sid
//! always reaches its socket, whatever rooms others joined.
//!
//! The adapter is generic over its members (the server's are `Socket`s), so it needs nothing
//! above it: the namespace owns one, and a unit test can drive it with plain values.
//!
//! Lock order: a socket's room set before the room map before the socket map.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use indexmap::IndexSet;

use super::config::ServerConfig;
use super::metrics::NsMetrics;
use crate::sync::{lock, read, write};

/// A socket id: random, unique per namespace connection (distinct from the Engine.IO sid).
pub(crate) type Sid = Arc<str>;

/// A room name.
pub(crate) type Room = Arc<str>;

/// Why a socket could not join a room ([`Socket::join`](crate::Socket::join),
/// [`Namespace::enter_room`](crate::Namespace::enter_room)). The socket stays connected and
/// keeps the rooms it was in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoinError {
    /// The socket is already in [`ServerConfig::max_rooms_per_socket`](crate::ServerConfig)
    /// rooms.
    #[non_exhaustive]
    TooManyRooms {
        /// The limit.
        max: usize,
    },
    /// The room name is longer than [`ServerConfig::max_room_name_len`](crate::ServerConfig)
    /// bytes.
    #[non_exhaustive]
    NameTooLong {
        /// The name's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The room is named after another socket of the namespace, and
    /// [`ServerConfig::reserve_sid_rooms`](crate::ServerConfig) is on.
    SidRoom,
    /// The socket is disconnected.
    Disconnected,
}

impl std::fmt::Display for JoinError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooManyRooms { max } => write!(f, "too many rooms (at most {max} per socket)"),
            Self::NameTooLong { len, max } => {
                write!(f, "room name too long ({len} bytes, at most {max})")
            }
            Self::SidRoom => f.write_str("the room is named after another socket's sid"),
            Self::Disconnected => f.write_str("socket disconnected"),
        }
    }
}

impl std::error::Error for JoinError {}

/// Up to this many skipped sids are compared one by one; more are hashed once per emit.
const SKIP_LINEAR: usize = 8;

/// What the adapter needs of a member.
pub(crate) trait Member: Clone + PartialEq {
    /// Its id, unique in the namespace.
    fn sid(&self) -> &Sid;
    /// The rooms it joined, its side of the room map (locked before the map).
    fn joined(&self) -> &Mutex<IndexSet<Room>>;
    /// True once it left the namespace: it may join nothing more.
    fn is_closed(&self) -> bool;
    /// Its identity, to visit it once when several targeted rooms hold it.
    fn key(&self) -> usize;
}

/// The sockets of one namespace and its rooms.
pub(crate) struct Rooms<S> {
    sockets: RwLock<HashMap<Sid, S>>,
    rooms: RwLock<HashMap<Room, HashSet<Sid>>>,
    /// The namespace's socket and room gauges.
    metrics: NsMetrics,
}

impl<S: Member> Rooms<S> {
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::with_metrics(NsMetrics::none())
    }

    pub(crate) fn with_metrics(metrics: NsMetrics) -> Self {
        Self {
            sockets: RwLock::new(HashMap::new()),
            rooms: RwLock::new(HashMap::new()),
            metrics,
        }
    }

    /// Make `s` reachable by its sid and by emits.
    pub(crate) fn add(&self, s: &S) {
        if write(&self.sockets)
            .insert(s.sid().clone(), s.clone())
            .is_none()
        {
            self.metrics.sockets(1.0);
        }
    }

    /// Remove `s` (not another socket that took its sid meanwhile).
    pub(crate) fn remove(&self, s: &S) {
        let mut map = write(&self.sockets);
        if map.get(s.sid()).is_some_and(|cur| cur == s) {
            map.remove(s.sid());
            self.metrics.sockets(-1.0);
        }
    }

    /// The socket `sid`.
    pub(crate) fn get(&self, sid: &str) -> Option<S> {
        read(&self.sockets).get(sid).cloned()
    }

    /// Every socket.
    pub(crate) fn all(&self) -> Vec<S> {
        read(&self.sockets).values().cloned().collect()
    }

    /// Refuse a room name longer than the configured limit.
    pub(crate) fn check_room_name(room: &str, config: &ServerConfig) -> Result<(), JoinError> {
        let max = config.max_room_name_len;
        if room.len() > max {
            return Err(JoinError::NameTooLong {
                len: room.len(),
                max,
            });
        }
        Ok(())
    }

    /// Add `s` to `room`; joining a room twice, or one's own sid room, changes nothing.
    pub(crate) fn join(&self, s: &S, room: &str, config: &ServerConfig) -> Result<(), JoinError> {
        Self::check_room_name(room, config)?;
        if room == &**s.sid() {
            return if s.is_closed() {
                Err(JoinError::Disconnected)
            } else {
                Ok(())
            };
        }
        // Checked before taking the socket's room lock (lock order). Sids are random and
        // learnt only once their socket is connected, so the check cannot be raced.
        if config.reserve_sid_rooms && read(&self.sockets).contains_key(room) {
            return Err(JoinError::SidRoom);
        }
        let mut mine = lock(s.joined());
        // Under the lock: `leave_all` runs after the socket is marked closed.
        if s.is_closed() {
            return Err(JoinError::Disconnected);
        }
        if mine.contains(room) {
            return Ok(());
        }
        if mine.len() >= config.max_rooms_per_socket {
            return Err(JoinError::TooManyRooms {
                max: config.max_rooms_per_socket,
            });
        }
        let room: Room = Arc::from(room);
        {
            let mut rooms = write(&self.rooms);
            let members = rooms.entry(room.clone()).or_default();
            if members.is_empty() {
                self.metrics.rooms(1.0);
            }
            members.insert(s.sid().clone());
        }
        mine.insert(room);
        Ok(())
    }

    /// Remove `s` from `room` (nothing when it is not in it).
    pub(crate) fn leave(&self, s: &S, room: &str) {
        let mut mine = lock(s.joined());
        if !mine.swap_remove(room) {
            return;
        }
        let mut rooms = write(&self.rooms);
        if let Some(set) = rooms.get_mut(room) {
            set.remove(s.sid());
            if set.is_empty() {
                rooms.remove(room);
                self.metrics.rooms(-1.0);
            }
        }
    }

    /// Remove `s` from every room (on disconnect).
    pub(crate) fn leave_all(&self, s: &S) {
        let mine = std::mem::take(&mut *lock(s.joined()));
        if mine.is_empty() {
            return;
        }
        let mut rooms = write(&self.rooms);
        for room in mine {
            if let Some(set) = rooms.get_mut(&room) {
                set.remove(s.sid());
                if set.is_empty() {
                    rooms.remove(&room);
                    self.metrics.rooms(-1.0);
                }
            }
        }
    }

    /// Remove every socket from `room`.
    pub(crate) fn close_room(&self, room: &str) {
        let members = write(&self.rooms).remove(room);
        let Some(members) = members else { return };
        if !members.is_empty() {
            self.metrics.rooms(-1.0);
        }
        let sockets: Vec<S> = {
            let sockets = read(&self.sockets);
            members
                .iter()
                .filter_map(|sid| sockets.get(sid).cloned())
                .collect()
        };
        for s in sockets {
            let mut mine = lock(s.joined());
            // A socket that joined the room again meanwhile stays in it.
            let rejoined = read(&self.rooms)
                .get(room)
                .is_some_and(|m| m.contains(s.sid()));
            if !rejoined {
                mine.swap_remove(room);
            }
        }
    }

    /// Call `f` for every socket targeted by an emit to `rooms` (all when empty) except the
    /// sockets whose sid is in `skip`, once each, while holding the socket map's read lock:
    /// `f` must not block nor join, leave or disconnect sockets of this namespace (sending is
    /// fine: closing a connection never runs its handlers inline).
    ///
    /// A name in `rooms` that is the sid of a socket of this namespace reaches that socket,
    /// plus the members of a room of that name if there is one (as in Node, where every
    /// socket is in a room named after its id). `skip` names sids, never rooms.
    pub(crate) fn for_each_target(&self, rooms: &[Room], skip: &[Sid], mut f: impl FnMut(&S)) {
        let sockets = read(&self.sockets);
        let skip_set: Option<HashSet<&str>> =
            (skip.len() > SKIP_LINEAR).then(|| skip.iter().map(|s| &**s).collect());
        let skip_it = |sid: &str| match &skip_set {
            Some(set) => set.contains(sid),
            None => skip.iter().any(|s| &**s == sid),
        };
        if rooms.is_empty() {
            for (sid, s) in sockets.iter() {
                if !skip_it(sid) {
                    f(s);
                }
            }
            return;
        }
        let room_map = read(&self.rooms);
        // Sockets already visited (only when several rooms may overlap).
        let mut seen: Option<HashSet<usize>> = (rooms.len() > 1).then(HashSet::new);
        for room in rooms {
            let mut visit = |sid: &str, s: &S| {
                if skip_it(sid) {
                    return;
                }
                if let Some(seen) = seen.as_mut() {
                    if !seen.insert(s.key()) {
                        return;
                    }
                }
                f(s);
            };
            // The sid's own socket first: every sid is a room of its own.
            let own = sockets.get(&**room);
            if let Some(s) = own {
                visit(room, s);
            }
            if let Some(members) = room_map.get(room) {
                for sid in members {
                    if own.is_some() && sid == room {
                        continue;
                    }
                    if let Some(s) = sockets.get(sid) {
                        visit(sid, s);
                    }
                }
            }
        }
    }

    /// The sockets [`Rooms::for_each_target`] visits, collected (for callers that lock or
    /// await per socket).
    pub(crate) fn targets(&self, rooms: &[Room], skip: &[Sid]) -> Vec<S> {
        let mut out = Vec::new();
        self.for_each_target(rooms, skip, |s| out.push(s.clone()));
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// A member without a server: a sid, its room set, a closed flag.
    #[derive(Clone)]
    struct Fake(Arc<(Sid, Mutex<IndexSet<Room>>, AtomicBool)>);

    impl PartialEq for Fake {
        fn eq(&self, other: &Self) -> bool {
            Arc::ptr_eq(&self.0, &other.0)
        }
    }

    impl Member for Fake {
        fn sid(&self) -> &Sid {
            &self.0.0
        }
        fn joined(&self) -> &Mutex<IndexSet<Room>> {
            &self.0.1
        }
        fn is_closed(&self) -> bool {
            self.0.2.load(Ordering::Acquire)
        }
        fn key(&self) -> usize {
            Arc::as_ptr(&self.0) as usize
        }
    }

    fn fake(sid: &str) -> Fake {
        Fake(Arc::new((
            Arc::from(sid),
            Mutex::new(IndexSet::new()),
            AtomicBool::new(false),
        )))
    }

    fn sids(v: Vec<Fake>) -> Vec<String> {
        let mut v: Vec<String> = v.iter().map(|m| m.sid().to_string()).collect();
        v.sort();
        v
    }

    fn room(r: &str) -> Room {
        Arc::from(r)
    }

    #[test]
    fn targets_are_rooms_sids_minus_skips_once_each() {
        let rooms = Rooms::new();
        let config = ServerConfig::default();
        let (a, b, c) = (fake("a"), fake("b"), fake("c"));
        for m in [&a, &b, &c] {
            rooms.add(m);
        }
        rooms.join(&a, "red", &config).unwrap();
        rooms.join(&b, "red", &config).unwrap();
        rooms.join(&b, "blue", &config).unwrap();
        assert_eq!(sids(rooms.targets(&[], &[])), ["a", "b", "c"]);
        assert_eq!(sids(rooms.targets(&[room("red")], &[])), ["a", "b"]);
        // b is in both rooms and is visited once; a sid is a room of its own.
        assert_eq!(
            sids(rooms.targets(&[room("red"), room("blue"), room("c")], &[])),
            ["a", "b", "c"]
        );
        assert_eq!(sids(rooms.targets(&[room("red")], &[room("a")])), ["b"]);
        rooms.leave(&a, "red");
        assert_eq!(sids(rooms.targets(&[room("red")], &[])), ["b"]);
        rooms.close_room("red");
        assert!(rooms.targets(&[room("red")], &[]).is_empty());
        assert_eq!(lock(b.joined()).len(), 1, "b is still in blue");
        rooms.leave_all(&b);
        assert!(rooms.targets(&[room("blue")], &[]).is_empty());
        rooms.remove(&c);
        assert_eq!(sids(rooms.targets(&[], &[])), ["a", "b"]);
    }

    #[test]
    fn joins_are_refused_at_the_limits() {
        let rooms = Rooms::new();
        let config = ServerConfig {
            max_rooms_per_socket: 1,
            max_room_name_len: 3,
            ..ServerConfig::default()
        };
        let (a, b) = (fake("a"), fake("b"));
        rooms.add(&a);
        rooms.add(&b);
        assert_eq!(rooms.join(&a, "one", &config), Ok(()));
        assert_eq!(rooms.join(&a, "one", &config), Ok(()), "joining twice");
        assert_eq!(
            rooms.join(&a, "two", &config),
            Err(JoinError::TooManyRooms { max: 1 })
        );
        assert_eq!(
            rooms.join(&b, "four", &config),
            Err(JoinError::NameTooLong { len: 4, max: 3 })
        );
        assert_eq!(rooms.join(&b, "a", &config), Err(JoinError::SidRoom));
        assert_eq!(rooms.join(&b, "b", &config), Ok(()), "its own sid room");
        b.0.2.store(true, Ordering::Release);
        assert_eq!(rooms.join(&b, "one", &config), Err(JoinError::Disconnected));
    }
}
