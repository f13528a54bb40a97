//! Custom extractors through the public API: a user-written `CurrentUser` event parameter
//! read from the session, a connect parameter read from the handshake, `TryData` (a payload
//! that did not deserialize reaches the handler), the rejection ack (default shape, server
//! and namespace overrides, `reject_with`), and request extensions put in by a tower layer
//! reaching the connect handler over polling and WebSocket.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use serde_json::{Value as Json, json};
use socketio::testing::{TestClient, TestError};
use socketio::{
    ConnectContext, ConnectError, ConnectParamError, EventContext, FromConnectParam,
    FromEventParam, Handshake, ParamError, RejectAck, Socket, SocketIo, TryData, Value, ViaContext,
};
use socketio_tests::{Polling, json_of};

/// A user-written context parameter: the name saved in the session by `login`.
#[derive(Clone)]
struct CurrentUser(String);

impl FromEventParam<ViaContext> for CurrentUser {
    fn from_event(ctx: &mut EventContext) -> Result<Self, ParamError> {
        ctx.socket()
            .get_session::<CurrentUser>()
            .ok_or_else(|| ParamError::reject("not logged in"))
    }
}

/// A user-written connect parameter: the `x-team` header, required.
struct Team(String);

impl FromConnectParam<ViaContext> for Team {
    fn from_connect(ctx: &ConnectContext) -> Result<Self, ConnectParamError> {
        match ctx.handshake().headers().get("x-team") {
            Some(v) => Ok(Team(v.to_str().unwrap_or_default().to_owned())),
            None => Err(ConnectParamError::Rejected(
                ConnectError::new("no team").with_data(json!({"need": "x-team"})),
            )),
        }
    }
}

fn chat() -> SocketIo {
    let io = SocketIo::builder().build().unwrap();
    let ns = io.of("/");
    ns.on("login", async |socket: Socket, name: String| {
        socket.save_session(CurrentUser(name));
    });
    // The extractor sits between positional arguments: they keep their positions.
    ns.on("say", async |n: u32, user: CurrentUser, text: String| {
        format!("{} #{n}: {text}", user.0)
    });
    ns.on(
        "try",
        async |TryData(n): TryData<u32>, TryData(s): TryData<String>| match (n, s) {
            (Ok(n), Ok(s)) => json!({"n": n, "s": s}),
            (n, s) => json!({
                "n_error": n.err().map(|e| (e.index(), e.to_string())),
                "s_error": s.err().map(|e| e.index()),
            }),
        },
    );
    ns.on("strict", async |n: u32| n);
    io
}

#[tokio::test]
async fn a_custom_event_parameter_reads_the_session_and_rejects_with_the_ack() {
    let io = chat();
    let c = TestClient::connect(&io).await.unwrap();
    // Not logged in: the handler does not run, the default rejection ack says why.
    let ack: Json = c.emit_with_ack("say", &(1, "hi")).await.unwrap();
    assert_eq!(ack, json!({"error": "not logged in"}));
    c.emit_with_ack::<()>("login", &"ada").await.unwrap();
    let ack: String = c.emit_with_ack("say", &(2, "hi")).await.unwrap();
    assert_eq!(ack, "ada #2: hi");
    // A bad argument after the extractor still names its own position.
    let ack: Json = c.emit_with_ack("say", &(3, 4)).await.unwrap();
    let msg = ack["error"].as_str().unwrap();
    assert!(msg.starts_with("invalid argument 2: invalid type"), "{msg}");
}

#[tokio::test]
async fn try_data_hands_the_handler_what_did_not_deserialize() {
    let io = chat();
    let c = TestClient::connect(&io).await.unwrap();
    let ack: Json = c.emit_with_ack("try", &(7, "x")).await.unwrap();
    assert_eq!(ack, json!({"n": 7, "s": "x"}));
    // The handler ran although both arguments are wrong (and the second is missing).
    let ack: Json = c.emit_with_ack("try", &("seven",)).await.unwrap();
    assert_eq!(ack["n_error"][0], 0);
    assert!(
        ack["n_error"][1]
            .as_str()
            .unwrap()
            .starts_with("invalid argument 1: invalid type: string \"seven\"")
    );
    assert_eq!(ack["s_error"], 1);
    // A plain parameter refuses instead: the default ack shape.
    let ack: Json = c.emit_with_ack("strict", &"seven").await.unwrap();
    assert!(
        ack["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid argument 1: invalid type: string \"seven\", expected u32"),
        "{ack}"
    );
}

#[tokio::test]
async fn the_rejection_ack_is_configurable_per_server_and_per_namespace() {
    let io = SocketIo::builder()
        .reject_ack(RejectAck::new(|e| {
            Some(Value::from_json(json!({"ok": false, "why": e.to_string()})))
        }))
        .build()
        .unwrap();
    io.of("/").on("n", async |n: u32| n);
    io.of("/").on("forbidden", async |_: Forbidden| ());
    io.of("/quiet")
        .reject_ack(RejectAck::none())
        .on("n", async |n: u32| n);
    io.of("/plain")
        .reject_ack(RejectAck::new(|_| Some(Value::from("nope"))))
        .on("n", async |n: u32| n);

    let c = TestClient::connect(&io).await.unwrap();
    let ack: Json = c.emit_with_ack("n", &"x").await.unwrap();
    assert_eq!(ack["ok"], false);
    assert!(
        ack["why"]
            .as_str()
            .unwrap()
            .starts_with("invalid argument 1")
    );
    // `reject_with` wins over the server's shape.
    let ack: Json = c.emit_with_ack("forbidden", &()).await.unwrap();
    assert_eq!(ack, json!(403));
    assert_eq!(c.emit_with_ack::<u32>("n", &5).await.unwrap(), 5);

    let plain = TestClient::builder()
        .namespace("/plain")
        .connect(&io)
        .await
        .unwrap();
    assert_eq!(
        plain.emit_with_ack::<String>("n", &"x").await.unwrap(),
        "nope"
    );

    let quiet = TestClient::builder()
        .namespace("/quiet")
        .timeout(std::time::Duration::from_millis(300))
        .connect(&io)
        .await
        .unwrap();
    // No ack at all for a refused event; the connection stays and later events are answered
    // in order (so the missing ack is not merely late).
    let refused = quiet.emit_with_ack::<Json>("n", &"x");
    let answered = quiet.emit_with_ack::<u32>("n", &9);
    let (refused, answered) = tokio::join!(refused, answered);
    assert_eq!(answered.unwrap(), 9);
    assert!(
        matches!(refused, Err(TestError::Timeout { .. })),
        "{refused:?}"
    );
}

struct Forbidden;

impl FromEventParam<ViaContext> for Forbidden {
    fn from_event(_: &mut EventContext) -> Result<Self, ParamError> {
        Err(ParamError::reject_with("forbidden", Value::from(403)))
    }
}

#[tokio::test]
async fn a_custom_connect_parameter_rejects_with_its_connect_error() {
    let io = SocketIo::builder().build().unwrap();
    io.of("/").on_connect(async |socket: Socket, team: Team| {
        socket.save_session(team.0);
    });
    io.of("/").on("team", async |socket: Socket| {
        socket.get_session::<String>()
    });
    let refused = TestClient::connect(&io).await.err().unwrap();
    match refused {
        TestError::ConnectRefused(e) => {
            assert_eq!(e.message(), "no team");
            assert_eq!(e.data(), Some(&json!({"need": "x-team"})));
        }
        other => panic!("{other:?}"),
    }
    let c = TestClient::builder()
        .header("x-team", "blue")
        .connect(&io)
        .await
        .unwrap();
    let team: Option<String> = c.emit_with_ack("team", &()).await.unwrap();
    assert_eq!(team.as_deref(), Some("blue"));
}

#[tokio::test]
async fn try_data_as_a_connect_parameter_sees_a_bad_auth_payload() {
    #[derive(serde::Deserialize)]
    struct Auth {
        token: String,
    }
    let io = SocketIo::builder().build().unwrap();
    io.of("/")
        .on_connect(async |TryData(auth): TryData<Auth>| match auth {
            Ok(a) if a.token == "t" => Ok(()),
            Ok(_) => Err(ConnectError::new("wrong token")),
            Err(e) => Err(ConnectError::new(format!("bad auth: {}", e.error()))),
        });
    let err = TestClient::builder()
        .auth(&json!({"token": 1}))
        .connect(&io)
        .await
        .err()
        .unwrap();
    match err {
        TestError::ConnectRefused(e) => assert!(
            e.message()
                .starts_with("bad auth: invalid type: integer `1`"),
            "{}",
            e.message()
        ),
        other => panic!("{other:?}"),
    }
    TestClient::builder()
        .auth(&json!({"token": "t"}))
        .connect(&io)
        .await
        .unwrap();
}

// -- request extensions ------------------------------------------------------------------------

/// What the auth layer below puts in the request's extensions.
#[derive(Clone, Debug, PartialEq)]
struct User(String);

/// A tower auth layer in front of the Socket.IO router: `?token=<name>` becomes a `User`
/// extension; no token, no extension.
fn authed(io: &SocketIo) -> axum::Router {
    io.router().layer(axum::middleware::from_fn(
        async |mut req: axum::extract::Request, next: axum::middleware::Next| {
            let user = req.uri().query().and_then(|q| {
                q.split('&')
                    .find_map(|kv| kv.strip_prefix("token="))
                    .map(|t| User(t.to_owned()))
            });
            if let Some(user) = user {
                req.extensions_mut().insert(user);
            }
            next.run(req).await
        },
    ))
}

fn user_server() -> SocketIo {
    let io = SocketIo::builder().build().unwrap();
    io.of("/")
        .on_connect(
            async |socket: Socket, hs: Handshake| match hs.extension::<User>().cloned() {
                Some(user) => {
                    socket.save_session(user);
                    Ok(())
                }
                None => Err(ConnectError::new("unauthorized")),
            },
        );
    // The same extension, read from an event handler through the socket's handshake.
    io.of("/").on("whoami", async |socket: Socket| {
        socket
            .handshake()
            .extensions()
            .get::<User>()
            .map(|u| u.0.clone())
    });
    io
}

#[tokio::test]
async fn a_tower_layer_s_extension_reaches_the_connect_handler_over_websocket() {
    let io = user_server();
    let c = TestClient::builder()
        .query("token", "ada")
        .connect_router(authed(&io))
        .await
        .unwrap();
    let me: Option<String> = c.emit_with_ack("whoami", &()).await.unwrap();
    assert_eq!(me.as_deref(), Some("ada"));
    let sock = io.socket("/", c.sid()).unwrap();
    assert_eq!(sock.get_session::<User>(), Some(User("ada".into())));

    let refused = TestClient::builder()
        .connect_router(authed(&io))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&refused, TestError::ConnectRefused(e) if e.message() == "unauthorized"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_tower_layer_s_extension_reaches_the_connect_handler_over_polling() {
    let io = user_server();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = authed(&io);
    let task = tokio::spawn(async move { socketio::serve(listener, app).await });

    let (p, _) = Polling::open_with(addr, "/socket.io/", "token=grace").await;
    let sid = p.join("/", None).await;
    assert_eq!(
        io.socket("/", &sid).unwrap().get_session::<User>(),
        Some(User("grace".into()))
    );
    // The extension is the opening request's: later polls without the token keep it.
    assert_eq!(p.post_packets(&[r#"421["whoami"]"#]).await, 200);
    let packets = p.get_packets().await;
    assert_eq!(json_of(&packets[0][3..]), json!(["grace"]), "{packets:?}");

    let (anon, _) = Polling::open(addr, "/socket.io/").await;
    assert_eq!(anon.post_packets(&["40"]).await, 200);
    let packets = anon.get_packets().await;
    assert!(
        packets[0].starts_with(r#"44{"message":"unauthorized""#),
        "{packets:?}"
    );
    task.abort();
}
