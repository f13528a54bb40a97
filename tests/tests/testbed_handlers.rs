//! The test bed is written twice, with `#[namespace]` impl blocks (the default) and with the
//! function-style API (`TESTBED_HANDLERS=functions`, kept to compare their cost). The other
//! suites run the default; this one runs the same exchanges, byte for byte, on both.

use socketio_tests::{Frame, Sio, start_testbed};
use testbed::{Handlers, Options};

async fn exchanges(handlers: Handlers) {
    let server = start_testbed(Options {
        handlers,
        ..Options::default()
    })
    .await;
    let mut a = Sio::open(server.addr).await;
    // Greeting with the auth payload verbatim, on `/` and `/custom`.
    a.ws.send_text(r#"40{"z":1,"a":[true]}"#).await;
    assert!(a.ws.recv_text().await.starts_with("40{\"sid\":"));
    assert_eq!(a.ws.recv_text().await, r#"42["auth",{"z":1,"a":[true]}]"#);
    a.join("/custom").await;
    // `/chat` refuses a bad token with message and data, and greets a good one.
    a.ws.send_text(r#"40/chat,{"token":"nope"}"#).await;
    assert_eq!(
        a.ws.recv_text().await,
        r#"44/chat,{"message":"unauthorized","data":{"reason":"bad token"}}"#
    );
    a.join_chat().await;
    // Echo keeps several values and binary.
    a.ws.send_text(r#"451-7["echo",1,{"b":{"_placeholder":true,"num":0}},"x"]"#)
        .await;
    a.ws.send_binary(&[9, 8, 7]).await;
    assert_eq!(
        a.ws.recv_text().await,
        r#"461-7[1,{"b":{"_placeholder":true,"num":0}},"x"]"#
    );
    assert_eq!(a.ws.recv().await, Frame::Binary(vec![9, 8, 7]));
    // Rooms: `to_room` skips the sender; `broadcast` includes it, before its ack.
    let mut b = Sio::connect(server.addr).await;
    for s in [&mut a, &mut b] {
        s.ws.send_text(r#"421["join",{"room":"r"}]"#).await;
        assert_eq!(s.ws.recv_text().await, "431[true]");
    }
    a.ws.send_text(r#"422["to_room",{"room":"r","event":"hey","data":[1]}]"#)
        .await;
    assert_eq!(a.ws.recv_text().await, "432[true]");
    assert_eq!(b.ws.recv_text().await, r#"42["hey",[1]]"#);
    a.ws.send_text(r#"423["broadcast",{"event":"all","data":"d"}]"#)
        .await;
    assert_eq!(a.ws.recv_text().await, r#"42["all","d"]"#);
    assert_eq!(a.ws.recv_text().await, "433[true]");
    assert_eq!(b.ws.recv_text().await, r#"42["all","d"]"#);
    // Server-to-client callback, then `answer` with the client's values.
    a.ws.send_text(r#"42["request_callback",5,"q"]"#).await;
    let ask = a.ws.recv_text().await;
    let id = ask
        .strip_prefix("42")
        .and_then(|r| r.strip_suffix(r#"["ask",5,"q"]"#))
        .unwrap_or_else(|| panic!("ask: {ask}"));
    a.ws.send_text(&format!(r#"43{id}["ok",2]"#)).await;
    assert_eq!(a.ws.recv_text().await, r#"42["answer","ok",2]"#);
    // `disconnect_me` leaves `/` and keeps the connection.
    b.ws.send_text(r#"42["disconnect_me"]"#).await;
    assert_eq!(b.ws.recv_text().await, "41");
    server.shutdown().await;
}

#[tokio::test]
async fn namespaces_behave_as_the_contract_says() {
    exchanges(Handlers::Namespaces).await;
}

#[tokio::test]
async fn functions_behave_the_same() {
    exchanges(Handlers::Functions).await;
}
