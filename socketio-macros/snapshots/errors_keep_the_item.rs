impl<T> Broken<T> {
    fn a(&mut self) {}
    fn b(self) {}
    fn b2(x: u8) {}
    fn helper(&self) {}
}
::core::compile_error! {
    "a namespace path starts with `/` (or is `\"*\"` for the catch-all namespace): write `\"/chat\"`"
}
::core::compile_error! {
    "`#[namespace]` cannot be used on a generic `impl` block: one instance is registered per path; implement the namespace for a concrete type"
}
::core::compile_error! {
    "`connect` is a reserved event name: use `#[on(connect)]` (no quotes) for the connection handler"
}
::core::compile_error! {
    "namespace methods take `&self`, not `&mut self`: one instance is shared by every client; keep mutable state behind a `Mutex` or an atomic"
}
::core::compile_error! {
    "namespace methods take `&self`: one instance is shared by every client, so a method cannot take `self` by value"
}
::core::compile_error! {
    "an `#[on]` method takes `&self` as its first parameter: add `&self`"
}
::core::compile_error! {
    "event `b` already has a handler, `b`: keep one of the two methods"
}
::core::compile_error! {
    "event `b` is first handled here, by `b`"
}
