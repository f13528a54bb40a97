#![allow(unused)]
use socketio::{EventContext, FromEventParam, ParamError, SocketIo, ViaContext};

/// A custom parameter that implements the connect trait only, used in an event handler.
struct User;

impl socketio::FromConnectParam<ViaContext> for User {
    fn from_connect(_: &socketio::ConnectContext) -> Result<Self, socketio::ConnectParamError> {
        Ok(User)
    }
}

// A named `async fn`, not a closure: rustc names a closure's type by its absolute path, and
// how it lays out a message that long depends on where the repository is checked out.
async fn on_x(u: User) {}

fn main() {
    let io = SocketIo::builder().build().unwrap();
    io.of("/").on("x", on_x);
}
