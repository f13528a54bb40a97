//! Opt-in caps on Engine.IO sessions: in total ([`EngineConfig::max_connections`]) and per
//! client address ([`EngineConfig::max_connections_per_ip`]). A handshake takes a
//! [`Permit`]; the session holds it and gives it back when it is forgotten. O(1) per
//! handshake and per close: an atomic total, and a map of addresses with a live session
//! (entries are removed at zero).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};

use super::EngineConfig;
use crate::sync::lock;

/// The session counts of one engine.
#[derive(Debug)]
pub(crate) struct Admission {
    max_total: Option<usize>,
    max_per_ip: Option<usize>,
    total: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
}

/// One admitted session's place in the counts, given back on drop.
#[derive(Debug)]
pub(crate) struct Permit {
    admission: Arc<Admission>,
    total: bool,
    ip: Option<IpAddr>,
}

impl Admission {
    pub(crate) fn new(config: &EngineConfig) -> Arc<Self> {
        Arc::new(Self {
            max_total: config.max_connections,
            max_per_ip: config.max_connections_per_ip,
            total: AtomicUsize::new(0),
            per_ip: Mutex::new(HashMap::new()),
        })
    }

    /// Admit one more session from `client` (`None`: address unknown, only the total cap
    /// applies), or `None` if a cap is reached.
    pub(crate) fn try_admit(self: &Arc<Self>, client: Option<IpAddr>) -> Option<Permit> {
        let mut permit = Permit {
            admission: Arc::clone(self),
            total: false,
            ip: None,
        };
        if let Some(max) = self.max_total {
            self.total
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < max).then_some(n + 1)
                })
                .ok()?;
            permit.total = true;
        }
        if let (Some(max), Some(ip)) = (self.max_per_ip, client) {
            let key = bucket(ip);
            let mut per_ip = lock(&self.per_ip);
            let n = per_ip.get(&key).copied().unwrap_or(0);
            if n >= max {
                return None; // `permit` gives the total back
            }
            per_ip.insert(key, n + 1);
            permit.ip = Some(key);
        }
        Some(permit)
    }

    #[cfg(test)]
    fn count(&self, ip: IpAddr) -> usize {
        lock(&self.per_ip).get(&bucket(ip)).copied().unwrap_or(0)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let a = &self.admission;
        if self.total {
            a.total.fetch_sub(1, Ordering::AcqRel);
        }
        if let Some(ip) = self.ip {
            let mut per_ip = lock(&a.per_ip);
            if let Some(n) = per_ip.get_mut(&ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    per_ip.remove(&ip);
                }
            }
        }
    }
}

/// The key an address is counted under: IPv4 addresses (also IPv4-mapped IPv6 ones) as
/// they are, IPv6 addresses by their /64 prefix, since one client usually holds a whole /64.
fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The client address a handshake is counted under: with
/// [`EngineConfig::trusted_proxy_header`] set, the right-most address of the last such header
/// (the one the trusted proxy added), else the socket's peer address.
pub(crate) fn client_ip(
    config: &EngineConfig,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Option<IpAddr> {
    let forwarded = config.trusted_proxy_header.as_ref().and_then(|name| {
        let last = headers.get_all(name).iter().next_back()?;
        parse_ip(last.to_str().ok()?.rsplit(',').next()?.trim())
    });
    forwarded.or(peer.map(|p| p.ip()))
}

/// `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]`, `[::1]:5678`.
fn parse_ip(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    s.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// Admit a handshake request, or `None` if a cap is reached.
pub(crate) fn admit(
    admission: &Arc<Admission>,
    config: &EngineConfig,
    req: &http::request::Parts,
) -> Option<Permit> {
    let peer = req
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    admission.try_admit(client_ip(config, &req.headers, peer))
}

/// The answer to a refused handshake, as Node answers one refused by `allowRequest`.
pub(crate) fn forbidden() -> Response<Body> {
    let mut resp = Response::new(Body::from(r#"{"code":4,"message":"Forbidden"}"#));
    *resp.status_mut() = StatusCode::FORBIDDEN;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn admission(total: Option<usize>, per_ip: Option<usize>) -> Arc<Admission> {
        Admission::new(&EngineConfig {
            max_connections: total,
            max_connections_per_ip: per_ip,
            ..EngineConfig::default()
        })
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn total_cap_at_limit_and_limit_plus_one() {
        let a = admission(Some(2), None);
        let p1 = a.try_admit(ip("1.1.1.1")).unwrap();
        let _p2 = a.try_admit(None).unwrap();
        assert!(a.try_admit(ip("2.2.2.2")).is_none());
        drop(p1);
        assert!(a.try_admit(ip("2.2.2.2")).is_some());
    }

    #[test]
    fn per_ip_cap_counts_each_address_and_forgets_it_at_zero() {
        let a = admission(Some(10), Some(2));
        let p1 = a.try_admit(ip("1.1.1.1")).unwrap();
        let p2 = a.try_admit(ip("1.1.1.1")).unwrap();
        assert!(a.try_admit(ip("1.1.1.1")).is_none());
        // A refusal by address gives its total slot back.
        assert_eq!(a.total.load(Ordering::Acquire), 2);
        let _other = a.try_admit(ip("2.2.2.2")).unwrap();
        // Unknown addresses only count in the total.
        let _unknown = a.try_admit(None).unwrap();
        drop(p1);
        assert_eq!(a.count("1.1.1.1".parse().unwrap()), 1);
        drop(p2);
        assert!(lock(&a.per_ip).get(&"1.1.1.1".parse().unwrap()).is_none());
        assert_eq!(lock(&a.per_ip).len(), 1);
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let a = admission(None, Some(1));
        let _p = a.try_admit(ip("2001:db8:1:2::1")).unwrap();
        assert!(a.try_admit(ip("2001:db8:1:2:ffff::9")).is_none());
        assert!(a.try_admit(ip("2001:db8:1:3::1")).is_some());
        let _v4 = a.try_admit(ip("9.9.9.9")).unwrap();
        assert!(a.try_admit(ip("::ffff:9.9.9.9")).is_none());
    }

    #[test]
    fn no_caps_count_nothing() {
        let a = admission(None, None);
        let permits: Vec<_> = (0..100).map(|_| a.try_admit(ip("1.1.1.1"))).collect();
        assert!(permits.iter().all(Option::is_some));
        assert!(lock(&a.per_ip).is_empty());
    }

    #[test]
    fn client_ip_takes_the_right_most_entry_of_the_trusted_header_only() {
        let peer: Option<SocketAddr> = Some("10.0.0.1:4000".parse().unwrap());
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", "6.6.6.6, 7.7.7.7".parse().unwrap());
        headers.append(
            "x-forwarded-for",
            "1.2.3.4, [2001:db8::1]:443".parse().unwrap(),
        );
        let plain = EngineConfig::default();
        assert_eq!(client_ip(&plain, &headers, peer), ip("10.0.0.1"));
        let trusted = EngineConfig {
            trusted_proxy_header: Some(http::HeaderName::from_static("x-forwarded-for")),
            ..EngineConfig::default()
        };
        assert_eq!(client_ip(&trusted, &headers, peer), ip("2001:db8::1"));
        let mut one = HeaderMap::new();
        one.insert("x-forwarded-for", "5.5.5.5:80".parse().unwrap());
        assert_eq!(client_ip(&trusted, &one, peer), ip("5.5.5.5"));
        // Missing or garbage: the peer address.
        assert_eq!(client_ip(&trusted, &HeaderMap::new(), peer), ip("10.0.0.1"));
        one.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(client_ip(&trusted, &one, peer), ip("10.0.0.1"));
        assert_eq!(client_ip(&trusted, &one, None), None);
    }
}
