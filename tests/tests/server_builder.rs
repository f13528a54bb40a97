//! `SocketIoBuilder`: a method for every `ServerConfig` and `EngineConfig` field, and the
//! order rule between `config(..)` and those methods (call order, the later call wins).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::Duration;

use socketio::engine::{Cookie, Cors, EngineConfig};
use socketio::{RateLimit, ServerConfig, SocketIo};

fn base() -> ServerConfig {
    let mut c = ServerConfig::default();
    c.max_rooms_per_socket = 7;
    c.engine.max_poll_packets = 3;
    c
}

#[test]
fn setters_after_config_apply_on_top_of_it() {
    let io = SocketIo::builder()
        .config(base())
        .max_room_name_len(9)
        .max_poll_bytes(11)
        .build()
        .unwrap();
    let c = io.config();
    // What `config` set stays, what came after it is added.
    assert_eq!(c.max_rooms_per_socket, 7);
    assert_eq!(c.engine.max_poll_packets, 3);
    assert_eq!(c.max_room_name_len, 9);
    assert_eq!(c.engine.max_poll_bytes, 11);
}

#[test]
fn config_replaces_what_setters_set_before_it() {
    let io = SocketIo::builder()
        .max_room_name_len(9)
        .engine(|e| e.max_poll_bytes = 11)
        .config(base())
        .build()
        .unwrap();
    let c = io.config();
    let d = ServerConfig::default();
    assert_eq!(c.max_rooms_per_socket, 7);
    assert_eq!(c.engine.max_poll_packets, 3);
    assert_eq!(c.max_room_name_len, d.max_room_name_len);
    assert_eq!(c.engine.max_poll_bytes, d.engine.max_poll_bytes);
}

#[test]
fn the_later_of_two_setters_wins() {
    let io = SocketIo::builder()
        .max_pending_acks(1)
        .max_pending_acks(2)
        .build()
        .unwrap();
    assert_eq!(io.config().max_pending_acks, 2);
}

#[test]
fn every_server_field_has_a_builder_method() {
    let io = SocketIo::builder()
        .path("/x/")
        .connect_timeout(Duration::from_secs(1))
        .max_attachments(2)
        .max_pending_acks(3)
        .max_queued_events(4)
        .max_queued_event_bytes(5)
        .rate_limit(RateLimit::default())
        .always_connect(true)
        .accept_any_namespace(true)
        .concurrent_handlers(true)
        .max_rooms_per_socket(6)
        .max_room_name_len(7)
        .reserve_sid_rooms(false)
        .max_namespaces_per_connection(8)
        .remote_ack_timeout(Duration::from_secs(9))
        .build()
        .unwrap();
    let c = io.config();
    assert_eq!(c.path, "/x/");
    assert_eq!(c.connect_timeout, Duration::from_secs(1));
    assert_eq!(c.max_attachments, 2);
    assert_eq!(c.max_pending_acks, 3);
    assert_eq!(c.max_queued_events, 4);
    assert_eq!(c.max_queued_event_bytes, 5);
    assert!(c.rate_limit.is_some());
    assert!(c.always_connect);
    assert!(c.accept_any_namespace);
    assert!(c.concurrent_handlers);
    assert_eq!(c.max_rooms_per_socket, 6);
    assert_eq!(c.max_room_name_len, 7);
    assert!(!c.reserve_sid_rooms);
    assert_eq!(c.max_namespaces_per_connection, 8);
    assert_eq!(c.remote_ack_timeout, Duration::from_secs(9));

    let io = SocketIo::builder().rate_limit(None).build().unwrap();
    assert!(io.config().rate_limit.is_none());
}

#[test]
fn every_engine_field_has_a_builder_method() {
    let header = http::HeaderName::from_static("x-real-ip");
    let io = SocketIo::builder()
        .ping_interval(Duration::from_secs(1))
        .ping_timeout(Duration::from_secs(2))
        .max_payload(3)
        .upgrade_timeout(Duration::from_secs(4))
        .polling(false)
        .websocket(true)
        .allow_upgrades(false)
        .cookie(Cookie::default())
        .cors(Cors::Disabled)
        .cors_credentials(false)
        .compression_threshold(None)
        .max_buffered_bytes(5)
        .max_buffered_frames(6)
        .max_poll_packets(7)
        .max_poll_bytes(8)
        .request_body_timeout(Duration::from_secs(9))
        .ws_read_buffer(10)
        .ws_write_buffer(11)
        .max_connections(12)
        .max_connections_per_ip(13)
        .trusted_proxy_header(header.clone())
        .ws_per_message_deflate(14)
        .build()
        .unwrap();
    let e = &io.config().engine;
    assert_eq!(e.ping_interval, Duration::from_secs(1));
    assert_eq!(e.ping_timeout, Duration::from_secs(2));
    assert_eq!(e.max_payload, 3);
    assert_eq!(e.upgrade_timeout, Duration::from_secs(4));
    assert!(!e.polling);
    assert!(e.websocket);
    assert!(!e.allow_upgrades);
    assert_eq!(e.cookie.as_ref().unwrap().name, "io");
    assert!(matches!(e.cors, Cors::Disabled));
    assert!(!e.cors_credentials);
    assert_eq!(e.compression_threshold, None);
    assert_eq!(e.max_buffered_bytes, 5);
    assert_eq!(e.max_buffered_frames, 6);
    assert_eq!(e.max_poll_packets, 7);
    assert_eq!(e.max_poll_bytes, 8);
    assert_eq!(e.request_body_timeout, Duration::from_secs(9));
    assert_eq!(e.ws_read_buffer, 10);
    assert_eq!(e.ws_write_buffer, 11);
    assert_eq!(e.max_connections, Some(12));
    assert_eq!(e.max_connections_per_ip, Some(13));
    assert_eq!(e.trusted_proxy_header, Some(header));
    assert_eq!(e.ws_per_message_deflate, Some(14));
    assert_eq!(EngineConfig::default().ws_per_message_deflate, None);

    // Optional settings can be switched back off.
    let io = SocketIo::builder()
        .max_connections(12)
        .max_connections(None)
        .compression_threshold(64)
        .ws_per_message_deflate(1024)
        .ws_per_message_deflate(None)
        .build()
        .unwrap();
    assert_eq!(io.config().engine.max_connections, None);
    assert_eq!(io.config().engine.ws_per_message_deflate, None);
    assert_eq!(io.config().engine.compression_threshold, Some(64));
}
