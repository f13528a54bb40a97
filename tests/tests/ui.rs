//! trybuild UI tests for the macros: every compile error has a case in `ui/<category>/` with
//! its expected `.stderr`; `ui/pass/` holds cases that must compile and run.
//!
//! One test per category, so that a failure names its category in the test summary even when
//! only the end of the output is kept (trybuild serializes the runs with a file lock).
//! Run with `cargo test -p socketio-tests --all-features --test ui`; after an intended change to
//! a message, rerun with `TRYBUILD=overwrite` and review the `.stderr` diff.

fn compile_fail(category: &str) {
    trybuild::TestCases::new().compile_fail(format!("ui/{category}/*.rs"));
}

#[test]
fn ui_namespace() {
    compile_fail("namespace");
}

#[test]
fn ui_on() {
    compile_fail("on");
}

#[test]
fn ui_event() {
    compile_fail("event");
}

#[test]
fn ui_types() {
    compile_fail("types");
}

#[test]
fn ui_emits() {
    compile_fail("emits");
}

#[test]
fn ui_pass() {
    trybuild::TestCases::new().pass("ui/pass/*.rs");
}
