impl Chat {
    /// Accepts the connection if the token is right.
    async fn connect(
        &self,
        socket: Socket,
        auth: Option<Auth>,
    ) -> Result<(), ConnectError> {
        self.check(auth)
    }
    fn disconnect(&self, socket: Socket, reason: DisconnectReason) {}
    fn message(&self, socket: Socket, text: String) -> String {
        text
    }
    async fn join(
        &self,
        socket: Socket,
        State(rooms): State<Rooms>,
        room: String,
        ack: AckSender,
    ) {}
    async fn any(&self, event: EventName, args: Rest) {}
    #[cfg(feature = "admin")]
    fn admin(&self, socket: Socket) -> (u32, String) {
        (1, String::new())
    }
    async fn typed(&self, socket: Socket, message: ChatMessage) -> usize {
        0
    }
    fn check(&self, auth: Option<Auth>) -> Result<(), ConnectError> {
        Ok(())
    }
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
                    .on_connect(::socketio::__private::ConnectMethod {
                        args: (
                            ::socketio::__private::connect_param::<_, Socket>(),
                            ::socketio::__private::connect_param::<_, Option<Auth>>(),
                        ),
                        ret: ::socketio::__private::connect_return::<
                            Result<(), ConnectError>,
                        >(),
                        call: move |__socketio_a0: Socket, __socketio_a1: Option<Auth>| {
                            let __socketio_this = ::socketio::__private::Arc::clone(
                                &__socketio_this,
                            );
                            async move {
                                Self::connect(
                                        &*__socketio_this,
                                        __socketio_a0,
                                        __socketio_a1,
                                    )
                                    .await
                            }
                        },
                    });
            }
            {
                let __socketio_this = ::socketio::__private::Arc::clone(&self);
                __socketio_ns
                    .at(::core::file!(), ::core::line!())
                    .on_disconnect(::socketio::__private::DisconnectMethod {
                        args: (
                            ::socketio::__private::disconnect_param::<_, Socket>(),
                            ::socketio::__private::disconnect_param::<
                                _,
                                DisconnectReason,
                            >(),
                        ),
                        call: move |
                            __socketio_a0: Socket,
                            __socketio_a1: DisconnectReason|
                        {
                            let __socketio_this = ::socketio::__private::Arc::clone(
                                &__socketio_this,
                            );
                            async move {
                                Self::disconnect(
                                    &*__socketio_this,
                                    __socketio_a0,
                                    __socketio_a1,
                                )
                            }
                        },
                    });
            }
            {
                let __socketio_this = ::socketio::__private::Arc::clone(&self);
                __socketio_ns
                    .at(::core::file!(), ::core::line!())
                    .on(
                        "message",
                        ::socketio::__private::EventMethod {
                            args: (
                                ::socketio::__private::event_param::<_, Socket>(),
                                ::socketio::__private::event_param::<_, String>(),
                            ),
                            ack: ::socketio::__private::ack::<String>(),
                            call: move |__socketio_a0: Socket, __socketio_a1: String| {
                                let __socketio_this = ::socketio::__private::Arc::clone(
                                    &__socketio_this,
                                );
                                async move {
                                    Self::message(
                                        &*__socketio_this,
                                        __socketio_a0,
                                        __socketio_a1,
                                    )
                                }
                            },
                        },
                    );
            }
            {
                let __socketio_this = ::socketio::__private::Arc::clone(&self);
                __socketio_ns
                    .at(::core::file!(), ::core::line!())
                    .on(
                        "join",
                        ::socketio::__private::EventMethod {
                            args: (
                                ::socketio::__private::event_param::<_, Socket>(),
                                ::socketio::__private::event_param::<_, State<Rooms>>(),
                                ::socketio::__private::event_param::<_, String>(),
                                ::socketio::__private::event_param::<_, AckSender>(),
                            ),
                            ack: ::socketio::__private::ack::<()>(),
                            call: move |
                                __socketio_a0: Socket,
                                __socketio_a1: State<Rooms>,
                                __socketio_a2: String,
                                __socketio_a3: AckSender|
                            {
                                let __socketio_this = ::socketio::__private::Arc::clone(
                                    &__socketio_this,
                                );
                                async move {
                                    Self::join(
                                            &*__socketio_this,
                                            __socketio_a0,
                                            __socketio_a1,
                                            __socketio_a2,
                                            __socketio_a3,
                                        )
                                        .await
                                }
                            },
                        },
                    );
            }
            {
                let __socketio_this = ::socketio::__private::Arc::clone(&self);
                __socketio_ns
                    .at(::core::file!(), ::core::line!())
                    .on_any(::socketio::__private::EventMethod {
                        args: (
                            ::socketio::__private::event_param::<_, EventName>(),
                            ::socketio::__private::event_param::<_, Rest>(),
                        ),
                        ack: ::socketio::__private::ack::<()>(),
                        call: move |__socketio_a0: EventName, __socketio_a1: Rest| {
                            let __socketio_this = ::socketio::__private::Arc::clone(
                                &__socketio_this,
                            );
                            async move {
                                Self::any(&*__socketio_this, __socketio_a0, __socketio_a1)
                                    .await
                            }
                        },
                    });
            }
            #[cfg(feature = "admin")]
            {
                let __socketio_this = ::socketio::__private::Arc::clone(&self);
                __socketio_ns
                    .at(::core::file!(), ::core::line!())
                    .on(
                        "admin",
                        ::socketio::__private::EventMethod {
                            args: (::socketio::__private::event_param::<_, Socket>(),),
                            ack: ::socketio::__private::ack::<(u32, String)>(),
                            call: move |__socketio_a0: Socket| {
                                let __socketio_this = ::socketio::__private::Arc::clone(
                                    &__socketio_this,
                                );
                                async move { Self::admin(&*__socketio_this, __socketio_a0) }
                            },
                        },
                    );
            }
            {
                let __socketio_this = ::socketio::__private::Arc::clone(&self);
                __socketio_ns
                    .at(::core::file!(), ::core::line!())
                    .on(
                        ::socketio::__private::event_name::<ChatMessage>(),
                        ::socketio::__private::EventMethod {
                            args: (
                                ::socketio::__private::event_param::<_, Socket>(),
                                ::socketio::__private::event_param::<_, ChatMessage>(),
                            ),
                            ack: ::socketio::__private::ack::<usize>(),
                            call: move |
                                __socketio_a0: Socket,
                                __socketio_a1: ChatMessage|
                            {
                                let __socketio_this = ::socketio::__private::Arc::clone(
                                    &__socketio_this,
                                );
                                async move {
                                    Self::typed(&*__socketio_this, __socketio_a0, __socketio_a1)
                                        .await
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
};
