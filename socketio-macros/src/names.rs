//! Names shared by the macros: reserved events, context parameter types.

/// Event names a client cannot emit (Socket.IO's `RESERVED_EVENTS` plus `disconnecting`).
pub(crate) const RESERVED_EVENTS: &[&str] = &[
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Last path segments of the runtime's context parameter types: a parameter of one of these
/// types is not a payload, so a bare `#[on]` skips it when looking for the event type.
pub(crate) const CONTEXT_TYPES: &[&str] = &[
    "Socket",
    "State",
    "SocketIo",
    "AckSender",
    "EventName",
    "Handshake",
    "DisconnectReason",
    "Rest",
    "Args",
];

/// The teaching message for a reserved event name used as an event.
pub(crate) fn reserved_event_message(name: &str, in_on: bool) -> Option<String> {
    if !RESERVED_EVENTS.contains(&name) {
        return None;
    }
    let fix = match (name, in_on) {
        ("connect", true) => {
            "use `#[on(connect)]` (no quotes) for the connection handler".to_owned()
        }
        ("disconnect", true) => {
            "use `#[on(disconnect)]` (no quotes) for the disconnection handler".to_owned()
        }
        _ => "clients cannot emit it; pick another event name".to_owned(),
    };
    Some(format!("`{name}` is a reserved event name: {fix}"))
}

/// Default path of the runtime crate in generated code.
pub(crate) fn default_crate_path() -> syn::Path {
    syn::parse_quote!(::socketio)
}
