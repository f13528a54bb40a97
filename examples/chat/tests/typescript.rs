//! The chat's TypeScript contract, checked by the TypeScript compiler:
//!
//! - `static/contract.ts` is what `socketio::typescript` renders from `src/lib.rs`;
//! - the page script `static/app.ts` compiles with `tsc --strict` against it, to the committed
//!   `static/app.js` (which the server serves);
//! - every client file in `tests/ts-fail/` fails to compile with the error its `// expect:`
//!   line names (wrong event name, payload, ack, listener): the types bite.
//!
//! `tsc` comes from npm (`examples/chat/install.sh`, the committed lockfile). Without it the
//! compiler tests print a loud `SKIPPED:` line, or fail when `CI` or
//! `SOCKETIO_REQUIRE_SERVICES=1` is set. After an intended change, rerun with
//! `SOCKETIO_UPDATE_TYPESCRIPT=1` to rewrite `static/contract.ts` and `static/app.js`, and
//! review the diff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    chat::default_root()
}

fn updating() -> bool {
    std::env::var("SOCKETIO_UPDATE_TYPESCRIPT").is_ok_and(|v| v == "1")
}

fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
        || std::env::var("SOCKETIO_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// The npm-installed `tsc`, or `None` after a loud skip (a failure where it is required).
fn tsc() -> Option<PathBuf> {
    let tsc = root().join(".client/node_modules/typescript/bin/tsc");
    if tsc.is_file() {
        return Some(tsc);
    }
    let message = format!(
        "{} is missing: run examples/chat/install.sh (npm ci of examples/chat/npm)",
        tsc.display()
    );
    if required() {
        panic!("{message}");
    }
    eprintln!("\n*** SKIPPED: {message} ***\n");
    None
}

/// A scratch directory under the target dir, fresh for `name`.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("chat-tsc-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `tsc -p` on a project extending the example's `tsconfig.json` (strict, the client's
/// types) with `files` and extra `options`; returns (success, output).
fn compile(tsc: &Path, dir: &Path, files: &[PathBuf], options: &str) -> (bool, String) {
    let files: Vec<String> = files
        .iter()
        .map(|f| serde_json_string(&f.display().to_string()))
        .collect();
    let config = format!(
        "{{\"extends\": {}, \"compilerOptions\": {{{options}}}, \"files\": [{}]}}",
        serde_json_string(&root().join("tsconfig.json").display().to_string()),
        files.join(", ")
    );
    let project = dir.join("tsconfig.json");
    std::fs::write(&project, config).unwrap();
    let out = Command::new("node")
        .arg(tsc)
        .arg("-p")
        .arg(&project)
        .arg("--pretty")
        .arg("false")
        .current_dir(root())
        .output()
        .expect("run node (is it on PATH?)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn serde_json_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[test]
fn contract_is_fresh() {
    socketio::typescript::assert_typescript_fresh(root().join("static/contract.ts"));
}

#[test]
fn page_script_compiles_strict_to_the_served_js() {
    let Some(tsc) = tsc() else { return };
    let out_dir = scratch("page");
    let options = format!(
        "\"outDir\": {}, \"rootDir\": {}",
        serde_json_string(&out_dir.join("out").display().to_string()),
        serde_json_string(&root().join("static").display().to_string())
    );
    let (ok, output) = compile(&tsc, &out_dir, &[root().join("static/app.ts")], &options);
    assert!(
        ok,
        "static/app.ts does not compile with tsc --strict:\n{output}"
    );
    let compiled = std::fs::read_to_string(out_dir.join("out/app.js")).unwrap();
    let served = root().join("static/app.js");
    if updating() {
        std::fs::write(&served, &compiled).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&served).unwrap_or_default();
    assert!(
        committed == compiled,
        "static/app.js is not the compiled static/app.ts: rerun with \
         SOCKETIO_UPDATE_TYPESCRIPT=1 and review the diff"
    );
}

#[test]
fn client_files_that_break_the_contract_fail_to_compile() {
    let Some(tsc) = tsc() else { return };
    let dir = root().join("tests/ts-fail");
    let mut cases: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "ts"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let expect = text
                .lines()
                .find_map(|line| line.strip_prefix("// expect: "))
                .unwrap_or_else(|| panic!("{} has no `// expect: TSxxxx ..` line", path.display()))
                .to_owned();
            (path, expect)
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 6, "the must-fail cases are missing");
    // One program: each file is a module of its own, so one file's errors do not hide
    // another's.
    let files: Vec<PathBuf> = cases.iter().map(|(path, _)| path.clone()).collect();
    let (ok, output) = compile(&tsc, &scratch("fail"), &files, "\"noEmit\": true");
    assert!(!ok, "the must-fail files compiled:\n{output}");
    // Errors, each with its continuation lines, by file name.
    let mut errors: Vec<(String, String)> = Vec::new();
    for line in output.lines() {
        match line.split_once(".ts(") {
            Some((file, _)) if !line.starts_with(' ') => {
                errors.push((format!("{file}.ts"), line.to_owned()));
            }
            _ => {
                if let Some((_, text)) = errors.last_mut() {
                    text.push('\n');
                    text.push_str(line);
                }
            }
        }
    }
    for (file, text) in &errors {
        assert!(
            file.contains("ts-fail/"),
            "an error outside the must-fail files (the contract or the client's types):\n{text}"
        );
    }
    for (path, expect) in &cases {
        let name = path.file_name().unwrap().to_str().unwrap();
        let (code, fragment) = expect.split_once(' ').unwrap_or((expect, ""));
        let mine: Vec<&String> = errors
            .iter()
            .filter(|(file, _)| file.ends_with(&format!("ts-fail/{name}")))
            .map(|(_, text)| text)
            .collect();
        assert!(
            mine.len() == 1,
            "{name}: expected exactly one error ({expect}), got {}:\n{output}",
            mine.len()
        );
        let text = mine[0];
        assert!(
            text.contains(&format!("error {code}:")) && text.contains(fragment),
            "{name}: expected {code} with `{fragment}`, got:\n{text}"
        );
    }
}
