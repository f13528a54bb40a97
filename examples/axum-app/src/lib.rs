//! The axum guide's example (`docs/axum.md`): a Socket.IO server inside an existing axum app.
//!
//! * A message board whose state ([`Board`]) is shared by the HTTP routes
//!   (`axum::extract::State<Arc<Board>>`) and the Socket.IO handlers (`socketio::State<Board>`):
//!   both are the same `Arc`.
//! * The HTTP API (`/api/posts`) sits behind tower-http's bearer-token check and CORS layer;
//!   the Socket.IO endpoint checks the same token in its connect handler and has the engine's
//!   own CORS policy, set to the same origin.
//! * Everything is nested under `/api` with `Router::nest`, so the Socket.IO endpoint is
//!   `/api/socket.io/` (clients pass `path: "/api/socket.io/"`).
//! * [`serve_socketio`] and [`serve_axum`] shut down gracefully: `io.shutdown()` first, then the
//!   HTTP server.

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{FromRef, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use socketio::engine::Cors;
use socketio::{ConnectError, Socket, SocketIo};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::validate_request::ValidateRequestHeaderLayer;

/// What the app is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The one browser origin allowed to call the API and open Socket.IO connections
    /// cross-origin (`scheme://host[:port]`).
    pub origin: String,
    /// The bearer token of the HTTP API, and the `token` of the Socket.IO auth payload.
    pub token: String,
}

/// Longest post, in characters, and most posts kept.
const MAX_TEXT: usize = 500;
const MAX_POSTS: usize = 100;

/// One post on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    /// Who wrote it: a Socket.IO sid, or the name an HTTP client gave.
    pub author: String,
    /// What they wrote.
    pub text: String,
}

/// The state that HTTP routes and Socket.IO handlers share.
#[derive(Debug)]
pub struct Board {
    token: String,
    posts: Mutex<VecDeque<Post>>,
}

impl Board {
    fn new(token: String) -> Self {
        Self {
            token,
            posts: Mutex::new(VecDeque::new()),
        }
    }

    /// Add a post (past 100 posts, the oldest goes); returns how many the board holds.
    pub fn add(&self, post: Post) -> usize {
        let mut posts = self.posts.lock().unwrap_or_else(PoisonError::into_inner);
        if posts.len() == MAX_POSTS {
            posts.pop_front();
        }
        posts.push_back(post);
        posts.len()
    }

    /// The posts, oldest first.
    pub fn posts(&self) -> Vec<Post> {
        let posts = self.posts.lock().unwrap_or_else(PoisonError::into_inner);
        posts.iter().cloned().collect()
    }
}

/// The axum state of the HTTP routes. Handlers extract the parts they need
/// (`State<Arc<Board>>`, `State<SocketIo>`) through [`FromRef`].
#[derive(Clone)]
pub struct ApiState {
    board: Arc<Board>,
    io: SocketIo,
}

impl FromRef<ApiState> for Arc<Board> {
    fn from_ref(state: &ApiState) -> Self {
        state.board.clone()
    }
}

impl FromRef<ApiState> for SocketIo {
    fn from_ref(state: &ApiState) -> Self {
        state.io.clone()
    }
}

/// The app: the Socket.IO server, the axum router to serve, and the shared board.
#[derive(Debug, Clone)]
pub struct App {
    /// The Socket.IO server (for `shutdown`, emits from elsewhere...).
    pub io: SocketIo,
    /// Everything to serve.
    pub router: Router,
    /// The board, the same `Arc` the handlers of both kinds see.
    pub board: Arc<Board>,
}

/// The Socket.IO auth payload: `io({ auth: { token } })`.
#[derive(Debug, Deserialize)]
struct Auth {
    token: String,
}

fn clean(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty() && text.chars().count() <= MAX_TEXT).then(|| text.to_owned())
}

/// Build the app.
pub fn app(config: &Config) -> Result<App, Box<dyn std::error::Error + Send + Sync>> {
    let origin = HeaderValue::from_str(&config.origin)?;
    let io = SocketIo::builder()
        // Registered once; `socketio::State<Board>` in handlers, `io.state::<Board>()` elsewhere.
        .state(Board::new(config.token.clone()))
        // The engine answers CORS (preflight included) on its own path: same origin as the API.
        .cors(Cors::List(vec![config.origin.clone()]))
        .build()?;
    let board: Arc<Board> = io.state::<Board>().ok_or("the board is registered")?.0;

    let ns = io.of("/");
    ns.on_connect(
        async |auth: Auth, board: socketio::State<Board>| -> Result<(), ConnectError> {
            if auth.token == board.token {
                Ok(())
            } else {
                Err(ConnectError::new("unauthorized"))
            }
        },
    );
    // `post`: add a post to the board, tell everyone; the ack is the board's size.
    ns.on(
        "post",
        async |socket: Socket,
               board: socketio::State<Board>,
               text: String|
               -> Result<usize, String> {
            let text = clean(&text).ok_or("a post is 1 to 500 characters")?;
            let post = Post {
                author: socket.id().to_owned(),
                text,
            };
            let count = board.add(post.clone());
            socket.io().emit("post", &post).map_err(|e| e.to_string())?;
            Ok(count)
        },
    );

    // The HTTP API: bearer auth inside, CORS outside (a preflight carries no credentials,
    // so CORS must answer it before the auth check can refuse it).
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list([origin]))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .allow_credentials(true);
    let api = Router::new()
        .route("/posts", get(list_posts).post(add_post))
        .route_layer(ValidateRequestHeaderLayer::custom(bearer(&config.token)))
        .layer(cors)
        .with_state(ApiState {
            board: board.clone(),
            io: io.clone(),
        })
        // Merged after the layers: they do not wrap the Socket.IO endpoint, whose CORS and
        // auth are the engine's and the connect handler's.
        .merge(io.router());

    let router = Router::new()
        .route("/health", get(|| async { "ok" }))
        .nest("/api", api);
    Ok(App { io, router, board })
}

/// The check of tower-http's `ValidateRequestHeaderLayer`: `Authorization: Bearer <token>`, else 401.
#[allow(
    clippy::result_large_err,
    reason = "tower-http's `ValidateRequest` returns the refusal as a `Response`"
)]
fn bearer(
    token: &str,
) -> impl FnMut(&mut Request) -> Result<(), Response> + Clone + Send + Sync + 'static {
    let expected = format!("Bearer {token}");
    move |req: &mut Request| {
        let given = req.headers().get(header::AUTHORIZATION);
        if given.is_some_and(|v| v.as_bytes() == expected.as_bytes()) {
            Ok(())
        } else {
            Err(StatusCode::UNAUTHORIZED.into_response())
        }
    }
}

async fn list_posts(State(board): State<Arc<Board>>) -> Json<Vec<Post>> {
    Json(board.posts())
}

async fn add_post(
    State(board): State<Arc<Board>>,
    State(io): State<SocketIo>,
    Json(post): Json<Post>,
) -> Result<(StatusCode, Json<usize>), (StatusCode, &'static str)> {
    let bad = (
        StatusCode::UNPROCESSABLE_ENTITY,
        "a post is 1 to 500 characters",
    );
    let post = Post {
        author: clean(&post.author).ok_or(bad)?,
        text: clean(&post.text).ok_or(bad)?,
    };
    let count = board.add(post.clone());
    // An HTTP route emits to the Socket.IO clients through the same server handle.
    io.emit("post", &post)
        .map_err(|_| (StatusCode::SERVICE_UNAVAILABLE, "cannot broadcast"))?;
    Ok((StatusCode::CREATED, Json(count)))
}

/// Serve with [`socketio::serve`] (axum's loop plus header, idle and write deadlines) until
/// `stop` completes: then disconnect every Socket.IO client and wait for their disconnect
/// handlers (`io.shutdown()`), stop accepting, finish the requests in progress, return.
pub async fn serve_socketio(
    listener: tokio::net::TcpListener,
    app: App,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let io = app.io.clone();
    socketio::serve(listener, app.router)
        .with_graceful_shutdown(async move {
            stop.await;
            io.shutdown().await;
        })
        .await
}

/// The same with `axum::serve`: `into_make_service_with_connect_info` gives the engine the
/// peer address (for `Handshake::remote_addr` and the per-address caps).
pub async fn serve_axum(
    listener: tokio::net::TcpListener,
    app: App,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let io = app.io.clone();
    let service = app
        .router
        .into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            stop.await;
            io.shutdown().await;
        })
        .await
}
