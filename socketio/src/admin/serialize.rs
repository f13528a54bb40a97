//! The JSON shapes the Admin UI reads: a socket (`all_sockets`, `socket_connected`) and the
//! timestamps (ISO 8601 in UTC, milliseconds since the epoch).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::Socket;

/// One socket as the UI's `main` store keeps it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SocketView {
    pub(crate) id: String,
    pub(crate) client_id: String,
    pub(crate) transport: &'static str,
    pub(crate) nsp: String,
    pub(crate) data: Map<String, Json>,
    pub(crate) handshake: HandshakeView,
    pub(crate) rooms: Vec<String>,
}

/// The HTTP request that opened the connection, plus the namespace auth payload.
#[derive(Debug, Serialize)]
pub(crate) struct HandshakeView {
    pub(crate) headers: Map<String, Json>,
    pub(crate) time: String,
    pub(crate) address: String,
    pub(crate) xdomain: bool,
    pub(crate) secure: bool,
    pub(crate) issued: u64,
    pub(crate) url: String,
    pub(crate) query: Map<String, Json>,
    pub(crate) auth: Json,
}

/// Serialize `socket`. `redact_auth` replaces the auth payload by `{}` (the admin
/// namespace's own sockets: their auth is the admin password).
pub(crate) fn socket_view(socket: &Socket, redact_auth: bool) -> SocketView {
    let hs = socket.handshake();
    let mut headers = Map::new();
    for (name, value) in hs.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match headers.get_mut(name.as_str()) {
            // Repeated headers are joined as Node joins them.
            Some(Json::String(prev)) => {
                prev.push_str(", ");
                prev.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_owned(), Json::String(value));
            }
        }
    }
    let uri = hs.uri();
    let mut query = Map::new();
    for pair in uri.query().unwrap_or("").split('&') {
        let key = pair.split('=').next().unwrap_or("");
        if key.is_empty() || query.contains_key(key) {
            continue;
        }
        if let Some(v) = hs.query(key) {
            query.insert(key.to_owned(), Json::String(v));
        }
    }
    let auth = if redact_auth {
        Json::Object(Map::new())
    } else {
        serde_json::from_str(hs.auth_json()).unwrap_or_else(|_| Json::Object(Map::new()))
    };
    let secure = uri.scheme_str() == Some("https")
        || hs
            .headers()
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    SocketView {
        id: socket.id().to_owned(),
        client_id: socket.engine_sid().to_owned(),
        transport: socket.transport().as_str(),
        nsp: socket.ns().to_owned(),
        data: Map::new(),
        handshake: HandshakeView {
            headers,
            time: iso8601(hs.issued()),
            address: hs
                .remote_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default(),
            xdomain: hs.headers().contains_key(http::header::ORIGIN),
            secure,
            issued: epoch_ms(hs.issued()),
            url: uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            query,
            auth,
        },
        rooms: socket.rooms(),
    }
}

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (what JavaScript's `Date.toISOString()` prints).
pub(crate) fn iso8601(t: SystemTime) -> String {
    let ms = epoch_ms(t);
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        ms % 1000
    )
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn iso8601_matches_javascript() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        // new Date(1700000000123).toISOString()
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(iso8601(t), "2023-11-14T22:13:20.123Z");
        // A leap day: new Date(951782400000).toISOString()
        let t = UNIX_EPOCH + Duration::from_millis(951_782_400_000);
        assert_eq!(iso8601(t), "2000-02-29T00:00:00.000Z");
        assert_eq!(epoch_ms(t), 951_782_400_000);
    }
}
