//! Interop with the official python-socketio clients (tests/py/client_runner.py): the
//! asyncio `AsyncClient` and the threaded `Client`, over websocket-only, polling-only and
//! polling→websocket upgrade, with the default serializer and (modules `msgpack`) with
//! `serializer='msgpack'` against the test bed's `PARSER=msgpack`.

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

    mod msgpack {
        crate::scenario_tests!(socketio_tests::Lib::PyAsync, Msgpack;
            connect: [websocket, polling, upgrade],
            reject: [websocket, polling, upgrade],
            echo: [websocket, polling, upgrade],
            echo_chat: [websocket, polling, upgrade],
            request_callback: [websocket, polling, upgrade],
            rooms: [websocket, polling, upgrade],
            disconnect_me: [websocket, polling, upgrade],
        );
    }
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

    mod msgpack {
        crate::scenario_tests!(socketio_tests::Lib::PySync, Msgpack;
            connect: [websocket, polling, upgrade],
            reject: [websocket, polling, upgrade],
            echo: [websocket, polling, upgrade],
            request_callback: [websocket, polling, upgrade],
            rooms: [websocket, polling, upgrade],
            disconnect_me: [websocket, polling, upgrade],
        );
    }
}
