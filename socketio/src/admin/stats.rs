//! What `server_stats` carries: the aggregated event counters (python's `EventBuffer`,
//! bounded here) and the snapshot of clients and namespaces.

use std::collections::{BTreeMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::SocketIo;
use crate::engine::Transport;

/// At most this many (second, type, subtype) counters wait between two `server_stats`; past
/// it new keys are dropped (counts of existing keys still add up). Each second brings at
/// most a handful of types per namespace, so this is reached only by a namespace flood.
pub(crate) const MAX_AGGREGATED: usize = 1024;

/// One aggregated counter, as the UI charts it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Aggregated {
    pub(crate) timestamp: u64,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sub_type: Option<String>,
    pub(crate) count: u64,
}

/// Counters per whole second, drained by every `server_stats`.
#[derive(Debug, Default)]
pub(crate) struct EventBuffer {
    counters: BTreeMap<(u64, &'static str, Option<String>), u64>,
    dropped: u64,
}

impl EventBuffer {
    /// Add `count` to the counter of `kind` (and `sub_type`, a namespace) for second `now`.
    pub(crate) fn push(
        &mut self,
        now: SystemTime,
        kind: &'static str,
        sub_type: Option<&str>,
        count: u64,
    ) {
        let second = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() * 1000)
            .unwrap_or(0);
        let key = (second, kind, sub_type.map(str::to_owned));
        if let Some(c) = self.counters.get_mut(&key) {
            *c = c.saturating_add(count);
        } else if self.counters.len() < MAX_AGGREGATED {
            self.counters.insert(key, count);
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// Take every counter, oldest first, and start again.
    pub(crate) fn drain(&mut self) -> Vec<Aggregated> {
        std::mem::take(&mut self.counters)
            .into_iter()
            .map(|((timestamp, kind, sub_type), count)| Aggregated {
                timestamp,
                kind,
                sub_type,
                count,
            })
            .collect()
    }

    /// Counter keys refused since the start because the buffer was full.
    #[cfg(test)]
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// One namespace in `server_stats`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NamespaceStats {
    pub(crate) name: String,
    pub(crate) sockets_count: usize,
}

/// The `server_stats` payload.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerStats<'a> {
    pub(crate) server_id: &'a str,
    pub(crate) hostname: &'a str,
    pub(crate) pid: u32,
    /// Seconds since the admin was instrumented.
    pub(crate) uptime: f64,
    pub(crate) clients_count: usize,
    pub(crate) polling_clients_count: usize,
    pub(crate) aggregated_events: Vec<Aggregated>,
    pub(crate) namespaces: Vec<NamespaceStats>,
}

/// Count clients (Engine.IO connections with at least one namespace), the polling ones, and
/// the sockets of every namespace (sorted by name). Runs once per stats interval while an
/// admin is connected: O(sockets).
pub(crate) fn snapshot(io: &SocketIo) -> (usize, usize, Vec<NamespaceStats>) {
    let mut clients: HashSet<String> = HashSet::new();
    let mut polling: HashSet<String> = HashSet::new();
    let mut names = io.namespaces();
    names.sort();
    let mut namespaces = Vec::with_capacity(names.len());
    for name in names {
        let sockets = io.of(&name).sockets();
        for s in &sockets {
            if s.transport() == Transport::Polling {
                polling.insert(s.engine_sid().to_owned());
            }
            clients.insert(s.engine_sid().to_owned());
        }
        namespaces.push(NamespaceStats {
            name,
            sockets_count: sockets.len(),
        });
    }
    (clients.len(), polling.len(), namespaces)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn counters_add_up_per_second_and_drain() {
        let mut b = EventBuffer::default();
        let t = UNIX_EPOCH + Duration::from_millis(5_250);
        b.push(t, "connection", Some("/"), 1);
        b.push(t + Duration::from_millis(500), "connection", Some("/"), 2);
        b.push(t + Duration::from_secs(1), "connection", Some("/"), 1);
        b.push(t, "packetsIn", None, 1);
        let out = b.drain();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].timestamp, 5_000);
        assert_eq!(out[0].kind, "connection");
        assert_eq!(out[0].count, 3);
        assert_eq!(out[2].timestamp, 6_000);
        assert!(b.drain().is_empty());
        let json = serde_json::to_string(&out[1]).unwrap_or_default();
        assert_eq!(json, r#"{"timestamp":5000,"type":"packetsIn","count":1}"#);
    }

    #[test]
    fn the_buffer_is_bounded() {
        let mut b = EventBuffer::default();
        for i in 0..(MAX_AGGREGATED as u64 + 10) {
            b.push(UNIX_EPOCH + Duration::from_secs(i), "packetsIn", None, 1);
        }
        // An existing key still counts when the buffer is full.
        b.push(UNIX_EPOCH, "packetsIn", None, 1);
        assert_eq!(b.dropped(), 10);
        let out = b.drain();
        assert_eq!(out.len(), MAX_AGGREGATED);
        assert_eq!(out[0].count, 2);
    }
}
