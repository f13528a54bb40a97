#![allow(unused)]
use socketio::{EventMiddleware, namespace};

struct Log;
impl EventMiddleware for Log {}

struct Chat;

#[namespace("/chat", register = false, middleware(Log), middleware(Log))]
impl Chat {}

fn main() {}
