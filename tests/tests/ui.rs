//! trybuild UI tests for the macros: every compile error has a case in `ui/<category>/` with
//! its expected `.stderr`; `ui/pass/` holds cases that must compile and run.
//!
//! Run with `cargo test -p socketio-tests --test ui`; after an intended change to a message,
//! rerun with `TRYBUILD=overwrite` and review the `.stderr` diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/namespace/*.rs");
    cases.compile_fail("ui/on/*.rs");
    cases.compile_fail("ui/event/*.rs");
    cases.compile_fail("ui/types/*.rs");
    cases.pass("ui/pass/*.rs");
}
