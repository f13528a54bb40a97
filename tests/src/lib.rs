//! The one test harness of the workspace: everything the integration suites of `tests/tests/`
//! share. Each suite starts with `use socketio_tests::*;` (or names what it uses).
//!
//! | module | what |
//! |---|---|
//! | [`wait`] | [`within`] (every wait bounded, a hang names what it awaited), [`STEP`], [`next`] |
//! | [`services`] | [`services_required`] (`SOCKETIO_REQUIRE_SERVICES`), [`skip`], [`redis_url`] / [`amqp_url`] (`SOCKETIO_TEST_REDIS_URL` / `SOCKETIO_TEST_AMQP_URL`, loopback defaults), probes, unique names |
//! | [`bed`] | servers under test: the test bed in-process ([`start_testbed`]) or as a process ([`testbed_process`], [`testbed_bin`]), a user's `SocketIo` ([`serve`]) |
//! | [`http`](mod@http) | a raw HTTP/1.1 client ([`http()`], [`http_ok`], [`parse_response`]) |
//! | [`engine`] | the bare Engine.IO layer in-process: [`EchoEngine`] (reports opens and closes, [`EchoEngine::pending_get`]), [`oneshot`] |
//! | [`eio`] | the raw Engine.IO clients: [`Polling`] and [`Ws`] ([`Frame`]) |
//! | [`sio`] | Socket.IO over [`Ws`]: [`Sio`], [`Healthy`], packet helpers |
//! | [`browser`] | [`Browser`]: `node` and headless Chromium for the playwright drivers of `tests/browser/` |
//! | [`proxy`] | a TCP [`Proxy`] that cuts a broker link |
//! | [`interop`] | the official JS / python clients and `tests/py/` scripts ([`clients`], [`run_scenario`], [`python`]) |
//! | [`cluster`] | the cluster scenarios over several servers ([`Peer`]) |
//!
//! Set `SOCKETIO_TEST_ADDR=host:port` to run the [`start_testbed`] suites against an external
//! server (for example the reference Node implementation) instead of the in-process test bed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::PathBuf;

pub mod bed;
pub mod browser;
pub mod cluster;
pub mod eio;
pub mod engine;
pub mod http;
pub mod interop;
pub mod proxy;
pub mod services;
pub mod sio;
pub mod wait;

pub use bed::*;
pub use browser::*;
pub use cluster::*;
pub use eio::*;
pub use engine::*;
pub use http::*;
pub use interop::*;
pub use proxy::*;
pub use services::*;
pub use sio::*;
pub use wait::*;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}
