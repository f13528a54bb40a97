//! Cross-origin checks (python-engineio semantics) and CORS response headers.

use axum::body::Body;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};

use super::Cors;
use super::EngineConfig;

/// The origin to echo in `Access-Control-Allow-Origin`, when there is one.
pub(crate) type AllowedOrigin = Option<HeaderValue>;

/// A request whose `Origin` the policy refuses.
pub(crate) struct BadOrigin(String);

impl BadOrigin {
    /// python-engineio's answer: 400 with a JSON string body.
    pub(crate) fn response(&self) -> Response<Body> {
        let msg = format!("{} is not an accepted origin.", self.0);
        let body = serde_json::to_string(&msg).unwrap_or_default();
        let mut resp = Response::new(Body::from(body));
        *resp.status_mut() = StatusCode::BAD_REQUEST;
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        resp
    }
}

/// Check the request's `Origin` against the policy.
pub(crate) fn check(
    config: &EngineConfig,
    headers: &HeaderMap,
) -> Result<AllowedOrigin, BadOrigin> {
    if matches!(config.cors, Cors::Disabled) {
        return Ok(None);
    }
    let Some(value) = headers.get(header::ORIGIN) else {
        return Ok(None);
    };
    let origin = String::from_utf8_lossy(value.as_bytes());
    let allowed = match &config.cors {
        Cors::Disabled | Cors::Any => true,
        Cors::List(list) => list.iter().any(|o| o == origin.as_ref()),
        Cors::Predicate(f) => f(&origin),
        Cors::SameOrigin => same_origin(headers, &origin),
    };
    if allowed {
        Ok(Some(value.clone()))
    } else {
        Err(BadOrigin(origin.into_owned()))
    }
}

fn first_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let v = headers.get(name)?.to_str().ok()?;
    Some(v.split(',').next().unwrap_or(v).trim())
}

fn same_origin(headers: &HeaderMap, origin: &str) -> bool {
    let host = first_value(headers, "x-forwarded-host").or_else(|| first_value(headers, "host"));
    let Some(host) = host else {
        return false;
    };
    match first_value(headers, "x-forwarded-proto") {
        Some(proto) => {
            origin
                .strip_prefix(proto)
                .and_then(|r| r.strip_prefix("://"))
                == Some(host)
        }
        // Without a forwarded scheme the server cannot tell whether TLS ended in front of
        // it, so both schemes of the same host are the same site.
        None => ["http://", "https://"]
            .iter()
            .any(|p| origin.strip_prefix(p) == Some(host)),
    }
}

/// Add the CORS headers for an allowed origin (and preflight headers for `OPTIONS`).
pub(crate) fn apply(
    config: &EngineConfig,
    origin: &AllowedOrigin,
    preflight: bool,
    request_headers: Option<&HeaderValue>,
    resp: &mut Response<Body>,
) {
    let Some(origin) = origin else {
        return;
    };
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    if config.cors_credentials {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    if preflight {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("OPTIONS, GET, POST"),
        );
        if let Some(rh) = request_headers {
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, rh.clone());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_rules() {
        assert!(same_origin(
            &headers(&[("host", "a.com:3000")]),
            "http://a.com:3000"
        ));
        assert!(same_origin(&headers(&[("host", "a.com")]), "https://a.com"));
        assert!(!same_origin(&headers(&[("host", "a.com")]), "http://b.com"));
        let fwd = headers(&[
            ("host", "internal"),
            ("x-forwarded-host", "a.com"),
            ("x-forwarded-proto", "https"),
        ]);
        assert!(same_origin(&fwd, "https://a.com"));
        assert!(!same_origin(&fwd, "http://a.com"));
        assert!(!same_origin(&HeaderMap::new(), "http://a.com"));
    }
}
