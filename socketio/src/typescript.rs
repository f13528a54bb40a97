//! The client contract as TypeScript: per namespace, the `ServerToClientEvents` and
//! `ClientToServerEvents` interfaces that socket.io-client's `Socket<Listen, Emit>` takes, and
//! the payload types, converted by [`ts_rs`] with serde's attributes honoured.
#![doc = include_str!("../../docs/typescript.md")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

pub use ts_rs;
pub use ts_rs::TS;
use ts_rs::{Config, TypeVisitor};

/// The TypeScript type of binary data (`serde_bytes`, `bytes::Bytes`): socket.io-client hands
/// binary attachments to listeners as `ArrayBuffer` in browsers and `Buffer` (a `Uint8Array`)
/// in Node, and sends any of them.
///
/// ts-rs asks for the TypeScript type of a field serialized `with` something; name this one:
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize, socketio::typescript::TS)]
/// #[ts(crate = "socketio::typescript::ts_rs")]
/// struct Upload {
///     name: String,
///     #[serde(with = "serde_bytes")]
///     #[ts(as = "socketio::typescript::Binary")]
///     data: Vec<u8>,
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Binary;

impl TS for Binary {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(_: &Config) -> String {
        "ArrayBuffer | Uint8Array".to_owned()
    }

    fn inline(cfg: &Config) -> String {
        Self::name(cfg)
    }
}

/// A namespace that describes its contract: implemented by `#[namespace]` when the
/// `typescript` feature is on. Add one explicitly with [`Contract::namespace`].
pub trait Describe {
    /// The namespace's events, acks, auth and declared emits.
    fn contract() -> NamespaceContract;
}

/// One type of the contract: its TypeScript form when the Rust type implements [`TS`], else
/// `unknown` (with a note in the rendered file).
#[derive(Clone, Copy)]
pub struct TsType {
    rust: fn() -> &'static str,
    ts: Option<TsFns>,
}

#[derive(Clone, Copy)]
struct TsFns {
    name: fn(&Config) -> String,
    declare: fn(&mut Decls<'_>),
}

impl std::fmt::Debug for TsType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsType")
            .field("rust", &(self.rust)())
            .field("typed", &self.ts.is_some())
            .finish()
    }
}

impl TsType {
    /// The type `T`.
    pub fn of<T: TS + ?Sized + 'static>() -> Self {
        fn name<T: TS + ?Sized>(cfg: &Config) -> String {
            T::name(cfg)
        }
        fn declare<T: TS + ?Sized + 'static>(decls: &mut Decls<'_>) {
            decls.visit::<T>();
            T::visit_generics(decls);
        }
        Self {
            rust: std::any::type_name::<T>,
            ts: Some(TsFns {
                name: name::<T>,
                declare: declare::<T>,
            }),
        }
    }

    /// A Rust type without a TypeScript form: rendered `unknown`.
    pub fn unknown<T: ?Sized>() -> Self {
        Self {
            rust: std::any::type_name::<T>,
            ts: None,
        }
    }

    fn render(&self, r: &mut Renderer<'_>) -> String {
        match self.ts {
            Some(fns) => {
                (fns.declare)(&mut r.decls);
                (fns.name)(r.cfg)
            }
            None => {
                let rust = (self.rust)();
                if !r.untyped.contains(&rust) {
                    r.untyped.push(rust);
                }
                "unknown".to_owned()
            }
        }
    }
}

/// One parameter of an event method, as the client sees it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Param {
    /// The next argument of the event.
    Argument {
        /// The Rust parameter's name.
        name: &'static str,
        /// Its type.
        ty: TsType,
    },
    /// Every remaining argument (`Rest<T>`, `Args`).
    Variadic {
        /// The Rust parameter's name.
        name: &'static str,
        /// The type of each.
        ty: TsType,
    },
    /// An `AckSender`: the method acknowledges by hand, with arguments the contract does not
    /// know.
    ManualAck,
    /// Context (`Socket`, `State<T>`, ...): not sent by the client.
    Context,
}

/// What an event method acknowledges with, from its return type.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Ack {
    /// `()`: no acknowledgement is declared.
    Nothing,
    /// The acknowledgement's arguments (one for a plain value, several for a tuple).
    Values(Vec<TsType>),
    /// `Result<T, E>`: `T`'s arguments, or the single argument `{ error: E }`.
    OkOrError(Vec<TsType>, TsType),
    /// Not known (an `impl Trait` return type): `(...args: unknown[]) => void`.
    Untyped,
}

#[derive(Debug, Clone)]
struct EventContract {
    name: &'static str,
    params: Vec<Param>,
    ack: Ack,
}

/// The contract of one namespace; built by the code `#[namespace]` generates.
#[derive(Debug, Clone)]
pub struct NamespaceContract {
    path: &'static str,
    ts_name: &'static str,
    type_name: &'static str,
    events: Vec<EventContract>,
    emits: Vec<(&'static str, TsType)>,
    auth: Option<TsType>,
    catch_all: bool,
}

impl NamespaceContract {
    /// An empty contract of the namespace at `path`, whose interfaces are prefixed `ts_name`.
    pub fn new(path: &'static str, ts_name: &'static str, type_name: &'static str) -> Self {
        Self {
            path,
            ts_name,
            type_name,
            events: Vec::new(),
            emits: Vec::new(),
            auth: None,
            catch_all: false,
        }
    }

    /// The client emits `name` with `params`; the server acknowledges with `ack`. (`None`:
    /// an `#[on(Type)]` whose type names no event, already reported by the compiler.)
    pub fn event(&mut self, name: Option<&'static str>, params: Vec<Param>, ack: Ack) -> &mut Self {
        if let Some(name) = name {
            self.events.push(EventContract { name, params, ack });
        }
        self
    }

    /// The server emits `name` with one argument of type `ty`.
    pub fn emits(&mut self, name: Option<&'static str>, ty: TsType) -> &mut Self {
        if let Some(name) = name {
            self.emits.push((name, ty));
        }
        self
    }

    /// A parameter of the connect handler: an argument is the auth payload.
    pub fn auth(&mut self, param: Param) -> &mut Self {
        if let (None, Param::Argument { ty, .. }) = (&self.auth, param) {
            self.auth = Some(ty);
        }
        self
    }

    /// The namespace has a catch-all handler (`#[on("*")]`), which the interfaces leave out.
    pub fn catch_all(&mut self) -> &mut Self {
        self.catch_all = true;
        self
    }

    /// The namespace path.
    pub fn path(&self) -> &'static str {
        self.path
    }
}

/// Where a contract came from: `#[namespace]`'s source line, or an explicit
/// [`Contract::namespace`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// Auto-registered by `#[namespace]` at this file and line.
    Source {
        /// The file.
        file: &'static str,
        /// The line.
        line: u32,
    },
    /// Added with [`Contract::namespace`].
    Explicit,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Source { file, line } => write!(f, "{file}:{line}"),
            Self::Explicit => f.write_str("an explicit `Contract::namespace`"),
        }
    }
}

/// Why a contract could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContractError {
    /// No namespace was found: nothing auto-registered, nothing added.
    Empty,
    /// Two namespace types describe the same path.
    DuplicatePath {
        /// The path.
        path: &'static str,
        /// The two Rust types and where they come from.
        types: [(&'static str, Origin); 2],
    },
    /// Two namespaces would give their interfaces the same TypeScript name.
    DuplicateName {
        /// The interfaces' prefix.
        name: &'static str,
        /// The two namespaces' paths.
        paths: [&'static str; 2],
    },
    /// Two different Rust types have one TypeScript name.
    ConflictingType {
        /// The TypeScript name.
        name: String,
        /// The two Rust types.
        rust: [&'static str; 2],
    },
}

impl std::fmt::Display for ContractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str(
                "no namespace has a contract: `#[namespace]` describes itself when `socketio`'s \
                 `typescript` feature is on and the namespace auto-registers; add others with \
                 `Contract::new().namespace::<Type>()`",
            ),
            Self::DuplicatePath { path, types } => write!(
                f,
                "namespace `{path}` is described twice, by `{}` ({}) and `{}` ({}): keep one",
                types[0].0, types[0].1, types[1].0, types[1].1
            ),
            Self::DuplicateName { name, paths } => write!(
                f,
                "namespaces `{}` and `{}` are both named `{name}` in TypeScript: rename one of \
                 the two Rust types",
                paths[0], paths[1]
            ),
            Self::ConflictingType { name, rust } => write!(
                f,
                "`{}` and `{}` are both named `{name}` in TypeScript: rename one, or give it \
                 `#[ts(rename = \"..\")]`",
                rust[0], rust[1]
            ),
        }
    }
}

impl std::error::Error for ContractError {}

/// The set of namespaces to render: [`Contract::registered`] (what `#[namespace]`
/// auto-registered) and/or [`Contract::namespace`].
///
/// ```
/// use socketio::{namespace, Socket};
///
/// #[derive(Default)]
/// struct Echo;
///
/// #[namespace("/echo", register = false)]
/// impl Echo {
///     #[on("echo")]
///     fn echo(&self, text: String) -> String {
///         text
///     }
/// }
///
/// let ts = socketio::typescript::Contract::new().namespace::<Echo>().render().unwrap();
/// assert!(ts.contains(r#""echo": (text: string, ack: (res: string) => void) => void;"#));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Contract {
    namespaces: Vec<(NamespaceContract, Origin)>,
}

impl Contract {
    /// No namespace yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every namespace `#[namespace]` auto-registered (those `SocketIo::builder().build()`
    /// finds by itself).
    pub fn registered() -> Self {
        let namespaces = inventory::iter::<private::ContractEntry>
            .into_iter()
            .map(|entry| {
                (
                    (entry.contract)(),
                    Origin::Source {
                        file: entry.file,
                        line: entry.line,
                    },
                )
            })
            .collect();
        Self { namespaces }
    }

    /// Add namespace `T` (for one written with `register = false`). Adding a type that is
    /// already in is a no-op.
    pub fn namespace<T: Describe>(mut self) -> Self {
        let contract = T::contract();
        if !self
            .namespaces
            .iter()
            .any(|(c, _)| c.type_name == contract.type_name && c.path == contract.path)
        {
            self.namespaces.push((contract, Origin::Explicit));
        }
        self
    }

    /// The TypeScript file: the payload types, then for each namespace (by path) its
    /// `ServerToClientEvents`, `ClientToServerEvents` and, when its connect handler reads
    /// one, `Auth` types, each prefixed with the Rust type's name (`ChatServerToClientEvents`).
    pub fn render(&self) -> Result<String, ContractError> {
        let mut namespaces: Vec<&(NamespaceContract, Origin)> = self.namespaces.iter().collect();
        if namespaces.is_empty() {
            return Err(ContractError::Empty);
        }
        namespaces.sort_by(|a, b| (a.0.path, a.0.type_name).cmp(&(b.0.path, b.0.type_name)));
        for pair in namespaces.windows(2) {
            if let [(a, a_origin), (b, b_origin)] = pair {
                if a.path == b.path {
                    return Err(ContractError::DuplicatePath {
                        path: a.path,
                        types: [(a.type_name, *a_origin), (b.type_name, *b_origin)],
                    });
                }
            }
        }
        let mut names: BTreeMap<&str, &str> = BTreeMap::new();
        for (ns, _) in &namespaces {
            if let Some(first) = names.insert(ns.ts_name, ns.path) {
                return Err(ContractError::DuplicateName {
                    name: ns.ts_name,
                    paths: [first, ns.path],
                });
            }
        }
        let cfg = Config::new().with_large_int("number");
        let mut r = Renderer {
            cfg: &cfg,
            decls: Decls {
                cfg: &cfg,
                seen: BTreeMap::new(),
                conflict: None,
            },
            untyped: Vec::new(),
        };
        let mut body = String::new();
        for (ns, _) in &namespaces {
            render_namespace(ns, &mut r, &mut body);
        }
        if let Some(conflict) = r.decls.conflict {
            return Err(conflict);
        }
        let mut out = String::from(HEADER);
        if !r.untyped.is_empty() {
            out.push_str(
                "//\n// Rendered `unknown`: these Rust types do not implement `ts_rs::TS`:\n",
            );
            for rust in &r.untyped {
                let _ = writeln!(out, "//   {rust}");
            }
        }
        out.push('\n');
        for (_, decl) in r.decls.seen.values() {
            out.push_str(decl);
            out.push('\n');
        }
        out.push_str(&body);
        Ok(out)
    }

    /// Panics, with the first differing lines, when the file at `path` is not
    /// [`render`](Self::render)'s output; see [`assert_typescript_fresh`].
    #[track_caller]
    pub fn assert_fresh(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        let fresh = match self.render() {
            Ok(fresh) => fresh,
            Err(error) => panic!("cannot render the TypeScript contract: {error}"),
        };
        if std::env::var_os(UPDATE_VAR).is_some_and(|v| v == "1") {
            if let Err(error) = std::fs::write(path, &fresh) {
                panic!("cannot write {}: {error}", path.display());
            }
            return;
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(message) = staleness(&committed, &fresh) {
            panic!(
                "{} is stale: {message}\nregenerate it: rerun this test with {UPDATE_VAR}=1, \
                 and review the diff",
                path.display()
            );
        }
    }
}

const UPDATE_VAR: &str = "SOCKETIO_UPDATE_TYPESCRIPT";

const HEADER: &str = "\
// The Socket.IO contract of this server, generated from its Rust namespaces by
// `socketio::typescript`: do not edit (rerun its freshness test with
// SOCKETIO_UPDATE_TYPESCRIPT=1). For each namespace, with socket.io-client:
//   const socket: Socket<XServerToClientEvents, XClientToServerEvents> = io(\"/x\");
";

/// `None` when equal; else where the two texts first differ, line by line.
fn staleness(committed: &str, fresh: &str) -> Option<String> {
    if committed == fresh {
        return None;
    }
    let mut old = committed.lines();
    let mut new = fresh.lines();
    let mut line = 1;
    loop {
        match (old.next(), new.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (a, b) => {
                return Some(format!(
                    "first difference at line {line}\n  committed: {}\n  fresh:     {}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                ));
            }
        }
    }
}

/// The contract of every auto-registered namespace, as TypeScript
/// ([`Contract::registered`]`.render()`).
pub fn render() -> Result<String, ContractError> {
    Contract::registered().render()
}

/// Panics with a diff-ish message when the committed file at `path` is not what [`render`]
/// gives: call it from a test. With `SOCKETIO_UPDATE_TYPESCRIPT=1` it writes the file instead.
///
/// ```no_run
/// #[test]
/// fn typescript_is_fresh() {
///     socketio::typescript::assert_typescript_fresh("static/contract.ts");
/// }
/// ```
#[track_caller]
pub fn assert_typescript_fresh(path: impl AsRef<Path>) {
    Contract::registered().assert_fresh(path);
}

struct Renderer<'c> {
    cfg: &'c Config,
    decls: Decls<'c>,
    untyped: Vec<&'static str>,
}

/// The payload types' declarations, by TypeScript name.
struct Decls<'c> {
    cfg: &'c Config,
    seen: BTreeMap<String, (&'static str, String)>,
    conflict: Option<ContractError>,
}

impl TypeVisitor for Decls<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Only derived types (those with a file of their own in ts-rs) are declared.
        if T::output_path().is_none() {
            return;
        }
        let name = T::ident(self.cfg);
        let rust = std::any::type_name::<T>();
        let decl = T::decl(self.cfg);
        if let Some((first, seen)) = self.seen.get(&name) {
            if *seen != format_decl::<T>(&decl) && self.conflict.is_none() {
                self.conflict = Some(ContractError::ConflictingType {
                    name,
                    rust: [first, rust],
                });
            }
            return;
        }
        self.seen.insert(name, (rust, format_decl::<T>(&decl)));
        T::visit_dependencies(self);
        T::visit_generics(self);
    }
}

fn format_decl<T: TS + ?Sized>(decl: &str) -> String {
    let mut out = String::new();
    if let Some(docs) = T::docs() {
        out.push_str(&docs);
        if !docs.ends_with('\n') {
            out.push('\n');
        }
    }
    let _ = writeln!(out, "export {decl}");
    out
}

fn quoted(name: &str) -> String {
    serde_json::to_string(name).unwrap_or_else(|_| format!("\"{name}\""))
}

fn render_namespace(ns: &NamespaceContract, r: &mut Renderer<'_>, out: &mut String) {
    let prefix = ns.ts_name;
    let _ = writeln!(out, "/** Namespace `{}` (`{}`). */", ns.path, ns.type_name);
    let _ = writeln!(out, "export interface {prefix}ServerToClientEvents {{");
    for (name, ty) in &ns.emits {
        let ty = ty.render(r);
        let _ = writeln!(out, "  {}: (payload: {ty}) => void;", quoted(name));
    }
    let _ = writeln!(out, "}}\n");
    let _ = writeln!(out, "export interface {prefix}ClientToServerEvents {{");
    for event in &ns.events {
        let signature = event_signature(event, r);
        let _ = writeln!(out, "  {}: {signature};", quoted(event.name));
    }
    if ns.catch_all {
        let _ = writeln!(
            out,
            "  // and any other event, for its catch-all handler (`#[on(\"*\")]`): not typed"
        );
    }
    let _ = writeln!(out, "}}\n");
    if let Some(auth) = &ns.auth {
        let ty = auth.render(r);
        let _ = writeln!(
            out,
            "/** The `auth` option of `io(\"{}\", {{ auth }})`. */\nexport type {prefix}Auth = {ty};\n",
            ns.path
        );
    }
}

fn event_signature(event: &EventContract, r: &mut Renderer<'_>) -> String {
    let mut params: Vec<String> = Vec::new();
    let mut rest = false;
    let mut manual_ack = false;
    for param in &event.params {
        match param {
            Param::Argument { name, ty } => params.push(format!("{name}: {}", ty.render(r))),
            Param::Variadic { name, ty } => {
                rest = true;
                params.push(format!("...{name}: Array<{}>", ty.render(r)));
            }
            Param::ManualAck => manual_ack = true,
            Param::Context => {}
        }
    }
    let ack = if manual_ack {
        Some("(...args: unknown[]) => void".to_owned())
    } else {
        match &event.ack {
            Ack::Nothing => None,
            Ack::Untyped => Some("(...args: unknown[]) => void".to_owned()),
            Ack::Values(args) => Some(callback(args, None, r)),
            Ack::OkOrError(ok, err) => {
                let err = err.render(r);
                Some(callback(ok, Some(&err), r))
            }
        }
    };
    // A rest parameter is last: an ack callback cannot follow it in the interface.
    if let (Some(ack), false) = (ack, rest) {
        params.push(format!("ack: {ack}"));
    }
    format!("({}) => void", params.join(", "))
}

fn callback(args: &[TsType], error: Option<&str>, r: &mut Renderer<'_>) -> String {
    let mut params: Vec<String> = args.iter().map(|ty| ty.render(r)).collect();
    if let Some(error) = error {
        let error = format!("{{ error: {error} }}");
        match params.first_mut() {
            Some(first) => *first = format!("{first} | {error}"),
            None => params.push(format!("undefined | {error}")),
        }
    }
    let named: Vec<String> = params
        .iter()
        .enumerate()
        .map(|(index, ty)| match index {
            0 => format!("res: {ty}"),
            n => format!("res{n}: {ty}"),
        })
        .collect();
    format!("({}) => void", named.join(", "))
}

/// What the code `#[namespace]` generates names (through `socketio::__private::ts`).
#[doc(hidden)]
pub mod private {
    use std::marker::PhantomData;

    use serde::de::DeserializeOwned;

    pub use super::{Ack, NamespaceContract, Param};
    use super::{TS, TsType};
    use crate::proto::sio::Args;
    use crate::server::{AckSender, Event, Rest};

    /// An auto-registered namespace's contract, submitted by `#[namespace]`.
    pub struct ContractEntry {
        /// Source file of the impl block.
        pub file: &'static str,
        /// Source line of the impl block.
        pub line: u32,
        /// Builds the contract.
        pub contract: fn() -> NamespaceContract,
    }

    inventory::collect!(ContractEntry);

    /// Autoref-specialization probe of a concrete type `T`, so that the contract code puts no
    /// bound on the user's types (the registration reports a type the runtime cannot use,
    /// once): `(&&&&&Probe::<T>::new()).__socketio_param(name)` picks the first of
    /// [`ParamSpecial`], [`ParamRest`], [`ParamTyped`], [`ParamUntyped`], [`ParamContext`]
    /// that applies; `(&&Probe::<T>::new()).__socketio_ts()` is `T`'s TypeScript type or
    /// `unknown`; `(&&Probe::<T>::new()).__socketio_event()` its `Event::NAME`, if any.
    ///
    /// A parameter is an argument exactly when it is `DeserializeOwned`: the runtime's
    /// `FromEventParam<ViaPayload>` is implemented for those, its context impls for others.
    pub struct Probe<T: ?Sized>(PhantomData<fn() -> PhantomData<T>>);

    impl<T: ?Sized> Probe<T> {
        /// The probe.
        #[allow(clippy::new_without_default)]
        pub fn new() -> Self {
            Self(PhantomData)
        }
    }

    macro_rules! probe_trait {
        ($(#[$doc:meta])* $name:ident, $method:ident($($arg:ident: $ty:ty),*) -> $out:ty) => {
            $(#[$doc])*
            pub trait $name {
                /// The probe's answer.
                fn $method(&self, $($arg: $ty),*) -> $out;
            }
        };
    }

    probe_trait!(
        /// `Rest<T: TS>`, `TryData<T: TS>`, `AckSender`, `Args`.
        ParamSpecial, __socketio_param(name: &'static str) -> Param
    );
    impl<T: TS + 'static> ParamSpecial for &&&&Probe<Rest<T>> {
        fn __socketio_param(&self, name: &'static str) -> Param {
            Param::Variadic {
                name,
                ty: TsType::of::<T>(),
            }
        }
    }
    impl<T: TS + 'static> ParamSpecial for &&&&Probe<crate::TryData<T>> {
        fn __socketio_param(&self, name: &'static str) -> Param {
            Param::Argument {
                name,
                ty: TsType::of::<T>(),
            }
        }
    }
    impl ParamSpecial for &&&&Probe<AckSender> {
        fn __socketio_param(&self, _: &'static str) -> Param {
            Param::ManualAck
        }
    }
    impl ParamSpecial for &&&&Probe<Args> {
        fn __socketio_param(&self, name: &'static str) -> Param {
            Param::Variadic {
                name,
                ty: TsType::unknown::<crate::Value>(),
            }
        }
    }

    probe_trait!(
        /// `Rest<T>` and `TryData<T>` of a `T` without `TS`.
        ParamRest, __socketio_param(name: &'static str) -> Param
    );
    impl<T> ParamRest for &&&Probe<crate::TryData<T>> {
        fn __socketio_param(&self, name: &'static str) -> Param {
            Param::Argument {
                name,
                ty: TsType::unknown::<T>(),
            }
        }
    }
    impl<T> ParamRest for &&&Probe<Rest<T>> {
        fn __socketio_param(&self, name: &'static str) -> Param {
            Param::Variadic {
                name,
                ty: TsType::unknown::<T>(),
            }
        }
    }

    probe_trait!(
        /// An argument with a TypeScript type.
        ParamTyped, __socketio_param(name: &'static str) -> Param
    );
    impl<T: DeserializeOwned + TS + 'static> ParamTyped for &&Probe<T> {
        fn __socketio_param(&self, name: &'static str) -> Param {
            Param::Argument {
                name,
                ty: TsType::of::<T>(),
            }
        }
    }

    probe_trait!(
        /// An argument without a TypeScript type.
        ParamUntyped, __socketio_param(name: &'static str) -> Param
    );
    impl<T: DeserializeOwned> ParamUntyped for &Probe<T> {
        fn __socketio_param(&self, name: &'static str) -> Param {
            Param::Argument {
                name,
                ty: TsType::unknown::<T>(),
            }
        }
    }

    probe_trait!(
        /// Anything else: context.
        ParamContext, __socketio_param(name: &'static str) -> Param
    );
    impl<T: ?Sized> ParamContext for Probe<T> {
        fn __socketio_param(&self, _: &'static str) -> Param {
            Param::Context
        }
    }

    probe_trait!(
        /// A type with a TypeScript type.
        TypeTyped, __socketio_ts() -> TsType
    );
    impl<T: TS + ?Sized + 'static> TypeTyped for &Probe<T> {
        fn __socketio_ts(&self) -> TsType {
            TsType::of::<T>()
        }
    }

    probe_trait!(
        /// A type without: `unknown`.
        TypeUntyped, __socketio_ts() -> TsType
    );
    impl<T: ?Sized> TypeUntyped for Probe<T> {
        fn __socketio_ts(&self) -> TsType {
            TsType::unknown::<T>()
        }
    }

    probe_trait!(
        /// A type with `#[derive(Event)]`.
        EventNamed, __socketio_event() -> Option<&'static str>
    );
    impl<T: Event + ?Sized> EventNamed for &Probe<T> {
        fn __socketio_event(&self) -> Option<&'static str> {
            Some(T::NAME)
        }
    }

    probe_trait!(
        /// Any other type.
        EventUnnamed, __socketio_event() -> Option<&'static str>
    );
    impl<T: ?Sized> EventUnnamed for Probe<T> {
        fn __socketio_event(&self) -> Option<&'static str> {
            None
        }
    }
}
