//! Every handler of the chat's `/chat` namespace, through `socketio::testing::TestClient`
//! connected in memory to the example's own router (`chat::app`): `connect` (the nick from
//! auth), `join`, `leave`, `nick`, `message`, and what the other members of a room see.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use chat::Line;
use serde_json::json;
use socketio::testing::{AckResult, TestClient, TestError};

/// The example's router: Socket.IO at `/socket.io/`, the page and its script beside it.
fn app() -> axum::Router {
    let (_io, router) = chat::app(&chat::default_root()).unwrap();
    router
}

/// A client of `/chat` with `auth` as its CONNECT payload.
async fn connect(app: &axum::Router, auth: serde_json::Value) -> TestClient {
    TestClient::builder()
        .namespace("/chat")
        .auth(&auth)
        .connect_router(app.clone())
        .await
        .unwrap()
}

async fn user(app: &axum::Router, nick: &str) -> TestClient {
    connect(app, json!({ "nick": nick })).await
}

fn line(room: &str, nick: &str, text: &str) -> Line {
    Line {
        room: room.into(),
        nick: nick.into(),
        text: text.into(),
    }
}

async fn join(client: &TestClient, room: &str) -> AckResult<String> {
    client
        .emit_with_ack("join", &json!({ "room": room }))
        .await
        .unwrap()
}

async fn say(client: &TestClient, room: &str, text: &str) -> AckResult<()> {
    client
        .emit_with_ack("message", &json!({ "room": room, "text": text }))
        .await
        .unwrap()
}

async fn next_line(client: &TestClient) -> Line {
    client.next_event("message").await.unwrap()
}

#[tokio::test]
async fn join_acknowledges_the_room_and_tells_its_members() {
    let app = app();
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;

    // Room names are trimmed.
    assert_eq!(join(&alice, " lobby ").await, AckResult::Ok("lobby".into()));
    assert_eq!(next_line(&alice).await, line("lobby", "*", "alice joined"));
    assert_eq!(join(&bob, "lobby").await, AckResult::Ok("lobby".into()));
    assert_eq!(next_line(&alice).await, line("lobby", "*", "bob joined"));
    assert_eq!(next_line(&bob).await, line("lobby", "*", "bob joined"));
}

#[tokio::test]
async fn join_refuses_empty_and_overlong_room_names() {
    let app = app();
    let alice = user(&app, "alice").await;
    let refused = AckResult::Err("a room name is 1 to 500 characters".into());
    assert_eq!(join(&alice, "   ").await, refused);
    assert_eq!(join(&alice, &"r".repeat(501)).await, refused);
    // Below the chat's own 500 characters, the server's room name limit
    // (`max_room_name_len`, 256 bytes by default) applies.
    let longest = "r".repeat(256);
    assert_eq!(join(&alice, &longest).await, AckResult::Ok(longest.clone()));
    let AckResult::Err(too_long) = join(&alice, &"r".repeat(257)).await else {
        panic!("a 257-byte room name was accepted");
    };
    assert!(too_long.contains("too long"), "{too_long}");
    // Not joined to the refused ones: the server says so.
    assert_eq!(
        say(&alice, "   ", "hi").await,
        AckResult::Err("join `   ` first".into())
    );
}

#[tokio::test]
async fn message_reaches_every_member_of_the_room_and_only_them() {
    let app = app();
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let carol = user(&app, "carol").await;
    for c in [&alice, &bob] {
        join(c, "lobby").await.into_result().unwrap();
    }
    for c in [&alice, &carol] {
        join(c, "side").await.into_result().unwrap();
    }
    // Skip the join notices.
    for _ in 0..4 {
        next_line(&alice).await;
    }
    next_line(&bob).await;
    next_line(&carol).await;

    assert_eq!(say(&alice, "lobby", " hello ").await, AckResult::Ok(()));
    let hello = line("lobby", "alice", "hello");
    assert_eq!(next_line(&alice).await, hello);
    assert_eq!(next_line(&bob).await, hello);
    // Carol is not in `lobby`: the first message she gets is the one sent to `side` after it.
    assert_eq!(say(&alice, "side", "psst").await, AckResult::Ok(()));
    assert_eq!(next_line(&carol).await, line("side", "alice", "psst"));
}

#[tokio::test]
async fn message_needs_a_joined_room_and_a_text() {
    let app = app();
    let alice = user(&app, "alice").await;
    assert_eq!(
        say(&alice, "lobby", "hi").await,
        AckResult::Err("join `lobby` first".into())
    );
    join(&alice, "lobby").await.into_result().unwrap();
    let refused = AckResult::Err("a message is 1 to 500 characters".into());
    assert_eq!(say(&alice, "lobby", " ").await, refused);
    assert_eq!(say(&alice, "lobby", &"x".repeat(501)).await, refused);
    assert_eq!(
        say(&alice, "lobby", &"x".repeat(500)).await,
        AckResult::Ok(())
    );
}

#[tokio::test]
async fn leave_tells_the_room_then_stops_its_messages() {
    let app = app();
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    for room in ["lobby", "side"] {
        for c in [&alice, &bob] {
            join(c, room).await.into_result().unwrap();
        }
    }
    for _ in 0..4 {
        next_line(&alice).await;
    }
    for _ in 0..2 {
        next_line(&bob).await;
    }

    // `leave` has no acknowledgement value: the ack is empty.
    let (): () = bob
        .emit_with_ack("leave", &json!({ "room": "lobby" }))
        .await
        .unwrap();
    // The notice goes out before Bob leaves, so he sees it too.
    assert_eq!(next_line(&alice).await, line("lobby", "*", "bob left"));
    assert_eq!(next_line(&bob).await, line("lobby", "*", "bob left"));

    say(&alice, "lobby", "still here?")
        .await
        .into_result()
        .unwrap();
    say(&alice, "side", "here").await.into_result().unwrap();
    // Bob's next message is the one in `side`: the `lobby` one did not reach him.
    assert_eq!(next_line(&bob).await, line("side", "alice", "here"));
    assert_eq!(
        say(&bob, "lobby", "hi").await,
        AckResult::Err("join `lobby` first".into())
    );
}

#[tokio::test]
async fn nick_changes_the_name_on_later_messages() {
    let app = app();
    let alice = user(&app, "alice").await;
    join(&alice, "lobby").await.into_result().unwrap();
    next_line(&alice).await;

    let renamed: AckResult<String> = alice
        .emit_with_ack("nick", &json!({ "nick": "  ada " }))
        .await
        .unwrap();
    assert_eq!(renamed, AckResult::Ok("ada".into()));
    say(&alice, "lobby", "hi").await.into_result().unwrap();
    assert_eq!(next_line(&alice).await, line("lobby", "ada", "hi"));

    let refused: AckResult<String> = alice
        .emit_with_ack("nick", &json!({ "nick": "" }))
        .await
        .unwrap();
    assert_eq!(
        refused,
        AckResult::Err("a nick is 1 to 500 characters".into())
    );
    // The nick is unchanged.
    say(&alice, "lobby", "again").await.into_result().unwrap();
    assert_eq!(next_line(&alice).await, line("lobby", "ada", "again"));
}

#[tokio::test]
async fn connect_takes_the_nick_from_auth_or_says_anonymous() {
    let app = app();
    for (auth, nick) in [
        (json!({ "nick": " bob " }), "bob"),
        (json!({ "nick": "" }), "anonymous"),
        (json!({ "nick": "n".repeat(501) }), "anonymous"),
        (json!({}), "anonymous"),
    ] {
        let client = connect(&app, auth).await;
        join(&client, "lobby").await.into_result().unwrap();
        let joined = format!("{nick} joined");
        assert_eq!(next_line(&client).await, line("lobby", "*", &joined));
    }
    // No auth payload at all.
    let client = TestClient::builder()
        .namespace("/chat")
        .connect_router(app.clone())
        .await
        .unwrap();
    join(&client, "lobby").await.into_result().unwrap();
    assert_eq!(
        next_line(&client).await,
        line("lobby", "*", "anonymous joined")
    );
}

#[tokio::test]
async fn payloads_of_the_wrong_shape_are_not_acknowledged_as_success() {
    let app = app();
    let alice = user(&app, "alice").await;
    // A `join` without a room does not deserialize: the server answers with an error ack.
    let answer: AckResult<String> = alice
        .emit_with_ack("join", &json!({ "name": "x" }))
        .await
        .unwrap();
    let AckResult::Err(error) = answer else {
        panic!("a `join` without a room was accepted: {answer:?}");
    };
    assert!(error.contains("missing field `room`"), "{error}");
}

#[tokio::test]
async fn other_namespaces_are_refused() {
    let app = app();
    let err = TestClient::builder()
        .namespace("/admin")
        .connect_router(app)
        .await
        .unwrap_err();
    let TestError::ConnectRefused(refusal) = err else {
        panic!("{err:?}");
    };
    assert_eq!(refusal.message(), "Invalid namespace");
}
