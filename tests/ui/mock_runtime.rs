// A stand-in for the runtime items the macros name (`socketio::__private`, `socketio::Event`),
// with the signatures of the contract between the macros and the runtime. The pass cases use
// it through `crate = ..` so they check the generated code against that contract without the
// runtime. The registrar records what was registered, so the cases can assert it.

pub trait Event {
    const NAME: &'static str;
}

pub mod __private {
    use std::cell::RefCell;
    use std::future::Future;
    pub use std::sync::Arc;

    pub trait NamespaceClass: Send + Sync + 'static {
        const PATH: &'static str;
        fn register(self: Arc<Self>, ns: &ClassRegistrar);
    }

    /// What one registration recorded: kind (`on`, `on_any`, ...), event, file and line.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Recorded {
        pub kind: &'static str,
        pub event: &'static str,
        pub file: &'static str,
        pub line: u32,
    }

    #[derive(Default)]
    pub struct ClassRegistrar {
        location: RefCell<(&'static str, u32)>,
        pub recorded: RefCell<Vec<Recorded>>,
    }

    pub trait EventHandler<M> {}
    pub trait ConnectHandler<M> {}
    pub trait DisconnectHandler<M> {}

    macro_rules! handlers {
        ($($arg:ident),*) => {
            impl<F, Fut, $($arg,)*> EventHandler<($($arg,)*)> for F
            where F: Fn($($arg),*) -> Fut, Fut: Future<Output: IntoAck> {}
            impl<F, Fut, $($arg,)*> ConnectHandler<($($arg,)*)> for F
            where F: Fn($($arg),*) -> Fut, Fut: Future {}
            impl<F, Fut, $($arg,)*> DisconnectHandler<($($arg,)*)> for F
            where F: Fn($($arg),*) -> Fut, Fut: Future {}
        };
    }
    handlers!();
    handlers!(A0);
    handlers!(A0, A1);
    handlers!(A0, A1, A2);
    handlers!(A0, A1, A2, A3);

    impl ClassRegistrar {
        fn record(&self, kind: &'static str, event: &'static str) {
            let (file, line) = *self.location.borrow();
            self.recorded.borrow_mut().push(Recorded { kind, event, file, line });
        }
        pub fn on<H, M>(&self, event: &'static str, _handler: H)
        where
            H: EventHandler<M>,
        {
            self.record("on", event);
        }
        pub fn on_any<H, M>(&self, _handler: H)
        where
            H: EventHandler<M>,
        {
            self.record("on_any", "*");
        }
        pub fn on_connect<H, M>(&self, _handler: H)
        where
            H: ConnectHandler<M>,
        {
            self.record("on_connect", "connect");
        }
        pub fn on_disconnect<H, M>(&self, _handler: H)
        where
            H: DisconnectHandler<M>,
        {
            self.record("on_disconnect", "disconnect");
        }
        pub fn at(&self, file: &'static str, line: u32) -> &Self {
            *self.location.borrow_mut() = (file, line);
            self
        }
    }

    pub struct Marker;
    pub trait FromEventParam<M> {}
    impl<T> FromEventParam<Marker> for T {}
    pub trait FromConnectParam<M> {}
    impl<T> FromConnectParam<Marker> for T {}
    pub trait FromDisconnectParam<M> {}
    impl<T> FromDisconnectParam<Marker> for T {}
    /// Unlike the other mock traits, not blanket: a handler whose future yields something
    /// else (say, an `Arc` because the wrong method was called) does not compile.
    pub trait IntoAck {}
    impl IntoAck for () {}
    impl IntoAck for u8 {}
    impl IntoAck for usize {}
    impl IntoAck for String {}
    impl IntoAck for Vec<u8> {}
    pub trait IntoConnectResult {}
    impl<T> IntoConnectResult for T {}
    pub trait AutoRegister {}
    impl<T: Default> AutoRegister for T {}

    pub fn assert_event_param<M, T: FromEventParam<M>>() {}
    pub fn assert_connect_param<M, T: FromConnectParam<M>>() {}
    pub fn assert_disconnect_param<M, T: FromDisconnectParam<M>>() {}
    pub fn assert_ack<T: IntoAck>() {}
    pub fn assert_connect_return<T: IntoConnectResult>() {}
    pub fn assert_auto_register<T: AutoRegister>() {}

    /// Registers `instance` the way the runtime's explicit `.namespace(instance)` would, and
    /// returns what it recorded.
    pub fn register<T: NamespaceClass>(instance: T) -> Vec<Recorded> {
        let registrar = ClassRegistrar::default();
        Arc::new(instance).register(&registrar);
        registrar.recorded.into_inner()
    }
}
