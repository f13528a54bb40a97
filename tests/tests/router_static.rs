//! The application router: engine path, static files, fallback to the user's routes.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use socketio::engine::{CloseReason, Engine, EngineConfig, EngineConn, EngineHandler, Message};
use socketio::router::{RouterOptions, StaticFiles, mount, router};
use tower::ServiceExt;

struct Nop;
impl EngineHandler for Nop {
    type State = ();
    fn on_open(&self, _: &EngineConn) {}
    fn on_message(&self, _: &mut (), _: &EngineConn, _: Message) {}
    fn on_close(&self, _: &mut (), _: &EngineConn, _: CloseReason) {}
}

async fn fetch(app: &Router, uri: &str) -> (StatusCode, Option<String>, String) {
    let req = Request::get(uri).body(Body::empty()).unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8_lossy(&body).into_owned())
}

fn site() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("socketio-router-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("public/sub")).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>root</h1>").unwrap();
    std::fs::write(dir.join("secret.txt"), "secret").unwrap();
    std::fs::write(dir.join("public/app.js"), "js").unwrap();
    std::fs::write(dir.join("public/style.css"), "css").unwrap();
    std::fs::write(dir.join("public/logo.svg"), "svg").unwrap();
    std::fs::write(dir.join("public/data.bin"), "bin").unwrap();
    std::fs::write(dir.join("public/sub/index.html"), "sub index").unwrap();
    dir
}

fn app(dir: &std::path::Path) -> Router {
    let engine = Engine::new(EngineConfig::default(), Nop);
    let user = Router::new().route("/hello", get(|| async { "hi from the app" }));
    let files = StaticFiles::new()
        .file("/", dir.join("index.html"))
        .dir("/static", dir.join("public"));
    router(
        engine,
        RouterOptions::default().static_files(files).fallback(user),
    )
}

#[tokio::test]
async fn static_files_and_fallback() {
    let dir = site();
    let app = app(&dir);
    let html = Some("text/html".to_owned());
    assert_eq!(
        fetch(&app, "/").await,
        (StatusCode::OK, html.clone(), "<h1>root</h1>".into())
    );
    let js = fetch(&app, "/static/app.js").await;
    assert_eq!(
        js,
        (
            StatusCode::OK,
            Some("application/javascript".into()),
            "js".into()
        )
    );
    assert_eq!(
        fetch(&app, "/static/style.css").await.1.as_deref(),
        Some("text/css")
    );
    assert_eq!(
        fetch(&app, "/static/logo.svg").await.1.as_deref(),
        Some("image/svg+xml")
    );
    let bin = fetch(&app, "/static/data.bin").await.1;
    assert_eq!(bin.as_deref(), Some("application/octet-stream"));
    assert_eq!(
        fetch(&app, "/static/sub/").await,
        (StatusCode::OK, html, "sub index".into())
    );
    // Missing file and traversal attempts: 404, never the file.
    assert_eq!(
        fetch(&app, "/static/missing.js").await.0,
        StatusCode::NOT_FOUND
    );
    for evil in [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/sub/..%2f..%2fsecret.txt",
    ] {
        let (status, _, body) = fetch(&app, evil).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{evil}");
        assert_ne!(body, "secret");
    }
    // The user's routes, then 404.
    assert_eq!(fetch(&app, "/hello").await.2, "hi from the app");
    assert_eq!(fetch(&app, "/nothing").await.0, StatusCode::NOT_FOUND);
    // The engine, with and without the trailing slash.
    for path in ["/socket.io/", "/socket.io"] {
        let (status, _, body) = fetch(&app, &format!("{path}?EIO=4&transport=polling")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.starts_with("0{\"sid\":"));
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn two_engines_on_one_router() {
    let sio = Engine::new(EngineConfig::default(), Nop);
    let echo = Engine::new(
        {
            let mut cfg = EngineConfig::default();
            cfg.max_payload = 42;
            cfg
        },
        Nop,
    );
    let app = mount(
        mount(Router::new(), "/socket.io/", sio.clone()),
        "/engine.io/",
        echo.clone(),
    );
    let (_, _, a) = fetch(&app, "/socket.io/?EIO=4&transport=polling").await;
    let (_, _, b) = fetch(&app, "/engine.io/?EIO=4&transport=polling").await;
    assert!(a.ends_with("\"maxPayload\":1000000}"));
    assert!(b.ends_with("\"maxPayload\":42}"));
    assert_eq!((sio.connection_count(), echo.connection_count()), (1, 1));
    assert_eq!(fetch(&app, "/other").await.0, StatusCode::NOT_FOUND);
}
