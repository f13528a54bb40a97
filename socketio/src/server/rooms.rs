//! Rooms: joining, leaving and closing them, and the recipients of an emit to rooms and sids.
//!
//! A namespace keeps `room -> sids` ([`NsInner::rooms`]); each socket keeps the set of rooms
//! it joined (`SocketInner::rooms`). Every operation costs O(1) per room. Every socket is
//! also in a room named after its sid; that room is implicit (never stored), so an emit to a
//! sid always reaches its socket, whatever rooms others joined.
//!
//! Lock order: a socket's room set before the namespace's room map before its socket map.

use std::collections::HashSet;
use std::sync::Arc;

use super::state::{NsInner, Room, Sid, Socket, lock, read, write};

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

impl NsInner {
    /// Refuse a room name longer than the configured limit.
    pub(crate) fn check_room_name(&self, room: &str) -> Result<(), JoinError> {
        let max = self.io_inner().config.max_room_name_len;
        if room.len() > max {
            return Err(JoinError::NameTooLong {
                len: room.len(),
                max,
            });
        }
        Ok(())
    }

    /// Add `s` to `room`; joining a room twice, or one's own sid room, changes nothing.
    pub(crate) fn enter_room(&self, s: &Socket, room: &str) -> Result<(), JoinError> {
        let io = self.io_inner();
        let config = &io.config;
        if room.len() > config.max_room_name_len {
            return Err(JoinError::NameTooLong {
                len: room.len(),
                max: config.max_room_name_len,
            });
        }
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
        let mut mine = lock(&s.0.rooms);
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
        write(&self.rooms)
            .entry(room.clone())
            .or_default()
            .insert(s.sid().clone());
        mine.insert(room);
        Ok(())
    }

    /// Remove `s` from `room` (nothing when it is not in it).
    pub(crate) fn leave_room(&self, s: &Socket, room: &str) {
        let mut mine = lock(&s.0.rooms);
        if !mine.swap_remove(room) {
            return;
        }
        let mut rooms = write(&self.rooms);
        if let Some(set) = rooms.get_mut(room) {
            set.remove(s.sid());
            if set.is_empty() {
                rooms.remove(room);
            }
        }
    }

    /// Remove `s` from every room (on disconnect).
    pub(crate) fn leave_all(&self, s: &Socket) {
        let mine = std::mem::take(&mut *lock(&s.0.rooms));
        if mine.is_empty() {
            return;
        }
        let mut rooms = write(&self.rooms);
        for room in mine {
            if let Some(set) = rooms.get_mut(&room) {
                set.remove(s.sid());
                if set.is_empty() {
                    rooms.remove(&room);
                }
            }
        }
    }

    /// Remove every socket from `room`.
    pub(crate) fn close_room(&self, room: &str) {
        let members = write(&self.rooms).remove(room);
        let Some(members) = members else { return };
        let sockets: Vec<Socket> = {
            let sockets = read(&self.sockets);
            members
                .iter()
                .filter_map(|sid| sockets.get(sid).cloned())
                .collect()
        };
        for s in sockets {
            let mut mine = lock(&s.0.rooms);
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
    pub(crate) fn for_each_target(&self, rooms: &[Room], skip: &[Sid], mut f: impl FnMut(&Socket)) {
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
        // Sockets already visited, by address (only when several rooms may overlap).
        let mut seen: Option<HashSet<usize>> = (rooms.len() > 1).then(HashSet::new);
        for room in rooms {
            let mut visit = |sid: &str, s: &Socket| {
                if skip_it(sid) {
                    return;
                }
                if let Some(seen) = seen.as_mut() {
                    if !seen.insert(Arc::as_ptr(&s.0) as usize) {
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

    /// The sockets [`NsInner::for_each_target`] visits, collected (for callers that lock or
    /// await per socket).
    pub(crate) fn targets(&self, rooms: &[Room], skip: &[Sid]) -> Vec<Socket> {
        let mut out = Vec::new();
        self.for_each_target(rooms, skip, |s| out.push(s.clone()));
        out
    }
}
