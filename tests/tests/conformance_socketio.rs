//! Socket.IO v5 conformance (`shared/reference/conformance.md` §3, S1–S14) and the test-bed
//! event contract (`testbed.md`), with a raw websocket client and exact frames.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use serde_json::Value;
use socketio_tests::*;

const PH0: &str = r#"{"_placeholder":true,"num":0}"#;
const PH1: &str = r#"{"_placeholder":true,"num":1}"#;

async fn server() -> TestServer {
    start_testbed(Options::default()).await
}

/// Check a CONNECT reply `40<prefix>{"sid":"…"}` with only `sid`; returns the sid.
fn connect_sid(frame: &str, prefix: &str) -> String {
    let json = frame
        .strip_prefix(&format!("40{prefix}"))
        .unwrap_or_else(|| panic!("expected CONNECT for {prefix:?}, got {frame:?}"));
    let v: serde_json::Map<String, Value> = serde_json::from_str(json).expect("JSON object");
    assert_eq!(v.keys().collect::<Vec<_>>(), ["sid"], "only sid: {frame}");
    v["sid"].as_str().expect("sid string").to_string()
}

#[tokio::test]
async fn s1_connect_main_namespace() {
    let srv = server().await;
    let mut s = Sio::open(srv.addr).await;
    s.ws.send_text("40").await;
    connect_sid(&s.ws.text().await, "");
    assert_eq!(s.ws.text().await, r#"42["auth",{}]"#);
    srv.shutdown().await;
}

#[tokio::test]
async fn s1_connect_main_namespace_over_polling() {
    let srv = server().await;
    let (p, _) = Polling::open(srv.addr, "/socket.io/").await;
    assert_eq!(p.post(b"40").await.text(), "ok");
    let body = p.get_skip_pings().await;
    let mut packets: Vec<String> = body.split('\x1e').map(String::from).collect();
    if packets.len() == 1 {
        packets.push(p.get_skip_pings().await);
    }
    assert_eq!(packets.len(), 2, "CONNECT then auth: {body:?}");
    connect_sid(&packets[0], "");
    assert_eq!(packets[1], r#"42["auth",{}]"#);
    srv.shutdown().await;
}

#[tokio::test]
async fn s2_connect_with_auth() {
    let srv = server().await;
    let mut s = Sio::open(srv.addr).await;
    s.ws.send_text(r#"40{"token":"123"}"#).await;
    connect_sid(&s.ws.text().await, "");
    assert_eq!(s.ws.text().await, r#"42["auth",{"token":"123"}]"#);
    srv.shutdown().await;
}

#[tokio::test]
async fn s3_connect_custom_namespace() {
    let srv = server().await;
    let mut s = Sio::open(srv.addr).await;
    s.ws.send_text("40/custom,").await;
    connect_sid(&s.ws.text().await, "/custom,");
    assert_eq!(s.ws.text().await, r#"42/custom,["auth",{}]"#);
    srv.shutdown().await;
}

#[tokio::test]
async fn s4_connect_custom_namespace_with_auth() {
    let srv = server().await;
    let mut s = Sio::open(srv.addr).await;
    s.ws.send_text(r#"40/custom,{"token":"abc"}"#).await;
    connect_sid(&s.ws.text().await, "/custom,");
    assert_eq!(s.ws.text().await, r#"42/custom,["auth",{"token":"abc"}]"#);
    srv.shutdown().await;
}

#[tokio::test]
async fn s5_unknown_namespace() {
    let srv = server().await;
    let mut s = Sio::open(srv.addr).await;
    s.ws.send_text("40/random").await;
    assert_eq!(
        s.ws.text().await,
        r#"44/random,{"message":"Invalid namespace"}"#
    );
    // The connection itself survives: `/` can still be joined.
    s.join("").await;
    s.assert_alive("after-invalid-namespace").await;
    srv.shutdown().await;
}

#[tokio::test]
async fn s6_invalid_handshake_closes() {
    let srv = server().await;
    let mut s = Sio::open(srv.addr).await;
    s.ws.send_text("4abc").await;
    s.ws.expect_closed(Duration::from_millis(1000), "4abc as first packet")
        .await;
    srv.shutdown().await;
}

#[tokio::test]
async fn s7_no_connect_closes_after_connect_timeout() {
    let srv = server().await;
    let mut s = Sio::open(srv.addr).await;
    // Pings are answered, so only the 1000 ms connect timeout can close it.
    s.ws.expect_closed(Duration::from_millis(2500), "no CONNECT within 1 s")
        .await;
    srv.shutdown().await;
}

#[tokio::test]
async fn s8_disconnect_main_namespace_keeps_the_connection() {
    let srv = server().await;
    let mut s = Sio::connect(srv.addr).await;
    s.ws.send_text("41").await;
    assert_eq!(
        s.ws.text().await,
        "2",
        "nothing but the ping follows a DISCONNECT"
    );
    s.ws.send_text("3").await;
    s.join("").await;
    srv.shutdown().await;
}

#[tokio::test]
async fn s9_namespace_lifecycle_on_one_connection() {
    let srv = server().await;
    let mut s = Sio::connect(srv.addr).await;
    assert_eq!(s.ws.text().await, "2");
    s.ws.send_text("40/custom").await;
    connect_sid(&s.ws.text().await, "/custom,");
    assert_eq!(s.ws.text().await, r#"42/custom,["auth",{}]"#);
    s.ws.send_text("41/custom").await;
    s.ws.send_text(r#"42["message","message to main namespace"]"#)
        .await;
    assert_eq!(
        s.ws.text().await,
        r#"42["message-back","message to main namespace"]"#
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn s10_event() {
    let srv = server().await;
    let mut s = Sio::connect(srv.addr).await;
    s.ws.send_text(r#"42["message",1,"2",{"3":[true]}]"#).await;
    assert_eq!(
        s.ws.text().await,
        r#"42["message-back",1,"2",{"3":[true]}]"#
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn s11_binary_event() {
    let srv = server().await;
    let mut s = Sio::connect(srv.addr).await;
    s.ws.send_text(&format!(r#"452-["message",{PH0},{PH1}]"#))
        .await;
    s.ws.send_binary(&[1, 2, 3]).await;
    s.ws.send_binary(&[4, 5, 6]).await;
    assert_eq!(
        s.ws.recv().await,
        Frame::Text(format!(r#"452-["message-back",{PH0},{PH1}]"#))
    );
    assert_eq!(s.ws.recv().await, Frame::Binary(vec![1, 2, 3]));
    assert_eq!(s.ws.recv().await, Frame::Binary(vec![4, 5, 6]));
    srv.shutdown().await;
}

#[tokio::test]
async fn s12_ack() {
    let srv = server().await;
    let mut s = Sio::connect(srv.addr).await;
    s.ws.send_text(r#"42456["message-with-ack",1,"2",{"3":[false]}]"#)
        .await;
    assert_eq!(s.ws.text().await, r#"43456[1,"2",{"3":[false]}]"#);
    srv.shutdown().await;
}

#[tokio::test]
async fn s13_binary_ack() {
    let srv = server().await;
    let mut s = Sio::connect(srv.addr).await;
    s.ws.send_text(&format!(r#"452-789["message-with-ack",{PH0},{PH1}]"#))
        .await;
    s.ws.send_binary(&[1, 2, 3]).await;
    s.ws.send_binary(&[4, 5, 6]).await;
    assert_eq!(
        s.ws.recv().await,
        Frame::Text(format!(r#"462-789[{PH0},{PH1}]"#))
    );
    assert_eq!(s.ws.recv().await, Frame::Binary(vec![1, 2, 3]));
    assert_eq!(s.ws.recv().await, Frame::Binary(vec![4, 5, 6]));
    srv.shutdown().await;
}

#[tokio::test]
async fn s14_invalid_packets_close_the_connection() {
    let srv = server().await;
    for bad in ["4abc", "42{}", r#"42abc["message-with-ack"]"#] {
        let mut s = Sio::connect(srv.addr).await;
        s.ws.send_text(bad).await;
        s.ws.expect_closed(Duration::from_millis(1000), bad).await;
    }
    srv.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Test-bed contract, raw frames
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn chat_requires_the_token_and_greets_with_its_sid() {
    let srv = server().await;
    let mut s = Sio::open(srv.addr).await;
    s.ws.send_text(r#"40/chat,{"token":"nope"}"#).await;
    assert_eq!(
        s.ws.recv_text().await,
        r#"44/chat,{"message":"unauthorized","data":{"reason":"bad token"}}"#
    );
    s.ws.send_text("40/chat,").await;
    assert_eq!(
        s.ws.recv_text().await,
        r#"44/chat,{"message":"unauthorized","data":{"reason":"bad token"}}"#
    );
    s.ws.send_text(r#"40/chat,{"token":"secret"}"#).await;
    let sid = connect_sid(&s.ws.recv_text().await, "/chat,");
    assert_eq!(
        s.ws.recv_text().await,
        format!(r#"42/chat,["welcome",{{"sid":"{sid}"}}]"#)
    );
    s.ws.send_text(r#"42/chat,7["echo",1,[2],{"x":null}]"#)
        .await;
    let mut ack = s.ws.recv_text().await;
    while ack.starts_with(r#"42/chat,["all""#) {
        // a broadcast of the rooms test, when both run on one external server
        ack = s.ws.recv_text().await;
    }
    assert_eq!(ack, r#"43/chat,7[1,[2],{"x":null}]"#);
    srv.shutdown().await;
}

#[tokio::test]
async fn echo_keeps_multiple_values_and_nested_binary() {
    let srv = server().await;
    let mut s = Sio::connect(srv.addr).await;
    s.ws.send_text(r#"421["echo"]"#).await;
    assert_eq!(s.ws.recv_text().await, "431[]");
    s.ws.send_text(r#"422["echo",null,true,"é☃😀",-1.5]"#).await;
    assert_eq!(s.ws.recv_text().await, r#"432[null,true,"é☃😀",-1.5]"#);
    s.ws.send_text(&format!(r#"451-3["echo",{{"a":[{PH0}]}}]"#))
        .await;
    s.ws.send_binary(&[0, 255]).await;
    assert_eq!(
        s.ws.recv().await,
        Frame::Text(format!(r#"461-3[{{"a":[{PH0}]}}]"#))
    );
    assert_eq!(s.ws.recv().await, Frame::Binary(vec![0, 255]));
    // No ack id, no ack: the next frame answers the next request.
    s.ws.send_text(r#"42["echo","no-ack"]"#).await;
    s.ws.send_text(r#"42["message","after"]"#).await;
    assert_eq!(s.ws.recv_text().await, r#"42["message-back","after"]"#);
    srv.shutdown().await;
}

/// Broadcasts go to every socket of the namespace, so this is the only test that uses
/// `/chat` for them (tests share an external server when `SOCKETIO_TEST_ADDR` is set).
#[tokio::test]
async fn rooms_to_room_skips_the_sender_and_broadcast_includes_it() {
    let srv = server().await;
    let mut a = Sio::open(srv.addr).await;
    let mut b = Sio::open(srv.addr).await;
    let mut c = Sio::open(srv.addr).await;
    let mut other = Sio::open(srv.addr).await;
    for s in [&mut a, &mut b, &mut c] {
        s.join_chat().await;
    }
    other.join("/custom").await;
    for (s, id) in [(&mut a, 1), (&mut b, 2)] {
        s.ws.send_text(&format!(r#"42/chat,{id}["join",{{"room":"r1"}}]"#))
            .await;
        assert_eq!(s.ws.recv_text().await, format!("43/chat,{id}[true]"));
    }
    a.ws.send_text(r#"42/chat,3["to_room",{"room":"r1","event":"hi","data":{"n":1}}]"#)
        .await;
    assert_eq!(a.ws.recv_text().await, "43/chat,3[true]");
    assert_eq!(b.ws.recv_text().await, r#"42/chat,["hi",{"n":1}]"#);
    b.ws.send_text(r#"42/chat,4["leave",{"room":"r1"}]"#).await;
    assert_eq!(b.ws.recv_text().await, "43/chat,4[true]");
    a.ws.send_text(r#"42/chat,5["to_room",{"room":"r1","event":"hi","data":2}]"#)
        .await;
    assert_eq!(a.ws.recv_text().await, "43/chat,5[true]");
    // The broadcast is queued after anything the to_room could have sent: if b or c had got
    // `hi` it would come before `all`. The sender gets the broadcast before its ack.
    a.ws.send_text(r#"42/chat,6["broadcast",{"event":"all","data":[1]}]"#)
        .await;
    assert_eq!(a.ws.recv_text().await, r#"42/chat,["all",[1]]"#);
    assert_eq!(a.ws.recv_text().await, "43/chat,6[true]");
    assert_eq!(b.ws.recv_text().await, r#"42/chat,["all",[1]]"#);
    assert_eq!(c.ws.recv_text().await, r#"42/chat,["all",[1]]"#);
    // `other` is only in /custom: its next frame answers its own request.
    other.ws.send_text(r#"42/custom,["message","mine"]"#).await;
    assert_eq!(
        other.ws.recv_text().await,
        r#"42/custom,["message-back","mine"]"#
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn request_callback_round_trip() {
    let srv = server().await;
    let mut s = Sio::connect(srv.addr).await;
    s.ws.send_text(r#"42["request_callback",1,{"q":"?"}]"#)
        .await;
    let ask = s.ws.recv_text().await;
    let rest = ask.strip_prefix("42").expect("EVENT");
    let (id, json) = rest.split_at(rest.find('[').expect("array"));
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "ask requests an ack: {ask}"
    );
    assert_eq!(json, r#"["ask",1,{"q":"?"}]"#);
    s.ws.send_text(&format!(r#"43{id}["yes",2]"#)).await;
    assert_eq!(s.ws.recv_text().await, r#"42["answer","yes",2]"#);
    srv.shutdown().await;
}

#[tokio::test]
async fn disconnect_me_leaves_the_other_namespaces_connected() {
    let srv = server().await;
    let mut s = Sio::connect(srv.addr).await;
    s.join("/custom").await;
    s.ws.send_text(r#"42/custom,["disconnect_me"]"#).await;
    assert_eq!(s.ws.recv_text().await, "41/custom,");
    s.assert_alive("main-still-connected").await;
    srv.shutdown().await;
}
