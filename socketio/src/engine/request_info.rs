//! What a connection keeps of the HTTP request that opened it, for as long as it lives.
//!
//! Every idle connection pays for this, so it is kept packed: the URI and every header
//! (name, value, sensitivity) in one allocation, and the `http` types ([`http::Uri`],
//! [`http::HeaderMap`]) built from it only when something asks for them. A `HeaderMap` of
//! five headers costs about 600 bytes in a handful of allocations; the packed form of the
//! same request, about 200 in one.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, OnceLock};

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};

use super::form_pairs;

/// What the server knew of the HTTP request that opened a connection (python-socketio's
/// `environ`, Node's `handshake`): its URI, headers, peer address and extensions.
///
/// ```
/// use socketio::engine::{CloseReason, EngineConn, EngineHandler, Message};
///
/// struct Log;
///
/// impl EngineHandler for Log {
///     type State = ();
///     fn on_open(&self, conn: &EngineConn) {
///         let req = conn.request();
///         println!(
///             "{} from {:?}, user agent {:?}, token {:?}",
///             req.uri().path(),
///             req.remote_addr(),
///             req.headers().get("user-agent"),
///             req.query("token"),
///         );
///     }
///     fn on_message(&self, _: &mut (), _: &EngineConn, _: Message) {}
///     fn on_close(&self, _: &mut (), _: &EngineConn, _: CloseReason) {}
/// }
/// ```
pub struct RequestInfo {
    /// The URI's text, then for each header: its name's length (`u32`, little endian), its
    /// value's length (`u32`), a sensitivity byte, the name, the value.
    packed: Box<[u8]>,
    /// Where the URI's text ends in `packed`.
    uri_len: usize,
    remote_addr: Option<SocketAddr>,
    /// `None` when the request had no extensions worth keeping (see
    /// [`RequestInfo::extensions`]).
    extensions: Option<Arc<http::Extensions>>,
    /// `uri` and `headers`, built from `packed` on first use.
    parsed: OnceLock<Box<Parsed>>,
}

struct Parsed {
    uri: http::Uri,
    headers: HeaderMap,
}

/// The length prefix of one header in `packed`: name length, value length, sensitive flag.
const PREFIX: usize = 9;

static NO_EXTENSIONS: LazyLock<http::Extensions> = LazyLock::new(http::Extensions::new);

impl RequestInfo {
    /// Keeps what a connection needs of `req`, copied out of hyper's buffers (hyper's URI
    /// and header values are slices of the connection's whole read buffer, 8 to 16 KiB,
    /// which a plain clone would keep alive for as long as the connection lives).
    pub(crate) fn new(req: &mut http::request::Parts) -> Self {
        let uri = req.uri.to_string();
        let size = uri.len()
            + req
                .headers
                .iter()
                .map(|(n, v)| PREFIX + n.as_str().len() + v.len())
                .sum::<usize>();
        let mut packed = Vec::with_capacity(size);
        packed.extend_from_slice(uri.as_bytes());
        for (name, value) in &req.headers {
            let (n, v) = (name.as_str().as_bytes(), value.as_bytes());
            // hyper bounds a request head far below 4 GiB; a longer item is dropped.
            let (Ok(nl), Ok(vl)) = (u32::try_from(n.len()), u32::try_from(v.len())) else {
                continue;
            };
            packed.extend_from_slice(&nl.to_le_bytes());
            packed.extend_from_slice(&vl.to_le_bytes());
            packed.push(u8::from(value.is_sensitive()));
            packed.extend_from_slice(n);
            packed.extend_from_slice(v);
        }
        let remote_addr = req
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        // `ConnectInfo` is kept as `remote_addr`, and axum's router leaves an empty list of
        // path parameters on every request it routes: a request that nothing else
        // annotated needs no map of its own (about 200 bytes for the life of a connection).
        let known = usize::from(remote_addr.is_some()) + usize::from(no_path_params(req));
        let extensions = (req.extensions.len() > known).then(|| {
            let mut extensions = req.extensions.clone();
            extensions.remove::<axum::extract::ConnectInfo<SocketAddr>>();
            Arc::new(extensions)
        });
        Self {
            packed: packed.into_boxed_slice(),
            uri_len: uri.len(),
            remote_addr,
            extensions,
            parsed: OnceLock::new(),
        }
    }

    /// Request URI (path and query).
    pub fn uri(&self) -> &http::Uri {
        &self.parsed().uri
    }

    /// Request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.parsed().headers
    }

    /// Peer address, when the server was started with connect info ([`crate::serve`], or
    /// axum's `into_make_service_with_connect_info::<SocketAddr>()`).
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote_addr
    }

    /// What the layers in front of the engine (tower middleware, axum extractors) put in
    /// the opening request's extensions: cloned once per connection, when it opens.
    /// Requests after the opening one (polls, the WebSocket upgrade of a polling
    /// connection) do not change it. axum's `ConnectInfo<SocketAddr>` is not kept here: it
    /// is [`RequestInfo::remote_addr`].
    pub fn extensions(&self) -> &http::Extensions {
        self.extensions.as_deref().unwrap_or(&NO_EXTENSIONS)
    }

    /// The raw query string (after `?`), if the URI has one.
    pub fn query_string(&self) -> Option<&str> {
        let uri = std::str::from_utf8(self.packed.get(..self.uri_len)?).ok()?;
        let (_, rest) = uri.split_once('?')?;
        Some(rest.split_once('#').map_or(rest, |(q, _)| q))
    }

    /// The value of one query parameter, percent-decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        form_pairs(self.query_string()?)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    fn parsed(&self) -> &Parsed {
        self.parsed.get_or_init(|| Box::new(self.parse()))
    }

    fn parse(&self) -> Parsed {
        // One buffer that the URI and every value are slices of.
        let all = Bytes::copy_from_slice(&self.packed);
        let uri = http::Uri::from_maybe_shared(all.slice(..self.uri_len.min(all.len())))
            .unwrap_or_default();
        let mut headers = HeaderMap::new();
        let mut at = self.uri_len;
        while let Some(prefix) = self.packed.get(at..at + PREFIX) {
            let len = |i: usize| {
                let mut b = [0u8; 4];
                b.copy_from_slice(prefix.get(i..i + 4).unwrap_or(&[0; 4]));
                u32::from_le_bytes(b) as usize
            };
            let (nl, vl, sensitive) = (len(0), len(4), prefix.get(8) == Some(&1));
            let name_at = at + PREFIX;
            let value_at = name_at + nl;
            at = value_at + vl;
            let (Some(name), Some(_)) = (
                self.packed.get(name_at..value_at),
                self.packed.get(value_at..at),
            ) else {
                break;
            };
            // Both were a valid name and value when they were packed.
            let (Ok(name), Ok(mut value)) = (
                HeaderName::from_bytes(name),
                HeaderValue::from_maybe_shared(all.slice(value_at..at)),
            ) else {
                continue;
            };
            value.set_sensitive(sensitive);
            headers.append(name, value);
        }
        Parsed { uri, headers }
    }
}

/// True when `req` carries axum's (private) path parameters and there are none: what axum's
/// router inserts on every route it matched that has no `{param}` in its path.
fn no_path_params(req: &mut http::request::Parts) -> bool {
    use axum::extract::{FromRequestParts, RawPathParams};
    use futures_util::FutureExt as _;
    RawPathParams::from_request_parts(req, &())
        .now_or_never()
        .is_some_and(|params| params.is_ok_and(|p| p.iter().next().is_none()))
}

impl Clone for RequestInfo {
    fn clone(&self) -> Self {
        Self {
            packed: self.packed.clone(),
            uri_len: self.uri_len,
            remote_addr: self.remote_addr,
            extensions: self.extensions.clone(),
            parsed: OnceLock::new(),
        }
    }
}

impl std::fmt::Debug for RequestInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestInfo")
            .field("uri", self.uri())
            .field("headers", self.headers())
            .field("remote_addr", &self.remote_addr)
            .field("extensions", self.extensions())
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use http::header;

    #[test]
    fn keeps_uri_and_headers_out_of_the_read_buffer() {
        // Like hyper: the URI and header values are slices of one read buffer.
        let read_buf = Bytes::from_static(b"/socket.io/?EIO=4&transport=websocket|a|b|secret");
        let mut req = http::Request::builder()
            .uri(http::Uri::from_maybe_shared(read_buf.slice(0..37)).unwrap())
            .body(())
            .unwrap();
        let h = req.headers_mut();
        h.append(
            "x-multi",
            HeaderValue::from_maybe_shared(read_buf.slice(38..39)).unwrap(),
        );
        h.append(
            "x-multi",
            HeaderValue::from_maybe_shared(read_buf.slice(40..41)).unwrap(),
        );
        let mut secret = HeaderValue::from_maybe_shared(read_buf.slice(42..48)).unwrap();
        secret.set_sensitive(true);
        h.insert(header::AUTHORIZATION, secret);
        h.insert(header::HOST, HeaderValue::from_static(""));
        let (mut parts, ()) = req.into_parts();

        let info = RequestInfo::new(&mut parts);
        assert_eq!(info.query_string(), Some("EIO=4&transport=websocket"));
        assert_eq!(info.query("transport").as_deref(), Some("websocket"));
        assert_eq!(info.query("sid"), None);
        assert_eq!(info.uri(), &parts.uri);
        assert_eq!(info.uri().query(), Some("EIO=4&transport=websocket"));
        assert_eq!(info.headers(), &parts.headers);
        let multi: Vec<_> = info.headers().get_all("x-multi").iter().collect();
        assert_eq!(multi, ["a", "b"]);
        assert!(info.headers()[header::AUTHORIZATION].is_sensitive());
        assert!(!info.headers()["x-multi"].is_sensitive());
        assert_eq!(info.headers()[header::HOST], "");
        let inside = |p: *const u8| read_buf.as_ptr_range().contains(&p);
        assert!(
            info.headers()
                .values()
                .all(|v| !inside(v.as_bytes().as_ptr()))
        );
        assert!(!inside(info.uri().path().as_ptr()));
        // A clone is the same request.
        let copy = info.clone();
        assert_eq!(copy.headers(), info.headers());
        assert_eq!(copy.uri(), info.uri());
    }

    #[test]
    fn connect_info_becomes_remote_addr_and_other_extensions_stay() {
        let addr: SocketAddr = "10.1.2.3:4567".parse().unwrap();
        let mut req = http::Request::builder().uri("/x").body(()).unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        let (mut parts, ()) = req.into_parts();
        let info = RequestInfo::new(&mut parts);
        assert_eq!(info.remote_addr(), Some(addr));
        assert!(info.extensions.is_none(), "nothing else to keep");
        assert!(info.extensions().is_empty());
        assert_eq!(info.query_string(), None);

        #[derive(Clone, Debug, PartialEq)]
        struct User(&'static str);
        let mut req = http::Request::builder().uri("/x?a=1#f").body(()).unwrap();
        req.extensions_mut().insert(User("ada"));
        let (mut parts, ()) = req.into_parts();
        let info = RequestInfo::new(&mut parts);
        assert_eq!(info.remote_addr(), None);
        assert_eq!(info.extensions().get::<User>(), Some(&User("ada")));
        assert_eq!(info.query("a").as_deref(), Some("1"));
    }

    #[tokio::test]
    async fn what_axum_routing_leaves_is_not_kept_but_a_layer_s_extension_is() {
        use tower::ServiceExt as _;
        #[derive(Clone, Debug, PartialEq)]
        struct User(&'static str);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let app = axum::Router::new().route(
            "/socket.io/",
            axum::routing::get(move |req: axum::extract::Request| {
                let (mut parts, _) = req.into_parts();
                tx.send(RequestInfo::new(&mut parts)).unwrap();
                async {}
            }),
        );
        let get = |user: Option<User>| {
            let mut req = http::Request::get("/socket.io/?EIO=4")
                .body(axum::body::Body::empty())
                .unwrap();
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(SocketAddr::from((
                    [127, 0, 0, 1],
                    9,
                ))));
            if let Some(user) = user {
                req.extensions_mut().insert(user);
            }
            req
        };
        app.clone().oneshot(get(None)).await.unwrap();
        let info = rx.recv().await.unwrap();
        assert!(
            info.extensions.is_none(),
            "only ConnectInfo and axum's path parameters"
        );
        assert!(info.remote_addr().is_some());

        app.oneshot(get(Some(User("ada")))).await.unwrap();
        let info = rx.recv().await.unwrap();
        assert_eq!(info.extensions().get::<User>(), Some(&User("ada")));
        assert!(
            info.extensions()
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .is_none()
        );
    }
}
