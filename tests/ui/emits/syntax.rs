#![allow(unused)]
// `emits(..)` syntax errors, one namespace each: `emits = T`, a bare `emits`, an empty list,
// an event name instead of a type, a type listed twice, `emits` given twice, no comma.
use socketio::namespace;

struct A;
#[namespace("/a", emits = Line, register = false)]
impl A {}

struct B;
#[namespace("/b", emits, register = false)]
impl B {}

struct C;
#[namespace("/c", emits(), register = false)]
impl C {}

struct D;
#[namespace("/d", emits("message"), register = false)]
impl D {}

struct E;
#[namespace("/e", emits(Line, Line), register = false)]
impl E {}

struct F;
#[namespace("/f", emits(Line), emits(Notice), register = false)]
impl F {}

struct G;
#[namespace("/g", emits(Line Notice), register = false)]
impl G {}

fn main() {}
