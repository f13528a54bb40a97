impl Fallback {
    fn any(&self, namespace: Namespace, event: EventName) {}
}
#[doc(hidden)]
#[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
const _: () = {
    impl ::socketio::__private::NamespaceClass for Fallback {
        const PATH: &'static str = "*";
        fn register(
            self: ::socketio::__private::Arc<Self>,
            __socketio_ns: &::socketio::__private::ClassRegistrar,
        ) {
            {
                let __socketio_this = ::socketio::__private::Arc::clone(&self);
                __socketio_ns
                    .at(::core::file!(), ::core::line!())
                    .on_any(::socketio::__private::EventMethod {
                        args: (
                            ::socketio::__private::event_param::<_, Namespace>(),
                            ::socketio::__private::event_param::<_, EventName>(),
                        ),
                        ack: ::socketio::__private::ack::<()>(),
                        call: move |__socketio_a0: Namespace, __socketio_a1: EventName| {
                            let __socketio_this = ::socketio::__private::Arc::clone(
                                &__socketio_this,
                            );
                            async move {
                                Self::any(&*__socketio_this, __socketio_a0, __socketio_a1)
                            }
                        },
                    });
            }
        }
    }
    ::core::compile_error!(
        "auto-registration needs the `inventory` feature of `socketio` (on by default): enable it, or write `register = false` and add the namespace with `.namespace(instance)`"
    );
};
