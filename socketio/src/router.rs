//! axum integration: the engine endpoint, static files, and fallback to the user's routes.
//!
//! Requests are routed as python-socketio's `ASGIApp` does: the engine path first (with and
//! without its trailing slash), then the static files, then the user's router, else 404.
//!
//! ```no_run
//! # use socketio::engine::{Engine, EngineHandler};
//! # fn app<H: EngineHandler>(engine: Engine<H>) -> axum::Router {
//! use socketio::router::{router, RouterOptions, StaticFiles};
//!
//! let user = axum::Router::new().route("/hello", axum::routing::get(|| async { "hi" }));
//! router(
//!     engine,
//!     RouterOptions::default()
//!         .static_files(StaticFiles::new().file("/", "index.html").dir("/static", "./public"))
//!         .fallback(user),
//! )
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use tower::ServiceExt as _;

use crate::engine::{Engine, EngineHandler};

/// The default engine path, as in every Socket.IO server.
pub const DEFAULT_PATH: &str = "/socket.io/";

/// Add `engine` to `router` at `path`, matching it with and without the trailing slash.
/// Call it again with another path to mount a second engine on the same router.
///
/// ```no_run
/// # use socketio::engine::{Engine, EngineHandler};
/// # fn both<A: EngineHandler, B: EngineHandler>(sio: Engine<A>, echo: Engine<B>) -> axum::Router {
/// let app = socketio::router::mount(axum::Router::new(), "/socket.io/", sio);
/// socketio::router::mount(app, "/engine.io/", echo)
/// # }
/// ```
pub fn mount<H: EngineHandler, S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    path: &str,
    engine: Engine<H>,
) -> Router<S> {
    let trimmed = path.trim_end_matches('/');
    let handler = any(move |req: Request| {
        let engine = engine.clone();
        async move { engine.handle(req).await }
    });
    if trimmed.is_empty() {
        return router.route("/", handler);
    }
    let with_slash = format!("{trimmed}/");
    router
        .route(trimmed, handler.clone())
        .route(&with_slash, handler)
}

/// What [`router`] serves besides the engine.
#[derive(Debug, Default)]
pub struct RouterOptions {
    path: Option<String>,
    static_files: Option<StaticFiles>,
    fallback: Option<Router>,
}

impl RouterOptions {
    /// The engine path (default [`DEFAULT_PATH`]).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Static files, tried after the engine path.
    pub fn static_files(mut self, files: StaticFiles) -> Self {
        self.static_files = Some(files);
        self
    }

    /// The user's routes, tried last.
    pub fn fallback(mut self, router: Router) -> Self {
        self.fallback = Some(router);
        self
    }
}

/// Build the application router: the engine at its path, then static files, then the
/// user's router, else `404 Not Found`.
pub fn router<H: EngineHandler>(engine: Engine<H>, options: RouterOptions) -> Router {
    let path = options.path.as_deref().unwrap_or(DEFAULT_PATH);
    let files = options.static_files.map(Arc::new);
    let user = options.fallback;
    let fallback = move |req: Request| {
        let files = files.clone();
        let user = user.clone();
        async move {
            if let Some(files) = &files {
                if let Some(resp) = files.serve(req.method(), req.uri().path()).await {
                    return resp;
                }
            }
            match user {
                Some(user) => match user.oneshot(req).await {
                    Ok(resp) => resp,
                    Err(never) => match never {},
                },
                None => not_found(),
            }
        }
    };
    mount(Router::new(), path, engine).fallback(fallback)
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain")],
        "Not Found",
    )
        .into_response()
}

#[derive(Debug, Clone)]
enum Entry {
    File { url: String, path: PathBuf },
    Dir { prefix: String, path: PathBuf },
}

/// Static files served next to the engine, as python-socketio's `static_files`: exact paths
/// mapped to files (`"/"` -> `index.html`) and URL prefixes mapped to directories
/// (`"/static"` -> `./public`). A URL ending in `/` inside a directory serves its
/// `index.html`; `..` segments are refused with 404.
///
/// ```
/// use socketio::router::StaticFiles;
/// let files = StaticFiles::new().file("/", "index.html").dir("/static", "./public");
/// # let _ = files;
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaticFiles {
    entries: Vec<Entry>,
}

impl StaticFiles {
    /// No files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve the file at `path` for exactly the URL path `url`.
    pub fn file(mut self, url: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        self.entries.push(Entry::File {
            url: url.into(),
            path: path.into(),
        });
        self
    }

    /// Serve the directory `path` under the URL prefix `prefix`.
    pub fn dir(mut self, prefix: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        let prefix: String = prefix.into();
        let prefix = prefix.trim_end_matches('/').to_owned();
        self.entries.push(Entry::Dir {
            prefix,
            path: path.into(),
        });
        self
    }

    /// The file for a URL path, if an entry matches and the path is safe.
    fn resolve(&self, url_path: &str) -> Option<PathBuf> {
        let decoded = crate::proto::percent::decode(url_path)?;
        if let Some(Entry::File { path, .. }) = self
            .entries
            .iter()
            .find(|e| matches!(e, Entry::File { url, .. } if *url == decoded))
        {
            return Some(path.clone());
        }
        let (prefix, dir) = self
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Dir { prefix, path } => Some((prefix, path)),
                Entry::File { .. } => None,
            })
            .filter(|(prefix, _)| {
                decoded
                    .strip_prefix(prefix.as_str())
                    .is_some_and(|r| r.is_empty() || r.starts_with('/'))
            })
            .max_by_key(|(prefix, _)| prefix.len())?;
        let rest = decoded.get(prefix.len()..).unwrap_or("");
        let mut file = dir.clone();
        for seg in rest.split('/').filter(|s| !s.is_empty()) {
            if seg == ".." || seg == "." || seg.contains('\\') || seg.contains('\0') {
                return None;
            }
            file.push(seg);
        }
        if rest.is_empty() || rest.ends_with('/') {
            file.push("index.html");
        }
        Some(file)
    }

    /// Serve a request if it names one of the files; `Some(404)` for a matching entry whose
    /// file is missing or unsafe; `None` when no entry matches (try the next router).
    fn serve(
        &self,
        method: &Method,
        url_path: &str,
    ) -> impl Future<Output = Option<Response>> + Send + 'static {
        let file = if method != Method::GET && method != Method::HEAD || !self.matches(url_path) {
            Err(())
        } else {
            Ok(self.resolve(url_path))
        };
        async move {
            let file = match file {
                Err(()) => return None,
                Ok(None) => return Some(not_found()),
                Ok(Some(file)) => file,
            };
            serve_file(file).await
        }
    }

    fn matches(&self, url_path: &str) -> bool {
        let decoded = crate::proto::percent::decode(url_path).unwrap_or_default();
        self.entries.iter().any(|e| match e {
            Entry::File { url, .. } => *url == decoded,
            Entry::Dir { prefix, .. } => decoded
                .strip_prefix(prefix.as_str())
                .is_some_and(|r| r.is_empty() || r.starts_with('/')),
        })
    }
}

async fn serve_file(file: PathBuf) -> Option<Response> {
    let content_type = content_type(&file);
    let read = tokio::task::spawn_blocking(move || std::fs::read(&file)).await;
    match read {
        Ok(Ok(data)) => {
            let mut resp = Response::new(Body::from(data));
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            Some(resp)
        }
        _ => Some(not_found()),
    }
}

/// The content type for a file name, from its extension.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" => "application/javascript",
        "json" => "application/json",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "txt" => "text/plain",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_paths() {
        let f = StaticFiles::new()
            .file("/", "root/index.html")
            .dir("/static", "pub");
        assert_eq!(f.resolve("/"), Some(PathBuf::from("root/index.html")));
        assert_eq!(f.resolve("/static/a.js"), Some(PathBuf::from("pub/a.js")));
        assert_eq!(
            f.resolve("/static/sub/"),
            Some(PathBuf::from("pub/sub/index.html"))
        );
        assert_eq!(f.resolve("/static"), Some(PathBuf::from("pub/index.html")));
        assert_eq!(f.resolve("/static/../secret"), None);
        assert_eq!(f.resolve("/static/%2e%2e/secret"), None);
        assert_eq!(f.resolve("/other"), None);
        assert!(!f.matches("/staticx"));
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type(Path::new("a.HTML")), "text/html");
        assert_eq!(content_type(Path::new("a.ico")), "image/x-icon");
        assert_eq!(content_type(Path::new("a")), "application/octet-stream");
    }
}
