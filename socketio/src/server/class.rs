//! Class-based namespaces (`#[namespace]` impl blocks): the registrar their generated code
//! calls, explicit and automatic (`inventory`) registration, and path collisions.

use std::cell::Cell;
use std::sync::{Arc, RwLock};

use super::handler::{self, ConnectHandler, DisconnectHandler, EventHandler};
use super::handlers::Location;
use super::tree::Handlers;
use crate::sync::write;

/// A class-based namespace: implemented by `#[namespace("/path")]` on an `impl` block.
/// The instance is shared by every client of the namespace (python-socketio's singleton).
pub trait NamespaceClass: Send + Sync + 'static {
    /// The namespace path.
    const PATH: &'static str;
    /// Register this instance's handlers.
    fn register(self: Arc<Self>, ns: &ClassRegistrar);
}

/// Receives the handlers of a class-based namespace (used by generated code).
pub struct ClassRegistrar {
    handlers: Arc<RwLock<Handlers>>,
    at: Cell<Option<Location>>,
    errors: std::cell::RefCell<Vec<String>>,
}

impl std::fmt::Debug for ClassRegistrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClassRegistrar")
    }
}

impl ClassRegistrar {
    /// Source location of the next registration (for collision messages).
    pub fn at(&self, file: &'static str, line: u32) -> &Self {
        self.at.set(Some(Location { file, line }));
        self
    }

    /// Handle `event` with a method.
    pub fn on<H: EventHandler<M>, M>(&self, event: &'static str, handler: H) {
        let mut h = write(&self.handlers);
        if h.class
            .events
            .insert(Arc::from(event), handler::erase_event(handler))
            .is_some()
        {
            let at = self
                .at
                .get()
                .map(|l| format!(" ({}:{})", l.file, l.line))
                .unwrap_or_default();
            self.errors
                .borrow_mut()
                .push(format!("event `{event}` is handled twice{at}"));
        }
    }

    /// Handle every event without a handler of its own.
    pub fn on_any<H: EventHandler<M>, M>(&self, handler: H) {
        write(&self.handlers).class.any = Some(handler::erase_event(handler));
    }

    /// Handle connections.
    pub fn on_connect<H: ConnectHandler<M>, M>(&self, handler: H) {
        write(&self.handlers).class.connect = Some(handler::erase_connect(handler));
    }

    /// Handle disconnections.
    pub fn on_disconnect<H: DisconnectHandler<M>, M>(&self, handler: H) {
        write(&self.handlers).class.disconnect = Some(handler::erase_disconnect(handler));
    }

    /// Run `middleware` around every event handler of the namespace (`#[namespace("/path",
    /// middleware(..))]`).
    pub fn middleware(&self, middleware: impl super::middleware::EventMiddleware) {
        super::middleware::install(&mut write(&self.handlers), Arc::new(middleware));
    }
}

/// Why [`SocketIoBuilder::build`](crate::SocketIoBuilder::build) failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// Two class-based namespaces claim the same path.
    DuplicateNamespace {
        /// The path.
        path: String,
        /// The first registration: type and source location.
        first: String,
        /// The second registration.
        second: String,
    },
    /// A namespace registered the same event twice.
    DuplicateEvent(String),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DuplicateNamespace {
                path,
                first,
                second,
            } => write!(
                f,
                "namespace `{path}` is registered twice: by {first} and by {second}; \
                 keep one, or opt one out of auto-registration with `register = false`"
            ),
            Self::DuplicateEvent(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for BuildError {}

type RegisterFn = Box<dyn FnOnce(&ClassRegistrar) + Send>;

/// A class waiting for `build()`.
pub(crate) struct PendingClass {
    path: &'static str,
    type_name: &'static str,
    location: Location,
    explicit: bool,
    register: RegisterFn,
}

impl PendingClass {
    #[track_caller]
    pub(crate) fn explicit<T: NamespaceClass>(instance: T) -> Self {
        let caller = std::panic::Location::caller();
        let instance = Arc::new(instance);
        Self {
            path: T::PATH,
            type_name: std::any::type_name::<T>(),
            location: Location {
                file: caller.file(),
                line: caller.line(),
            },
            explicit: true,
            register: Box::new(move |r| NamespaceClass::register(instance, r)),
        }
    }

    fn describe(&self) -> String {
        format!(
            "`{}` at {}:{}",
            self.type_name, self.location.file, self.location.line
        )
    }
}

/// Registration record submitted by `#[namespace]` through `inventory`.
#[doc(hidden)]
#[derive(Debug)]
pub struct Registration {
    /// Namespace path.
    pub path: &'static str,
    /// Type name.
    pub type_name: &'static str,
    /// Source file of the impl block.
    pub file: &'static str,
    /// Source line of the impl block.
    pub line: u32,
    /// Builds a default instance and registers it.
    pub register: fn(&ClassRegistrar),
}

#[cfg(feature = "inventory")]
inventory::collect!(Registration);

fn auto_registered() -> Vec<PendingClass> {
    #[cfg(feature = "inventory")]
    {
        inventory::iter::<Registration>
            .into_iter()
            .map(|r| {
                let f = r.register;
                PendingClass {
                    path: r.path,
                    type_name: r.type_name,
                    location: Location {
                        file: r.file,
                        line: r.line,
                    },
                    explicit: false,
                    register: Box::new(f),
                }
            })
            .collect()
    }
    #[cfg(not(feature = "inventory"))]
    {
        Vec::new()
    }
}

/// Register `explicit` and the automatically registered classes; `handlers_of(path)` gives
/// the handler table of the namespace at `path` (created if needed).
pub(crate) fn register_all(
    handlers_of: impl Fn(&str) -> Arc<RwLock<Handlers>>,
    explicit: Vec<PendingClass>,
) -> Result<(), BuildError> {
    let mut all: Vec<PendingClass> = explicit;
    for auto in auto_registered() {
        // An explicit registration of the same type replaces its automatic one.
        let shadowed = all
            .iter()
            .any(|e| e.explicit && e.type_name == auto.type_name && e.path == auto.path);
        if !shadowed {
            all.push(auto);
        }
    }
    for (i, a) in all.iter().enumerate() {
        if let Some(b) = all.iter().skip(i + 1).find(|b| b.path == a.path) {
            let (first, second) =
                if (a.location.file, a.location.line) <= (b.location.file, b.location.line) {
                    (a.describe(), b.describe())
                } else {
                    (b.describe(), a.describe())
                };
            return Err(BuildError::DuplicateNamespace {
                path: a.path.to_owned(),
                first,
                second,
            });
        }
    }
    for c in all {
        let registrar = ClassRegistrar {
            handlers: handlers_of(c.path),
            at: Cell::new(None),
            errors: Default::default(),
        };
        write(&registrar.handlers).class_owner = Some((c.type_name, c.location));
        (c.register)(&registrar);
        if let Some(e) = registrar.errors.into_inner().into_iter().next() {
            return Err(BuildError::DuplicateEvent(format!(
                "namespace `{}`: {e}",
                c.path
            )));
        }
    }
    Ok(())
}
