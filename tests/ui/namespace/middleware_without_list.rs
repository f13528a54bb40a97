#![allow(unused)]
use socketio::namespace;

struct Log;
struct Chat;

#[namespace("/chat", register = false, middleware = Log)]
impl Chat {}

fn main() {}
