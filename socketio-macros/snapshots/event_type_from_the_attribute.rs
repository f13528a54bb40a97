impl Game {
    fn state(&self, state: State) {}
    fn socket(&self, args: Args, socket: user::Socket) {}
    fn ping(&self) {}
}
#[doc(hidden)]
#[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
const _: () = {
    impl ::socketio::__private::NamespaceClass for Game {
        const PATH: &'static str = "/game";
        fn register(
            self: ::socketio::__private::Arc<Self>,
            __socketio_ns: &::socketio::__private::ClassRegistrar,
        ) {
            {
                let __socketio_this = ::socketio::__private::Arc::clone(&self);
                __socketio_ns
                    .at(::core::file!(), ::core::line!())
                    .on(
                        ::socketio::__private::event_name::<State>(),
                        ::socketio::__private::EventMethod {
                            args: (::socketio::__private::event_param::<_, State>(),),
                            ack: ::socketio::__private::ack::<()>(),
                            call: move |__socketio_a0: State| {
                                let __socketio_this = ::socketio::__private::Arc::clone(
                                    &__socketio_this,
                                );
                                async move { Self::state(&*__socketio_this, __socketio_a0) }
                            },
                        },
                    );
            }
            {
                let __socketio_this = ::socketio::__private::Arc::clone(&self);
                __socketio_ns
                    .at(::core::file!(), ::core::line!())
                    .on(
                        ::socketio::__private::event_name::<user::Socket>(),
                        ::socketio::__private::EventMethod {
                            args: (
                                ::socketio::__private::event_param::<_, Args>(),
                                ::socketio::__private::event_param::<_, user::Socket>(),
                            ),
                            ack: ::socketio::__private::ack::<()>(),
                            call: move |
                                __socketio_a0: Args,
                                __socketio_a1: user::Socket|
                            {
                                let __socketio_this = ::socketio::__private::Arc::clone(
                                    &__socketio_this,
                                );
                                async move {
                                    Self::socket(
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
                        ::socketio::__private::event_name::<Ping>(),
                        ::socketio::__private::EventMethod {
                            args: (),
                            ack: ::socketio::__private::ack::<()>(),
                            call: move || {
                                let __socketio_this = ::socketio::__private::Arc::clone(
                                    &__socketio_this,
                                );
                                async move { Self::ping(&*__socketio_this) }
                            },
                        },
                    );
            }
        }
    }
};
