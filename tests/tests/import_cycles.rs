//! No import circle among the files of `socketio/src` (CONTRIBUTING.md, "The layers").
//!
//! Every file is a node; a file depends on another when it names an item defined there: in a
//! `use` declaration or in a `crate::`/`super::`/`self::` path in its code (comments, strings
//! and `#[cfg(test)] mod` blocks are ignored: a unit test may reach any layer). A path into a
//! module whose file only re-exports the item (`pub use x::Item`) depends on the file defining
//! it, so a `mod.rs` that re-exports its children is not part of their circles. The test
//! fails when the graph has a cycle and names the files around it.
//!
//! The parser knows only what this crate uses: `mod x;` files (`x.rs` or `x/mod.rs`), inline
//! `mod x { .. }` blocks, nested `use` trees, `r#"..."#` strings. It needs no dependency.

// A test tool: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path, `["crate", "server", "socket"]`.
type ModPath = Vec<String>;

struct File {
    rel: String,
    module: ModPath,
    /// The code without comments, strings and `#[cfg(test)]` modules.
    code: String,
}

fn module_of(rel: &Path) -> ModPath {
    let mut m = vec!["crate".to_owned()];
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    for (i, p) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if !last {
            m.push(p.clone());
        } else if p != "lib.rs" && p != "mod.rs" {
            m.push(p.trim_end_matches(".rs").to_owned());
        }
    }
    m
}

fn collect(dir: &Path, root: &Path, out: &mut Vec<File>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, root, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let rel = p.strip_prefix(root).unwrap();
            let src = std::fs::read_to_string(&p).unwrap();
            out.push(File {
                rel: rel.to_string_lossy().into_owned(),
                module: module_of(rel),
                code: drop_test_modules(&strip(&src)),
            });
        }
    }
}

/// Replace comments, string and char literals by spaces (keeping line structure).
fn strip(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == b'r' && matches!(b.get(i + 1), Some(b'"' | b'#')) && !ident_before(b, i) {
            // Raw string r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(c as char);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == b'"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&b'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == b'\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            let close = if b.get(i + 1) == Some(&b'\\') {
                (i + 2..b.len().min(i + 12)).find(|&j| b[j] == b'\'')
            } else if b.get(i + 2) == Some(&b'\'') {
                Some(i + 2)
            } else {
                None
            };
            match close {
                Some(j) => {
                    out.push_str("' '");
                    i = j + 1;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            out.push(c as char);
            i += 1;
        }
    }
    out
}

fn ident_before(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// Remove `#[cfg(test)] mod name { ... }` blocks (unit tests may import any layer).
fn drop_test_modules(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        let is_mod = trimmed.starts_with("mod ") || trimmed.starts_with("pub(crate) mod ");
        let brace = trimmed.find('{');
        let semi = trimmed.find(';');
        if is_mod && brace.is_some_and(|b| semi.is_none_or(|s| b < s)) {
            out.push_str(&rest[..at]);
            let start = after.len() - trimmed.len() + brace.unwrap();
            let body = &after[start..];
            let mut depth = 0usize;
            let mut end = body.len();
            for (k, ch) in body.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = k + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            rest = &body[end..];
        } else {
            out.push_str(&rest[..at + "#[cfg(test)]".len()]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The inline `mod x {` blocks of a file, as (byte range, module path).
fn inline_modules(f: &File) -> Vec<(std::ops::Range<usize>, ModPath)> {
    let mut found = Vec::new();
    let code = f.code.as_bytes();
    let mut stack: Vec<(usize, ModPath)> = Vec::new(); // (brace depth at open, path)
    let mut depth = 0usize;
    let mut i = 0;
    while i < code.len() {
        match code[i] {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if stack.last().is_some_and(|(d, _)| *d == depth) {
                    let (_, path) = stack.pop().unwrap();
                    if let Some(last) = found.iter_mut().rev().find(
                        |(r, p): &&mut (std::ops::Range<usize>, ModPath)| {
                            *p == path && r.end == usize::MAX
                        },
                    ) {
                        last.0.end = i;
                    }
                }
            }
            b'm' if f.code[i..].starts_with("mod ") && !ident_before(code, i) => {
                let rest = &f.code[i + 4..];
                let name: String = rest
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let after = rest.trim_start()[name.len()..].trim_start();
                if after.starts_with('{') {
                    let mut path = stack
                        .last()
                        .map(|(_, p)| p.clone())
                        .unwrap_or_else(|| f.module.clone());
                    path.push(name);
                    stack.push((depth, path.clone()));
                    found.push((i..usize::MAX, path));
                }
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// The module a position of the file is in (its innermost inline module, or the file's).
fn module_at(f: &File, inline: &[(std::ops::Range<usize>, ModPath)], pos: usize) -> ModPath {
    inline
        .iter()
        .filter(|(r, _)| r.contains(&pos))
        .max_by_key(|(_, p)| p.len())
        .map(|(_, p)| p.clone())
        .unwrap_or_else(|| f.module.clone())
}

/// Expand a `use` tree (`a::{b, c::{d, e}}`) into its leaf paths.
fn expand(tree: &str) -> Vec<String> {
    // Drop renames (`X as Y`) and whitespace.
    let words: Vec<&str> = tree.split_whitespace().collect();
    let mut kept = String::new();
    let mut k = 0;
    while k < words.len() {
        if words[k] == "as" {
            // Skip the new name, keeping what follows it (`,` or `}`).
            let next = words.get(k + 1).copied().unwrap_or("");
            let tail = next.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
            kept.push_str(tail);
            k += 2;
        } else {
            kept.push_str(words[k]);
            k += 1;
        }
    }
    let tree = kept;
    fn go(prefix: &str, t: &str, out: &mut Vec<String>) {
        if let Some(open) = t.find('{') {
            let head = &t[..open];
            let inner = &t[open + 1..t.len() - 1];
            let mut depth = 0;
            let mut start = 0;
            let mut parts = Vec::new();
            for (k, ch) in inner.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        parts.push(&inner[start..k]);
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            parts.push(&inner[start..]);
            for p in parts.into_iter().filter(|p| !p.is_empty()) {
                go(&format!("{prefix}{head}"), p, out);
            }
        } else {
            out.push(format!("{prefix}{t}"));
        }
    }
    let mut out = Vec::new();
    go("", &tree, &mut out);
    out
}

/// Make `path` (as written in module `at`) absolute; `None` for paths outside the crate.
fn absolute(at: &ModPath, path: &str, modules: &BTreeMap<ModPath, usize>) -> Option<ModPath> {
    let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: ModPath;
    let mut i = 0;
    match segs.first()? {
        &"crate" => {
            base = vec!["crate".into()];
            i = 1;
        }
        &"self" => {
            base = at.clone();
            i = 1;
        }
        &"super" => {
            base = at.clone();
            while segs.get(i) == Some(&"super") {
                base.pop();
                i += 1;
            }
        }
        // A bare path in a `use` names a child module of `at` (or an external crate).
        first => {
            let mut child = at.clone();
            child.push((*first).to_owned());
            if !modules.contains_key(&child) {
                return None;
            }
            base = at.clone();
        }
    }
    for s in &segs[i..] {
        if *s == "self" {
            continue;
        }
        base.push((*s).to_owned());
    }
    Some(base)
}

struct Crate {
    files: Vec<File>,
    /// Module path -> index of the file (inline modules map to their file).
    by_module: BTreeMap<ModPath, usize>,
    /// Per file: `pub use` re-exports, name -> absolute target path.
    reexports: Vec<BTreeMap<String, ModPath>>,
    /// Per file: every path it names, with the module it is named from.
    paths: Vec<Vec<ModPath>>,
}

impl Crate {
    fn load(src: &Path) -> Self {
        let mut files = Vec::new();
        collect(src, src, &mut files);
        let mut by_module = BTreeMap::new();
        for (i, f) in files.iter().enumerate() {
            by_module.insert(f.module.clone(), i);
            for (_, p) in inline_modules(f) {
                by_module.insert(p, i);
            }
        }
        let mut reexports = vec![BTreeMap::new(); files.len()];
        let mut paths = vec![Vec::new(); files.len()];
        for (i, f) in files.iter().enumerate() {
            let inline = inline_modules(f);
            // `use` declarations.
            let mut k = 0;
            while let Some(off) = f.code[k..].find("use ") {
                let at = k + off;
                k = at + 4;
                if ident_before(f.code.as_bytes(), at) {
                    continue;
                }
                let Some(end) = f.code[at..].find(';') else {
                    break;
                };
                let line_start = f.code[..at]
                    .rfind(['\n', ';', '}', '{'])
                    .map_or(0, |p| p + 1);
                let prefix = f.code[line_start..at].trim();
                let public = prefix.starts_with("pub") && !prefix.contains("(super)");
                let module = module_at(f, &inline, at);
                for leaf in expand(&f.code[at + 4..at + end]) {
                    let leaf = leaf.trim_start_matches("::");
                    let Some(abs) = absolute(&module, leaf, &by_module) else {
                        continue;
                    };
                    if public && module == f.module {
                        if let Some(name) = abs.last()
                            && name != "*"
                        {
                            reexports[i].insert(name.clone(), abs.clone());
                        }
                        // A module re-exporting what its own submodules define is their
                        // facade, not a user of them.
                        if abs.len() > f.module.len() && abs[..f.module.len()] == f.module[..] {
                            continue;
                        }
                    }
                    paths[i].push(abs);
                }
                k = at + end;
            }
            // Paths in code: `crate::a::b`, `super::a`, `self::a` outside `use`.
            for start in ["crate::", "super::", "self::"] {
                let mut k = 0;
                while let Some(off) = f.code[k..].find(start) {
                    let at = k + off;
                    k = at + start.len();
                    if ident_before(f.code.as_bytes(), at) {
                        continue;
                    }
                    let text: String = f.code[at..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                        .collect();
                    // `use a::{..}` was read above, as a tree.
                    if f.code[at + text.len()..].starts_with('{') {
                        continue;
                    }
                    let module = module_at(f, &inline, at);
                    if let Some(abs) = absolute(&module, text.trim_end_matches(':'), &by_module) {
                        paths[i].push(abs);
                    }
                }
            }
        }
        Crate {
            files,
            by_module,
            reexports,
            paths,
        }
    }

    /// The file that defines the item at `path`: the deepest module file on the path,
    /// following re-exports.
    fn defining_file(&self, path: &ModPath, hops: usize) -> Option<usize> {
        let (len, file) = (1..=path.len())
            .rev()
            .find_map(|n| self.by_module.get(&path[..n]).map(|f| (n, *f)))?;
        if hops < 8
            && let Some(name) = path.get(len)
            && let Some(target) = self.reexports[file].get(name)
            && (target.len() != len + 1 || target[..len] != path[..len])
        {
            let mut t = target.clone();
            t.extend_from_slice(&path[len + 1..]);
            return self.defining_file(&t, hops + 1).or(Some(file));
        }
        Some(file)
    }

    fn graph(&self) -> BTreeMap<usize, BTreeSet<usize>> {
        let mut g: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        for (i, ps) in self.paths.iter().enumerate() {
            let e = g.entry(i).or_default();
            for p in ps {
                if let Some(j) = self.defining_file(p, 0)
                    && j != i
                {
                    e.insert(j);
                }
            }
        }
        g
    }
}

/// One cycle of `g`, if any (depth-first search, the cycle in file order of discovery).
fn find_cycle(g: &BTreeMap<usize, BTreeSet<usize>>) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        n: usize,
        g: &BTreeMap<usize, BTreeSet<usize>>,
        mark: &mut BTreeMap<usize, Mark>,
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        mark.insert(n, Mark::Open);
        stack.push(n);
        for &m in g.get(&n).into_iter().flatten() {
            match mark.get(&m).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let from = stack.iter().position(|&x| x == m).unwrap();
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(m);
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(m, g, mark, stack) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        mark.insert(n, Mark::Done);
        None
    }
    let mut mark = BTreeMap::new();
    for &n in g.keys() {
        if mark.get(&n).copied().unwrap_or(Mark::New) == Mark::New
            && let Some(c) = visit(n, g, &mut mark, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../socketio/src")
}

#[test]
fn no_import_cycle_among_the_files_of_the_crate() {
    let krate = Crate::load(&src_dir());
    assert!(
        krate.files.len() > 20,
        "found only {} files",
        krate.files.len()
    );
    let g = krate.graph();
    if let Some(cycle) = find_cycle(&g) {
        let names: Vec<&str> = cycle.iter().map(|&i| krate.files[i].rel.as_str()).collect();
        let mut msg = format!(
            "import cycle among the files of socketio/src: {}\n\
             (modules import downwards only, see CONTRIBUTING.md; the edges:",
            names.join(" -> ")
        );
        for w in cycle.windows(2) {
            let (a, b) = (w[0], w[1]);
            let via: BTreeSet<String> = krate.paths[a]
                .iter()
                .filter(|p| krate.defining_file(p, 0) == Some(b))
                .map(|p| p.join("::"))
                .collect();
            msg.push_str(&format!(
                "\n  {} names {}",
                krate.files[a].rel,
                via.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        msg.push(')');
        panic!("{msg}");
    }
}

/// The checker itself: it must see the edges this crate is known to have, or a cycle could
/// hide behind a parsing gap.
#[test]
fn the_checker_sees_known_edges() {
    let krate = Crate::load(&src_dir());
    let g = krate.graph();
    let idx = |rel: &str| {
        krate
            .files
            .iter()
            .position(|f| f.rel == rel)
            .unwrap_or_else(|| panic!("no file {rel}"))
    };
    let has = |a: &str, b: &str| g[&idx(a)].contains(&idx(b));
    // `use crate::proto::...` in the engine, `super::` within the server, a path in code.
    assert!(has("engine/core.rs", "proto/eio.rs"));
    assert!(has("server/client.rs", "server/tree.rs"));
    assert!(has("server/io.rs", "router.rs"));
    // A name re-exported by a `mod.rs` resolves to the file defining it, and a `mod.rs`
    // re-exporting its children is not their user.
    assert!(has("__private.rs", "server/types.rs"));
    assert!(!has("__private.rs", "server/mod.rs"));
    assert!(!has("server/mod.rs", "server/socket.rs"));
}

#[test]
fn the_checker_reports_a_cycle() {
    let mut g = BTreeMap::new();
    g.insert(0, BTreeSet::from([1]));
    g.insert(1, BTreeSet::from([2]));
    g.insert(2, BTreeSet::from([0]));
    g.insert(3, BTreeSet::from([0]));
    let c = find_cycle(&g).expect("a cycle");
    assert_eq!(c.first(), c.last());
    assert_eq!(c.len(), 4);
    g.get_mut(&2).unwrap().clear();
    assert!(find_cycle(&g).is_none());
}

#[test]
fn use_trees_expand() {
    assert_eq!(
        expand("super::state::{A, b::{C, D}, E as F}"),
        [
            "super::state::A",
            "super::state::b::C",
            "super::state::b::D",
            "super::state::E"
        ]
    );
}

/// `IMPORT_GRAPH=1 cargo test -p socketio-tests --test import_cycles print_graph -- --nocapture`
/// prints every file's dependencies.
#[test]
fn print_graph() {
    if std::env::var_os("IMPORT_GRAPH").is_none() {
        return;
    }
    let krate = Crate::load(&src_dir());
    for (a, bs) in krate.graph() {
        let names: Vec<&str> = bs.iter().map(|&b| krate.files[b].rel.as_str()).collect();
        println!("{} -> {}", krate.files[a].rel, names.join(" "));
    }
    for scc in cycles(&krate.graph()) {
        let names: Vec<&str> = scc.iter().map(|&i| krate.files[i].rel.as_str()).collect();
        println!("circle: {}", names.join(" "));
    }
}

/// The strongly connected components of more than one file (brute force: the graph is small).
fn cycles(g: &BTreeMap<usize, BTreeSet<usize>>) -> Vec<BTreeSet<usize>> {
    let reach = |from: usize| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(n) = todo.pop() {
            for &m in g.get(&n).into_iter().flatten() {
                if seen.insert(m) {
                    todo.push(m);
                }
            }
        }
        seen
    };
    let all: BTreeMap<usize, BTreeSet<usize>> = g.keys().map(|&n| (n, reach(n))).collect();
    let mut out: Vec<BTreeSet<usize>> = Vec::new();
    for (&n, r) in &all {
        if !r.contains(&n) || out.iter().any(|s| s.contains(&n)) {
            continue;
        }
        out.push(r.iter().copied().filter(|m| all[m].contains(&n)).collect());
    }
    out
}
