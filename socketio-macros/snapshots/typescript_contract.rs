impl Chat {
    fn connect(&self, socket: Socket, auth: Hello) {}
    fn join(&self, socket: Socket, room: String) -> Result<String, String> {
        Ok(room)
    }
    #[cfg(feature = "say")]
    async fn say(&self, say: Say, rest: Rest<u8>) -> (u8, bool) {
        (0, true)
    }
    fn any(&self, event: EventName) {}
    fn disconnect(&self) {}
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
                            ::socketio::__private::connect_param::<_, Hello>(),
                        ),
                        ret: ::socketio::__private::connect_return::<()>(),
                        call: move |__socketio_a0: Socket, __socketio_a1: Hello| {
                            let __socketio_this = ::socketio::__private::Arc::clone(
                                &__socketio_this,
                            );
                            async move {
                                Self::connect(
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
                        "join",
                        ::socketio::__private::EventMethod {
                            args: (
                                ::socketio::__private::event_param::<_, Socket>(),
                                ::socketio::__private::event_param::<_, String>(),
                            ),
                            ack: ::socketio::__private::ack::<Result<String, String>>(),
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
            #[cfg(feature = "say")]
            {
                let __socketio_this = ::socketio::__private::Arc::clone(&self);
                __socketio_ns
                    .at(::core::file!(), ::core::line!())
                    .on(
                        ::socketio::__private::event_name::<Say>(),
                        ::socketio::__private::EventMethod {
                            args: (
                                ::socketio::__private::event_param::<_, Say>(),
                                ::socketio::__private::event_param::<_, Rest<u8>>(),
                            ),
                            ack: ::socketio::__private::ack::<(u8, bool)>(),
                            call: move |__socketio_a0: Say, __socketio_a1: Rest<u8>| {
                                let __socketio_this = ::socketio::__private::Arc::clone(
                                    &__socketio_this,
                                );
                                async move {
                                    Self::say(&*__socketio_this, __socketio_a0, __socketio_a1)
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
                        args: (::socketio::__private::event_param::<_, EventName>(),),
                        ack: ::socketio::__private::ack::<()>(),
                        call: move |__socketio_a0: EventName| {
                            let __socketio_this = ::socketio::__private::Arc::clone(
                                &__socketio_this,
                            );
                            async move { Self::any(&*__socketio_this, __socketio_a0) }
                        },
                    });
            }
            {
                let __socketio_this = ::socketio::__private::Arc::clone(&self);
                __socketio_ns
                    .at(::core::file!(), ::core::line!())
                    .on_disconnect(::socketio::__private::DisconnectMethod {
                        args: (),
                        call: move || {
                            let __socketio_this = ::socketio::__private::Arc::clone(
                                &__socketio_this,
                            );
                            async move { Self::disconnect(&*__socketio_this) }
                        },
                    });
            }
        }
    }
    ::socketio::__private::inventory::submit! {
        ::socketio::__private::Registration { path : "/chat", type_name :
        ::core::concat!(::core::module_path!(), "::", "Chat"), file : ::core::file!(),
        line : ::core::line!(), register : ::socketio::__private::register_default:: <
        Chat >, }
    }
    impl ::socketio::__private::Emits<Line> for Chat {
        const NAME: &'static str = ::socketio::__private::declared_payload::<Line>();
    }
    impl ::socketio::__private::ts::Describe for Chat {
        fn contract() -> ::socketio::__private::ts::NamespaceContract {
            #[allow(unused_imports)]
            use ::socketio::__private::ts::{
                EventNamed as _, EventUnnamed as _, ParamContext as _, ParamRest as _,
                ParamSpecial as _, ParamTyped as _, ParamUntyped as _, TypeTyped as _,
                TypeUntyped as _,
            };
            let mut __socketio_c = ::socketio::__private::ts::NamespaceContract::new(
                "/chat",
                "Chat",
                ::core::concat!(::core::module_path!(), "::", "Chat"),
            );
            {
                __socketio_c
                    .auth(
                        (&&&&&::socketio::__private::ts::Probe::<Socket>::new())
                            .__socketio_param("socket"),
                    );
                __socketio_c
                    .auth(
                        (&&&&&::socketio::__private::ts::Probe::<Hello>::new())
                            .__socketio_param("auth"),
                    );
            }
            {
                __socketio_c
                    .event(
                        ::core::option::Option::Some("join"),
                        ::std::vec![
                            (&& && & ::socketio::__private::ts::Probe:: < Socket >
                            ::new()).__socketio_param("socket"), (&& && &
                            ::socketio::__private::ts::Probe:: < String > ::new())
                            .__socketio_param("room")
                        ],
                        ::socketio::__private::ts::Ack::OkOrError(
                            ::std::vec![
                                (&& ::socketio::__private::ts::Probe:: < String > ::new())
                                .__socketio_ts()
                            ],
                            (&&::socketio::__private::ts::Probe::<String>::new())
                                .__socketio_ts(),
                        ),
                    );
            }
            #[cfg(feature = "say")]
            {
                __socketio_c
                    .event(
                        (&&::socketio::__private::ts::Probe::<Say>::new())
                            .__socketio_event(),
                        ::std::vec![
                            (&& && & ::socketio::__private::ts::Probe:: < Say > ::new())
                            .__socketio_param("say"), (&& && &
                            ::socketio::__private::ts::Probe:: < Rest < u8 > > ::new())
                            .__socketio_param("rest")
                        ],
                        ::socketio::__private::ts::Ack::Values(
                            ::std::vec![
                                (&& ::socketio::__private::ts::Probe:: < u8 > ::new())
                                .__socketio_ts(), (&& ::socketio::__private::ts::Probe:: <
                                bool > ::new()).__socketio_ts()
                            ],
                        ),
                    );
            }
            {
                __socketio_c.catch_all();
            }
            __socketio_c
                .emits(
                    (&&::socketio::__private::ts::Probe::<Line>::new())
                        .__socketio_event(),
                    (&&::socketio::__private::ts::Probe::<Line>::new()).__socketio_ts(),
                );
            __socketio_c
        }
    }
    ::socketio::__private::inventory::submit! {
        ::socketio::__private::ts::ContractEntry { file : ::core::file!(), line :
        ::core::line!(), contract : < Chat as ::socketio::__private::ts::Describe >
        ::contract, }
    }
};
