#![allow(unused)]
use socketio::{EventContext, FromEventParam, ParamError, SocketIo, ViaContext};

/// A custom parameter that implements the connect trait only, used in an event handler.
struct User;

impl socketio::FromConnectParam<ViaContext> for User {
    fn from_connect(_: &socketio::ConnectContext) -> Result<Self, socketio::ConnectParamError> {
        Ok(User)
    }
}

fn main() {
    let io = SocketIo::builder().build().unwrap();
    io.of("/").on("x", async |u: User| ());
}
