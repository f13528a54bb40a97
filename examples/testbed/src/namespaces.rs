//! The test-bed behaviour (`../shared/reference/testbed.md`) as `#[namespace]` impl blocks:
//! `/`, `/custom` and `/chat` handle the same events and differ in their connect method.

use std::time::Duration;

use socketio::{Args, ConnectError, Handshake, Namespace, Socket, namespace};

use crate::shared::{Broadcast, CallSid, RoomArg, SidArg, ToRoom, chat_connect, greet_with_auth};

/// The events every test-bed namespace handles, around the namespace's own connect method.
macro_rules! testbed_namespace {
    ($ty:ident, $path:literal, { $($connect:tt)* }) => {
        #[doc = concat!("The test-bed namespace `", $path, "`.")]
        #[derive(Default)]
        pub struct $ty;

        #[namespace($path, register = false)]
        impl $ty {
            $($connect)*

            #[on("echo")]
            fn echo(&self, args: Args) -> Args {
                args
            }

            #[on("message-with-ack")]
            fn message_with_ack(&self, args: Args) -> Args {
                args
            }

            #[on("message")]
            fn message(&self, socket: Socket, args: Args) {
                socket.emit("message-back", &args).ok();
            }

            #[on("join")]
            fn join(&self, socket: Socket, arg: RoomArg) -> bool {
                // The contract acks `true` either way.
                socket.join(arg.room).ok();
                true
            }

            #[on("leave")]
            fn leave(&self, socket: Socket, arg: RoomArg) -> bool {
                socket.leave(&arg.room);
                true
            }

            #[on("to_room")]
            fn to_room(&self, socket: Socket, arg: ToRoom) -> bool {
                socket.to(arg.room).emit(&arg.event, &arg.data).ok();
                true
            }

            #[on("broadcast")]
            fn broadcast(&self, ns: Namespace, arg: Broadcast) -> bool {
                ns.emit(&arg.event, &arg.data).ok();
                true
            }

            #[on("request_callback")]
            fn request_callback(&self, socket: Socket, args: Args) {
                if let Ok(answer) = socket.emit_with_ack("ask", &args) {
                    tokio::spawn(async move {
                        if let Ok(reply) = answer.await {
                            socket.emit("answer", reply.args()).ok();
                        }
                    });
                }
            }

            #[on("disconnect_me")]
            fn disconnect_me(&self, socket: Socket) {
                socket.disconnect();
            }

            /// Published to the cluster when the socket is on another server.
            #[on("disconnect_sid")]
            fn disconnect_sid(&self, ns: Namespace, arg: SidArg) -> bool {
                ns.disconnect(&arg.sid);
                true
            }

            /// The socket may live on another server of the cluster: the answer is routed back.
            #[on("call_sid")]
            async fn call_sid(&self, ns: Namespace, arg: CallSid) -> Args {
                let Ok(answer) = ns.emit_with_ack_to(&arg.sid, "ask", &arg.data) else {
                    return Args::default();
                };
                match tokio::time::timeout(Duration::from_secs(5), answer).await {
                    Ok(Ok(reply)) => reply.0,
                    _ => Args::default(),
                }
            }
        }
    };
}

testbed_namespace!(Main, "/", {
    #[on(connect)]
    fn connect(&self, socket: Socket, hs: Handshake) {
        greet_with_auth(&socket, &hs);
    }
});

testbed_namespace!(Custom, "/custom", {
    #[on(connect)]
    fn connect(&self, socket: Socket, hs: Handshake) {
        greet_with_auth(&socket, &hs);
    }
});

testbed_namespace!(Chat, "/chat", {
    /// Requires the auth `{"token": "secret"}`, then greets with `welcome` `{"sid"}`.
    #[on(connect)]
    fn connect(&self, socket: Socket, hs: Handshake) -> Result<(), ConnectError> {
        chat_connect(&socket, &hs)
    }
});
