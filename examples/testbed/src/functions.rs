//! The test-bed behaviour written with the function-style API (`TESTBED_HANDLERS=functions`),
//! kept beside the `#[namespace]` version (`namespaces.rs`) to compare their cost.

use std::time::Duration;

use socketio::{Args, Handshake, Namespace, Socket, SocketIo};

use crate::shared::{Broadcast, CallSid, RoomArg, SidArg, ToRoom, chat_connect, greet_with_auth};

/// Register the namespaces `/`, `/custom` and `/chat` with their handlers.
pub fn register(io: &SocketIo) {
    for path in ["/", "/custom"] {
        let ns = io.of(path);
        ns.on_connect(async |socket: Socket, hs: Handshake| greet_with_auth(&socket, &hs));
        events(&ns);
    }
    let chat = io.of("/chat");
    chat.on_connect(async |socket: Socket, hs: Handshake| chat_connect(&socket, &hs));
    events(&chat);
}

fn events(ns: &Namespace) {
    ns.on("echo", async |args: Args| args);
    ns.on("message-with-ack", async |args: Args| args);
    ns.on("message", async |socket: Socket, args: Args| {
        socket.emit("message-back", &args).ok();
    });
    ns.on("join", async |socket: Socket, arg: RoomArg| {
        // The contract acks `true` either way.
        socket.join(arg.room).ok();
        true
    });
    ns.on("leave", async |socket: Socket, arg: RoomArg| {
        socket.leave(&arg.room);
        true
    });
    ns.on("to_room", async |socket: Socket, arg: ToRoom| {
        socket.to(arg.room).emit(&arg.event, &arg.data).ok();
        true
    });
    ns.on("broadcast", async |ns: Namespace, arg: Broadcast| {
        ns.emit(&arg.event, &arg.data).ok();
        true
    });
    ns.on("request_callback", async |socket: Socket, args: Args| {
        if let Ok(answer) = socket.emit_with_ack("ask", &args) {
            tokio::spawn(async move {
                if let Ok(reply) = answer.await {
                    socket.emit("answer", reply.args()).ok();
                }
            });
        }
    });
    ns.on("disconnect_me", async |socket: Socket| {
        socket.disconnect();
    });
    ns.on("disconnect_sid", async |ns: Namespace, arg: SidArg| {
        // Published to the cluster when the socket is on another server.
        ns.disconnect(&arg.sid);
        true
    });
    ns.on("call_sid", async |ns: Namespace, arg: CallSid| -> Args {
        // The socket may live on another server of the cluster: the answer is routed back.
        let Ok(answer) = ns.emit_with_ack_to(&arg.sid, "ask", &arg.data) else {
            return Args::default();
        };
        match tokio::time::timeout(Duration::from_secs(5), answer).await {
            Ok(Ok(reply)) => reply.0,
            _ => Args::default(),
        }
    });
}
