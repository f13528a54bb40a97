//! Fuzz inputs replayed on stable: every file under `socketio/fuzz/regressions/<target>/` (crash inputs
//! the fuzzers found, kept once fixed) and `socketio/fuzz/corpus/<target>/` (the seeds), run through
//! the same property checks as the cargo-fuzz targets (`socketio/fuzz/checks.rs`), plus a few inputs
//! written out as byte literals. `socketio/fuzz/run.sh` runs the fuzzers themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../../socketio/fuzz/checks.rs"]
mod checks;

use std::path::Path;

/// Run `check` on every file of `socketio/fuzz/<dir>/<target>/`; returns how many there were.
fn replay(dir: &str, target: &str, check: fn(&[u8])) -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../socketio/fuzz")
        .join(dir)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&path) else {
        return 0;
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let r = std::panic::catch_unwind(|| check(&data));
        assert!(r.is_ok(), "{} fails its check", f.display());
    }
    files.len()
}

fn replay_all(target: &str, check: fn(&[u8])) {
    replay("regressions", target, check);
    let seeds = replay("corpus", target, check);
    assert!(seeds > 0, "no seed corpus for {target}");
}

#[test]
fn eio_packet() {
    replay_all("eio_packet", checks::eio_packet);
    for input in [&b""[..], b"7", b"\xff", b"1trailing", b"4\xe2\x82\xac"] {
        checks::eio_packet(input);
    }
}

#[test]
fn eio3_payload() {
    replay_all("eio3_payload", checks::eio3_payload);
    for input in [
        &b""[..],
        b"\x00",
        b"\x01",
        b"\x001:",
        b"\x0099999999999:4",
        b"\x002:4\xf0\x9f\x98\x80",
        b"\x01\x00\xff",
        b"\x01\x01\x01\xff\x04",
        b"\x01\x00\x09\x09\x09\x09\x09\x09\x09\x09\x09\x09\x09\xff",
    ] {
        checks::eio3_payload(input);
    }
}

#[test]
fn eio_payload() {
    replay_all("eio_payload", checks::eio_payload);
    for input in [
        &b""[..],
        b"\x1e",
        b"b",
        b"b\x1eb",
        b"bAQIDBA",
        b"4a\x1e\xff",
    ] {
        checks::eio_payload(input);
    }
}

#[test]
fn sio_decoder() {
    replay_all("sio_decoder", checks::sio_decoder);
    let ph = |n: u8| format!(r#"{{"_placeholder":true,"num":{n}}}"#);
    // Issue 8: one attachment named by many placeholders, and placeholders nested in one.
    let many = vec![ph(0); 1100].join(",");
    let inputs = [
        format!("\x0a51-[\"echo\",{many}]\x1e\x00abc"),
        format!("\x0a51-[\"echo\",{},{}]\x1e\x00abc", ph(0), ph(0)),
        format!("\x0a52-[\"echo\",{},{}]\x1e\x00a\x1e\x00b", ph(1), ph(0)),
        format!(
            "\x0a52-[\"e\",{{\"_placeholder\":true,\"num\":0,\"x\":{}}},{}]\x1e\x00a\x1e\x00b",
            ph(1),
            ph(1)
        ),
        "\x0a52-[\"e\",1]\x1e\x00a\x1e\x00b".to_owned(),
        "\x0051-[\"e\"]".to_owned(),
    ];
    for input in &inputs {
        checks::sio_decoder(input.as_bytes());
    }
}

#[test]
fn msgpack_decoder() {
    replay_all("msgpack_decoder", checks::msgpack_decoder);
    let deep = [
        b"\x00\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x92\xa1e".to_vec(),
        vec![0x91; 300],
    ]
    .concat();
    for input in [
        &b""[..],
        b"\x00",
        b"\x00\x80",
        b"\x00\xdf\xff\xff\xff\xff",
        // Two binary values over a limit of one; one within it, echoed.
        b"\x01\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x93\xa1e\xc4\x00\xc4\x00",
        b"\x01\x83\xa4type\x02\xa3nsp\xa1/\xa4data\x93\xa1e\xc4\x01\x07\x90",
        // `data` before `type`, an unknown key, a date, undefined, float 32, integer keys.
        b"\x00\x84\xa4data\x95\xa1e\xd7\x00\x00\x00\x00\x00\x00\x00\x00\x01\xd4\x00\x00\xca\x7f\xc0\x00\x00\x81\x01\xc3\xa1x\xc0\xa3nsp\xa1/\xa4type\x02",
        &deep,
    ] {
        checks::msgpack_decoder(input);
    }
}

#[test]
fn json_args() {
    replay_all("json_args", checks::json_args);
    let deep = format!("\x00[{}{}]", "[".repeat(200), "]".repeat(200));
    for input in [
        "\x00",
        "\x00{}",
        "\x01[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":0}]",
        "\x01[\"\\ud800\"]",
        "\x00[1e400]",
        // serde_json's default float parser is one ulp off here: fixed with `float_roundtrip`.
        "\x002.2220017225862202e+28",
        deep.as_str(),
    ] {
        checks::json_args(input.as_bytes());
    }
}

#[test]
fn json_array() {
    replay_all("json_array", checks::json_array);
    let deep = format!("[{}{}]", "[".repeat(126), "]".repeat(126));
    let deeper = format!("[{}{}]", "[".repeat(127), "]".repeat(127));
    for input in [
        "",
        "[",
        "[]",
        " [ ] ",
        "[1e400]",
        "[-0]",
        "[01]",
        "[\"\\ud800\"]",
        "[\"\u{1}\"]",
        deep.as_str(),
        deeper.as_str(),
        "[\"a\"] x",
        "[{\"a\":1,}]",
    ] {
        checks::json_array(input.as_bytes());
    }
}

#[test]
fn floats_read_as_sent() {
    for text in [
        "2.2220017225862202e+28",
        "22220017225862200171726754152.5662",
    ] {
        let v: f64 = serde_json::from_str(text).unwrap();
        let back: f64 = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(v.to_bits(), back.to_bits(), "{text}");
    }
    assert_eq!(
        serde_json::from_str::<f64>("2.2220017225862202e+28").unwrap(),
        2.2220017225862202e+28
    );
}

#[test]
fn pubsub() {
    replay_all("pubsub", checks::pubsub);
    let dup = br#"{"method":"emit","event":"e","data":[[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}],"AA=="],"binary":true}"#;
    assert!(socketio::adapter::pubsub::decode(dup).is_err());
    for input in [
        &b"{}"[..],
        b"{\"method\":\"emit\",\"event\":\"e\",\"data\":null}",
        dup,
    ] {
        checks::pubsub(input);
    }
}
