//! Interop with the official python-socketio clients (tests/interop/py/runner.py): the
//! asyncio `AsyncClient` and the threaded `Client`, over websocket-only, polling-only and
//! polling→websocket upgrade.

mod interop_common;

mod asyncio {
    crate::scenario_tests!(socketio_tests::Lib::PyAsync;
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
        load50: [polling],
    );
}

mod sync {
    crate::scenario_tests!(socketio_tests::Lib::PySync;
        connect: [websocket, polling, upgrade],
        reject: [websocket, polling, upgrade],
        echo: [websocket, polling, upgrade],
        request_callback: [websocket, polling, upgrade],
        rooms: [websocket, polling, upgrade],
        disconnect_me: [websocket, polling, upgrade],
        // The threaded client does not report the server's close of an oversized websocket
        // message (its read loop never fires `disconnect`, also against the Node reference).
        payload: [polling],
        idle: [websocket, polling, upgrade],
    );
}
