//! `socketio::typescript`: what a namespace's contract renders to, rule by rule (parameters,
//! acks, auth, emits, serde attributes through ts-rs, bytes, large integers, types without
//! `TS`), and the errors of a contract that cannot be rendered.
#![allow(missing_docs, dead_code, unused_variables, clippy::unwrap_used)]

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use socketio::typescript::{Contract, ContractError, TS};
use socketio::{AckSender, Args, EventName, Rest, Socket, SocketIo, State, namespace};

#[derive(Deserialize, TS)]
#[ts(crate = "socketio::typescript::ts_rs")]
#[serde(rename_all = "camelCase")]
struct Auth {
    user_token: String,
    #[serde(rename = "v")]
    version: Option<u32>,
}

#[derive(Serialize, Deserialize, TS)]
#[ts(crate = "socketio::typescript::ts_rs")]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
enum Command {
    Move { x: i32, y: i32 },
    Say(String),
    Quit,
}

#[derive(Serialize, Deserialize, TS)]
#[ts(crate = "socketio::typescript::ts_rs")]
#[serde(untagged)]
enum Either {
    Number(f64),
    Text(String),
}

#[derive(Serialize, Deserialize, TS)]
#[ts(crate = "socketio::typescript::ts_rs")]
struct Upload {
    name: String,
    #[serde(with = "serde_bytes")]
    #[ts(as = "socketio::typescript::Binary")]
    data: Vec<u8>,
    tags: HashMap<String, Vec<Either>>,
    size: u64,
    #[serde(skip)]
    local: bool,
}

#[derive(Serialize, TS, socketio::Event)]
#[ts(crate = "socketio::typescript::ts_rs")]
#[event("state")]
struct GameState {
    players: Vec<String>,
}

#[derive(Serialize, TS, socketio::Event)]
#[ts(crate = "socketio::typescript::ts_rs")]
#[event("bye bye")]
struct Bye;

/// A type without `TS`: rendered `unknown`, and listed.
#[derive(Deserialize)]
struct Opaque {
    anything: u8,
}

struct Game;

#[namespace("/game", register = false, emits(GameState, Bye))]
impl Game {
    #[on(connect)]
    fn connect(&self, socket: Socket, auth: Auth) {}

    #[on("command")]
    fn command(&self, socket: Socket, command: Command, io: SocketIo) -> Result<Either, String> {
        Err(String::new())
    }

    #[on("upload")]
    async fn upload(&self, upload: Upload, _state: State<u8>) -> (u64, bool) {
        (0, true)
    }

    #[on("ping")]
    fn ping(&self, name: EventName) {}

    #[on("done")]
    fn done(&self, opaque: Opaque) -> Result<(), String> {
        Ok(())
    }

    #[on("manual")]
    fn manual(&self, ack: AckSender, n: i64) {}

    #[on("many")]
    fn many(&self, first: String, rest: Rest<u8>) {}

    #[on("raw")]
    fn raw(&self, (a, b): (u8, u8), args: Args) {}

    #[on("maybe")]
    fn maybe(&self, n: socketio::TryData<u8>, s: socketio::TryData<Opaque>) {}

    #[on("*")]
    fn any(&self, name: EventName) {}
}

fn render() -> String {
    Contract::new().namespace::<Game>().render().unwrap()
}

fn line<'a>(ts: &'a str, start: &str) -> &'a str {
    ts.lines()
        .find(|l| l.trim_start().starts_with(start))
        .unwrap_or_else(|| panic!("no line starting with {start:?} in:\n{ts}"))
        .trim()
}

#[test]
fn event_parameters_skip_context_and_keep_payload_arguments_in_order() {
    let ts = render();
    assert_eq!(
        line(&ts, "\"command\""),
        "\"command\": (command: Command, ack: (res: Either | { error: string }) => void) => void;"
    );
    assert_eq!(line(&ts, "\"ping\""), "\"ping\": () => void;");
    assert_eq!(
        line(&ts, "\"many\""),
        "\"many\": (first: string, ...rest: Array<number>) => void;"
    );
    // A pattern parameter is named by position; `Args` is every remaining argument.
    assert_eq!(
        line(&ts, "\"raw\""),
        "\"raw\": (arg0: [number, number], ...args: Array<unknown>) => void;"
    );
    // `TryData<T>` is an argument of `T`'s type (`unknown` without one).
    assert_eq!(
        line(&ts, "\"maybe\""),
        "\"maybe\": (n: number, s: unknown) => void;"
    );
}

#[test]
fn acks_follow_the_return_value_rule() {
    let ts = render();
    // A tuple is several ack arguments; a leading `_` is dropped from names.
    assert_eq!(
        line(&ts, "\"upload\""),
        "\"upload\": (upload: Upload, ack: (res: number, res1: boolean) => void) => void;"
    );
    assert_eq!(
        line(&ts, "\"done\""),
        "\"done\": (opaque: unknown, ack: (res: undefined | { error: string }) => void) => void;"
    );
    assert_eq!(
        line(&ts, "\"manual\""),
        "\"manual\": (n: number, ack: (...args: unknown[]) => void) => void;"
    );
}

#[test]
fn emits_auth_and_catch_all() {
    let ts = render();
    assert!(ts.contains(
        "export interface GameServerToClientEvents {\n  \"state\": (payload: GameState) => void;\n  \"bye bye\": (payload: Bye) => void;\n}"
    ));
    assert!(ts.contains("export type GameAuth = Auth;"), "{ts}");
    assert!(ts.contains("// and any other event, for its catch-all handler"));
}

#[test]
fn payload_types_honour_serde_attributes() {
    let ts = render();
    let auth = line(&ts, "export type Auth");
    assert!(auth.contains("userToken: string"), "{auth}");
    assert!(auth.contains("v: number | null"), "{auth}");
    let command = line(&ts, "export type Command");
    assert!(
        command.contains(r#"{ "kind": "move", "data": { x: number, y: number, } }"#),
        "{command}"
    );
    assert!(
        command.contains(r#"{ "kind": "say", "data": string }"#),
        "{command}"
    );
    assert!(command.contains(r#"{ "kind": "quit" }"#), "{command}");
    assert_eq!(
        line(&ts, "export type Either"),
        "export type Either = number | string;"
    );
    let upload = ts
        .split("export type Upload = ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap();
    assert!(
        upload.contains("data: ArrayBuffer | Uint8Array"),
        "{upload}"
    );
    assert!(
        upload.contains("tags: { [key in string]: Array<Either> }"),
        "{upload}"
    );
    // 64-bit integers travel as JSON numbers.
    assert!(upload.contains("size: number"), "{upload}");
    assert!(!upload.contains("local"), "{upload}");
}

#[test]
fn types_without_ts_are_unknown_and_listed() {
    let ts = render();
    assert!(ts.contains("// Rendered `unknown`: these Rust types do not implement `ts_rs::TS`:"));
    assert!(ts.contains("typescript::Opaque"), "{ts}");
    assert!(!ts.contains("export type Opaque"));
}

#[test]
fn every_declaration_appears_once_before_the_interfaces() {
    let ts = render();
    assert_eq!(ts.matches("export type Either =").count(), 1);
    let last_type = ts.rfind("export type Upload").unwrap();
    let interfaces = ts.find("export interface").unwrap();
    assert!(last_type < interfaces);
}

struct Other;

#[namespace("/game", register = false)]
impl Other {
    #[on("x")]
    fn x(&self) {}
}

mod second {
    pub struct Game;

    #[socketio::namespace("/second", register = false)]
    impl Game {}
}

#[test]
fn contracts_that_cannot_be_rendered_say_why() {
    assert_eq!(Contract::new().render(), Err(ContractError::Empty));
    let error = Contract::new()
        .namespace::<Game>()
        .namespace::<Other>()
        .render()
        .unwrap_err();
    assert!(matches!(
        error,
        ContractError::DuplicatePath { path: "/game", .. }
    ));
    assert!(
        error
            .to_string()
            .contains("namespace `/game` is described twice")
    );
    let error = Contract::new()
        .namespace::<Game>()
        .namespace::<second::Game>()
        .render()
        .unwrap_err();
    assert!(matches!(
        error,
        ContractError::DuplicateName { name: "Game", .. }
    ));
    // Adding the same namespace twice is not a conflict.
    Contract::new()
        .namespace::<Game>()
        .namespace::<Game>()
        .render()
        .unwrap();
}

#[test]
fn a_stale_file_fails_with_the_first_difference() {
    let dir = std::env::temp_dir().join(format!("socketio-ts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("contract.ts");
    let contract = Contract::new().namespace::<Game>();
    std::fs::write(&path, render().replace("\"ping\"", "\"pong\"")).unwrap();
    let message = std::panic::catch_unwind(|| contract.assert_fresh(&path))
        .unwrap_err()
        .downcast::<String>()
        .unwrap();
    assert!(
        message.contains("is stale: first difference at line"),
        "{message}"
    );
    assert!(
        message.contains("\"pong\"") && message.contains("\"ping\""),
        "{message}"
    );
    assert!(
        message.contains("SOCKETIO_UPDATE_TYPESCRIPT=1"),
        "{message}"
    );
    std::fs::write(&path, render()).unwrap();
    contract.assert_fresh(&path);
    std::fs::remove_dir_all(&dir).unwrap();
}
