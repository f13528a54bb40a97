impl Admin {
    fn upload(&self, data: bytes::Bytes) -> usize {
        data.len()
    }
}
#[doc(hidden)]
#[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
const _: () = {
    impl crate::rt::__private::NamespaceClass for Admin {
        const PATH: &'static str = "/admin";
        fn register(
            self: crate::rt::__private::Arc<Self>,
            __socketio_ns: &crate::rt::__private::ClassRegistrar,
        ) {
            {
                let __socketio_this = crate::rt::__private::Arc::clone(&self);
                __socketio_ns
                    .at(::core::file!(), ::core::line!())
                    .on(
                        "upload",
                        crate::rt::__private::EventMethod {
                            args: (
                                crate::rt::__private::event_param::<_, bytes::Bytes>(),
                            ),
                            ack: crate::rt::__private::ack::<usize>(),
                            call: move |__socketio_a0: bytes::Bytes| {
                                let __socketio_this = crate::rt::__private::Arc::clone(
                                    &__socketio_this,
                                );
                                async move {
                                    Self::upload(&*__socketio_this, __socketio_a0)
                                }
                            },
                        },
                    );
            }
        }
    }
};
