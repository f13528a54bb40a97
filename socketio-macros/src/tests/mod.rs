//! Expansion snapshot tests: each case expands a macro input, formats the output with
//! `prettyplease` and compares it with `snapshots/<case>.rs`. A change to the generated code
//! shows up as a reviewable diff of those files. Run with `UPDATE_SNAPSHOTS=1` to rewrite them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proc_macro2::TokenStream;
use quote::quote;
use std::path::PathBuf;

fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens.clone())
        .unwrap_or_else(|error| panic!("expansion is not a valid file ({error}):\n{tokens}"));
    prettyplease::unparse(&file)
}

fn assert_snapshot(name: &str, actual: &str) {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "snapshots",
        &format!("{name}.rs"),
    ]
    .iter()
    .collect();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read snapshot {} ({error}); run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let first_difference = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "expansion differs from {} from line {}; review and rerun with UPDATE_SNAPSHOTS=1\n\
             ---- expected\n{expected}\n---- actual\n{actual}",
            path.display(),
            first_difference + 1,
        );
    }
}

fn expand_namespace(args: TokenStream, item: TokenStream, inventory: bool) -> String {
    pretty(crate::namespace::namespace(args, item, inventory, false))
}

/// `emits(..)`: one `Emits<T>` marker impl per declared payload type, next to the
/// registration.
#[test]
fn declared_emits() {
    let item = quote! {
        impl Chat {
            #[on("join")]
            fn join(&self, socket: Socket, room: String) {}
        }
    };
    let output = expand_namespace(
        quote!("/chat", emits(ChatMessage, events::UserJoined, List<u32>)),
        item,
        true,
    );
    for ty in ["ChatMessage", "events::UserJoined", "List<u32>"] {
        assert!(
            output.contains(&format!(
                "impl ::socketio::__private::Emits<{ty}> for Chat {{"
            )),
            "{output}"
        );
    }
    assert_snapshot("declared_emits", &output);
}

/// The `typescript` feature: the `Describe` impl (every event with its parameters probed by
/// type, the ack read from the return type, the connect auth, the emits) and its inventory
/// submission.
#[test]
fn typescript_contract() {
    let item = quote! {
        impl Chat {
            #[on(connect)]
            fn connect(&self, socket: Socket, auth: Hello) {}

            #[on("join")]
            fn join(&self, socket: Socket, room: String) -> Result<String, String> {
                Ok(room)
            }

            #[on(Say)]
            #[cfg(feature = "say")]
            async fn say(&self, say: Say, rest: Rest<u8>) -> (u8, bool) {
                (0, true)
            }

            #[on("*")]
            fn any(&self, event: EventName) {}

            #[on(disconnect)]
            fn disconnect(&self) {}
        }
    };
    let output = pretty(crate::namespace::namespace(
        quote!("/chat", emits(Line)),
        item,
        true,
        true,
    ));
    assert!(output.contains("impl ::socketio::__private::ts::Describe for Chat"));
    assert!(output.contains("ContractEntry"));
    assert_snapshot("typescript_contract", &output);
}

/// The representative namespace: connect with auth, disconnect, sync and async events,
/// catch-all, a `#[cfg]`'d method, an `#[on(Type)]` with an `Event` type, an ordinary method.
#[test]
fn chat_namespace() {
    let item = quote! {
        impl Chat {
            /// Accepts the connection if the token is right.
            #[on(connect)]
            async fn connect(&self, socket: Socket, auth: Option<Auth>) -> Result<(), ConnectError> {
                self.check(auth)
            }

            #[on(disconnect)]
            fn disconnect(&self, socket: Socket, reason: DisconnectReason) {}

            #[on("message")]
            fn message(&self, socket: Socket, text: String) -> String {
                text
            }

            #[on("join")]
            async fn join(&self, socket: Socket, State(rooms): State<Rooms>, room: String, ack: AckSender) {}

            #[on("*")]
            async fn any(&self, event: EventName, args: Rest) {}

            #[cfg(feature = "admin")]
            #[on("admin")]
            fn admin(&self, socket: Socket) -> (u32, String) {
                (1, String::new())
            }

            #[on(ChatMessage)]
            async fn typed(&self, socket: Socket, message: ChatMessage) -> usize {
                0
            }

            fn check(&self, auth: Option<Auth>) -> Result<(), ConnectError> {
                Ok(())
            }
        }
    };
    let output = expand_namespace(quote!("/chat"), item, true);
    assert_snapshot("chat_namespace", &output);
}

/// `crate = ..` and `register = false`: no inventory submission, no `Default` assertion.
#[test]
fn custom_crate_without_registration() {
    let item = quote! {
        impl Admin {
            #[on("upload")]
            fn upload(&self, data: bytes::Bytes) -> usize {
                data.len()
            }
        }
    };
    let output = expand_namespace(
        quote!("/admin", crate = crate::rt, register = false),
        item,
        true,
    );
    assert!(!output.contains("inventory"));
    assert_snapshot("custom_crate_without_registration", &output);
}

/// The catch-all namespace, built without the `inventory` feature: auto-registration is an
/// error that says how to fix it.
#[test]
fn catch_all_namespace_without_inventory() {
    let item = quote! {
        impl Fallback {
            #[on("*")]
            fn any(&self, namespace: Namespace, event: EventName) {}
        }
    };
    let output = expand_namespace(quote!("*"), item, false);
    assert!(output.contains("compile_error"));
    assert_snapshot("catch_all_namespace_without_inventory", &output);
}

/// Errors: the user's item comes out without helper attributes, with every error, and no
/// generated code.
#[test]
fn errors_keep_the_item_and_generate_nothing() {
    let item = quote! {
        impl<T> Broken<T> {
            #[on("connect")]
            fn a(&mut self) {}

            #[on("b")]
            fn b(self) {}

            #[on("b")]
            fn b2(x: u8) {}

            fn helper(&self) {}
        }
    };
    let output = expand_namespace(quote!("chat"), item, true);
    assert!(
        !output
            .lines()
            .any(|line| line.trim_start().starts_with("#[on")),
        "helper attributes are stripped:\n{output}"
    );
    assert!(
        !output.contains("NamespaceClass"),
        "nothing generated:\n{output}"
    );
    // path, generic impl, reserved name, `&mut self`, `self`, no receiver, duplicate (2)
    assert_eq!(output.matches("compile_error!").count(), 8, "{output}");
    assert!(output.contains("fn helper(&self) {}"));
    assert_snapshot("errors_keep_the_item", &output);
}

/// The event type is the one named in the attribute, whatever the parameters' names: user
/// types called like context types (`State`, `Socket`, `Args`) are payloads or plain
/// arguments, each read through `event_param` like every other parameter.
#[test]
fn event_type_comes_from_the_attribute_not_the_parameters() {
    let item = quote! {
        impl Game {
            #[on(State)]
            fn state(&self, state: State) {}

            #[on(user::Socket)]
            fn socket(&self, args: Args, socket: user::Socket) {}

            #[on(Ping)]
            fn ping(&self) {}
        }
    };
    let output = expand_namespace(quote!("/game", register = false), item, true);
    for expected in [
        "event_name::<State>()",
        "event_name::<user::Socket>()",
        "event_name::<Ping>()",
        "event_param::<_, State>()",
        "event_param::<_, Args>()",
        "event_param::<_, user::Socket>()",
    ] {
        assert!(output.contains(expected), "{expected} in:\n{output}");
    }
    assert_snapshot("event_type_from_the_attribute", &output);
}

/// Which form of `#[on(..)]` is which, decided by syntax alone.
#[test]
fn on_argument_forms() {
    let kind = |attr: syn::Attribute| {
        let mut errors = crate::errors::Errors::default();
        let args = crate::on::parse_on_attr(&attr, &mut errors);
        let errors = errors.into_compile_errors().to_string();
        match args {
            Some(crate::on::OnArgs::Event(lit)) => format!("event {}", lit.value()),
            Some(crate::on::OnArgs::Any(_)) => "any".to_owned(),
            Some(crate::on::OnArgs::Connect(_)) => "connect".to_owned(),
            Some(crate::on::OnArgs::Disconnect(_)) => "disconnect".to_owned(),
            Some(crate::on::OnArgs::Typed(ty)) => format!("type {}", quote!(#ty)),
            None => format!("error {errors}"),
        }
    };
    assert_eq!(kind(syn::parse_quote!(#[on("join")])), "event join");
    assert_eq!(kind(syn::parse_quote!(#[on("*")])), "any");
    assert_eq!(kind(syn::parse_quote!(#[on(connect)])), "connect");
    assert_eq!(kind(syn::parse_quote!(#[on(disconnect)])), "disconnect");
    assert_eq!(kind(syn::parse_quote!(#[on(Connect)])), "type Connect");
    assert_eq!(kind(syn::parse_quote!(#[on(State)])), "type State");
    assert_eq!(kind(syn::parse_quote!(#[on(a::b)])), "type a :: b");
    assert_eq!(
        kind(syn::parse_quote!(#[on(Batch<u8>)])),
        "type Batch < u8 >"
    );
    assert!(kind(syn::parse_quote!(#[on(message)])).contains("unknown handler kind `message`"));
    assert!(kind(syn::parse_quote!(#[on])).contains("a bare `#[on]`"));
    assert!(kind(syn::parse_quote!(#[on(&Message)])).contains("by its path"));
    assert!(kind(syn::parse_quote!(#[on(Message, Other)])).contains("unexpected tokens"));
}

/// The runtime's list of reserved event names is the macros' list: `socketio` gets it from
/// `__reserved_events!`, and the macros check `#[on("..")]`/`#[event("..")]` against it.
#[test]
fn runtime_sees_the_macros_reserved_events() {
    assert_eq!(
        socketio::proto::sio::RESERVED_EVENTS.as_slice(),
        crate::names::RESERVED_EVENTS
    );
    for name in socketio::proto::sio::RESERVED_EVENTS {
        assert!(
            crate::names::reserved_event_message(name, true).is_some(),
            "{name}"
        );
    }
}

#[test]
fn derive_event() {
    let plain = crate::event::derive_event(quote! {
        #[event("chat message")]
        struct ChatMessage { text: String }
    });
    let generic = crate::event::derive_event(quote! {
        #[event("batch", crate = crate::rt)]
        enum Batch<T: Clone> where T: Send { One(T), Many(Vec<T>) }
    });
    let output = pretty(quote!(#plain #generic));
    assert_snapshot("derive_event", &output);
}

#[test]
fn on_outside_namespace_keeps_the_item() {
    let output = pretty(crate::on::outside_namespace(quote!(
        fn handler() {}
    )));
    assert!(output.contains("fn handler() {}"));
    assert!(output.contains("`#[on]` only works on methods"));
}
