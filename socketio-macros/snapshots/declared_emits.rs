impl Chat {
    fn join(&self, socket: Socket, room: String) {}
}
#[doc(hidden)]
#[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
const _: () = {
    impl ::socketio::__private::NamespaceClass for Chat {
        const PATH: &'static str = "/chat";
        fn register(
            self: ::socketio::__private::Arc<Self>,
            __socketio_ns: &::socketio::__private::ClassRegistrar,
        ) {
            {
                let __socketio_this = ::socketio::__private::Arc::clone(&self);
                __socketio_ns
                    .at(::core::file!(), ::core::line!())
                    .on(
                        "join",
                        ::socketio::__private::EventMethod {
                            args: (
                                ::socketio::__private::event_param::<_, Socket>(),
                                ::socketio::__private::event_param::<_, String>(),
                            ),
                            ack: ::socketio::__private::ack::<()>(),
                            call: move |__socketio_a0: Socket, __socketio_a1: String| {
                                let __socketio_this = ::socketio::__private::Arc::clone(
                                    &__socketio_this,
                                );
                                async move {
                                    Self::join(&*__socketio_this, __socketio_a0, __socketio_a1)
                                }
                            },
                        },
                    );
            }
        }
    }
    ::socketio::__private::inventory::submit! {
        ::socketio::__private::Registration { path : "/chat", type_name :
        ::core::concat!(::core::module_path!(), "::", "Chat"), file : ::core::file!(),
        line : ::core::line!(), register : ::socketio::__private::register_default:: <
        Chat >, }
    }
    impl ::socketio::__private::Emits<ChatMessage> for Chat {
        const NAME: &'static str = ::socketio::__private::declared_payload::<
            ChatMessage,
        >();
    }
    impl ::socketio::__private::Emits<events::UserJoined> for Chat {
        const NAME: &'static str = ::socketio::__private::declared_payload::<
            events::UserJoined,
        >();
    }
    impl ::socketio::__private::Emits<List<u32>> for Chat {
        const NAME: &'static str = ::socketio::__private::declared_payload::<
            List<u32>,
        >();
    }
};
