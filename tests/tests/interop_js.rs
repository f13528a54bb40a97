//! Interop with the official `socket.io-client` (tests/interop/js/runner.mjs): every
//! behaviour over websocket-only, polling-only and polling→websocket upgrade.

mod interop_common;

scenario_tests!(socketio_tests::Lib::Js;
    connect: [websocket, polling, upgrade],
    reject: [websocket, polling, upgrade],
    echo: [websocket, polling, upgrade],
    echo_chat: [websocket, polling, upgrade],
    request_callback: [websocket, polling, upgrade],
    rooms: [websocket, polling, upgrade],
    disconnect_me: [websocket, polling, upgrade],
    payload: [websocket, polling, upgrade],
    idle: [websocket, polling, upgrade],
    load: [websocket],
    load50: [polling, upgrade],
);
