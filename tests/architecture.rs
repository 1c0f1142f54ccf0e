//! ARCHITECTURE.md stays true: every path it names exists, and the modules' imports form no
//! cycle (a module never imports one that imports it back, directly or around a loop).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::util::root;

/// The paths ARCHITECTURE.md names in backticks.
fn named_paths(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            [
                "src/",
                "templates/",
                "tests/",
                "scripts/",
                "docs/",
                "sample-data/",
                ".ci/",
            ]
            .iter()
            .any(|p| s.starts_with(p))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_path_architecture_names_exists() {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let named = named_paths(&text);
    assert!(
        named.len() > 40,
        "ARCHITECTURE.md names its files: {named:?}"
    );
    let missing: Vec<&String> = named
        .iter()
        .filter(|p| !p.contains('<') && !root().join(p.trim_end_matches('/')).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names files that do not exist: {missing:?}"
    );
    // And every module of src/ is on the map.
    let mut unnamed = Vec::new();
    for e in std::fs::read_dir(root().join("src")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = if e.path().is_dir() {
            format!("src/{name}/")
        } else {
            format!("src/{name}")
        };
        if !text.contains(&rel) {
            unnamed.push(rel);
        }
    }
    assert!(
        unnamed.is_empty(),
        "modules missing from ARCHITECTURE.md: {unnamed:?}"
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules each module imports (`crate::x`), comments aside.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "main" || top == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let mut rest = line;
            while let Some(i) = rest.find("crate::") {
                rest = &rest[i + 7..];
                let m: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !m.is_empty() && m != top {
                    graph.entry(top.clone()).or_default().insert(m);
                }
            }
        }
    }
    graph
}

#[test]
fn the_module_imports_form_no_cycle() {
    let graph = import_graph();
    assert!(
        graph.contains_key("review") && graph.contains_key("data"),
        "{graph:?}"
    );
    if let Some(c) = cycle_in(&graph) {
        panic!("import cycle: {}", c.join(" -> "));
    }
}

/// A Rust file's module path below `src/` (`data/aggregate/mod.rs` → `["data", "aggregate"]`).
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// A file's text without comments and without its inline or external test module.
fn code_of(text: &str) -> String {
    let cut = text.find("#[cfg(test)]\nmod ").map_or(text, |i| &text[..i]);
    cut.lines()
        .filter(|l| {
            let t = l.trim_start();
            !t.starts_with("//")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths a file names: every `crate::`, `super::` and `self::` path, `use` groups expanded.
fn paths_named(code: &str) -> Vec<Vec<String>> {
    fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        let tree = tree.trim();
        if let Some(open) = tree.find('{') {
            let head: Vec<String> = tree[..open]
                .split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let mut base = prefix.to_vec();
            base.extend(head);
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            // Split on top-level commas.
            let (mut depth, mut start) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&base, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand(&base, &inner[start..], out);
        } else {
            let mut p = prefix.to_vec();
            p.extend(
                tree.split(" as ")
                    .next()
                    .unwrap_or("")
                    .split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
            if !p.is_empty() {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    // `use` statements, groups and all.
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        rest = &rest[i + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = rest.find(';').unwrap_or(rest.len());
        expand(&[], &rest[..end], &mut out);
    }
    // Paths in code.
    for start in ["crate::", "super::", "self::"] {
        let mut rest = code;
        while let Some(i) = rest.find(start) {
            let before = rest[..i].chars().last();
            let tail = &rest[i..];
            rest = &rest[i + start.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.push(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            );
        }
    }
    out
}

/// Among the files below `src/<dir>/` (tests aside), which each one uses: a path that names an
/// item of another file of the folder (through `crate::`, `super::` or `self::`, re-exports
/// followed) is an edge to that file.
fn file_graph(dir: &str) -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src.join(dir), &mut files);
    let rel = |f: &Path| f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
    let is_test = |r: &str| {
        let name = r.rsplit('/').next().unwrap_or(r);
        name == "tests.rs" || name.ends_with("_tests.rs") || r.contains("/tests/")
    };
    let modules: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|f| rel(f))
        .filter(|r| !is_test(r))
        .map(|r| (module_of(&r), r))
        .collect();
    // Re-exports: `pub use a::b::Name;` in a module makes `module::Name` the file of `a::b`.
    let mut reexports: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for (module, file) in &modules {
        let code = code_of(&std::fs::read_to_string(src.join(file)).unwrap());
        for line in code
            .lines()
            .filter(|l| l.trim_start().starts_with("pub use "))
        {
            let stmt = line.trim_start().trim_start_matches("pub ");
            for p in paths_named(stmt) {
                if let Some(name) = p.last() {
                    let mut key = module.clone();
                    key.push(name.clone());
                    reexports.insert(key, resolve(module, &p));
                }
            }
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, file) in &modules {
        let code = code_of(&std::fs::read_to_string(src.join(file)).unwrap());
        for p in paths_named(&code) {
            let mut full = resolve(module, &p);
            if let Some(target) = reexports.get(&full) {
                full = target.clone();
            }
            // The longest module the path names.
            let target = (1..=full.len()).rev().find_map(|n| modules.get(&full[..n]));
            if let Some(t) = target
                && t != file
            {
                graph.entry(file.clone()).or_default().insert(t.clone());
            }
        }
        graph.entry(file.clone()).or_default();
    }
    graph
}

/// A path as named in `module`, from the crate's root.
fn resolve(module: &[String], path: &[String]) -> Vec<String> {
    let mut base: Vec<String> = module.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        // A bare path in a `use` is a crate's (std, polars) or a child module's.
        _ => {
            if rest
                .first()
                .is_some_and(|s| s.chars().next().is_some_and(char::is_uppercase))
            {
                return Vec::new();
            }
        }
    }
    base.extend(rest.iter().cloned());
    base
}

/// A cycle of the graph, if it has one (depth-first search for a back edge).
fn cycle_in(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_owned(), 1);
        path.push(n.to_owned());
        for m in graph.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let i = path.iter().position(|p| p == m).unwrap();
                    let mut cycle = path[i..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, graph, state, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        state.insert(n.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if !state.contains_key(n.as_str())
            && let Some(c) = visit(n, graph, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

/// The files of the data layer and of the charts depend on each other one way: no file uses one
/// that uses it back, directly or around a loop (a folder's `mod.rs` included).
#[test]
fn no_circle_among_the_files_of_data_and_charts() {
    for dir in ["data", "charts"] {
        let graph = file_graph(dir);
        assert!(graph.len() > 8, "{dir}: {graph:?}");
        if let Some(c) = cycle_in(&graph) {
            panic!("src/{dir}: a circle of files: {}", c.join(" -> "));
        }
    }
}

/// No file of `src/` but tests is over 800 lines.
#[test]
fn no_file_is_over_800_lines() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter(|f| {
            let name = f.file_name().unwrap().to_string_lossy();
            name != "tests.rs" && !name.ends_with("_tests.rs")
        })
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 800).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "files over 800 lines: {long:?}");
}

/// The circle finder itself: the edges it reads from the code are there, and a loop is found.
#[test]
fn the_circle_finder_sees_imports_and_finds_a_loop() {
    let graph = file_graph("data");
    let uses = |a: &str, b: &str| graph.get(a).is_some_and(|to| to.contains(b));
    assert!(uses("data/input.rs", "data/detect.rs"), "{graph:?}");
    assert!(
        uses("data/scan/group.rs", "data/scan/stream.rs"),
        "{graph:?}"
    );
    assert!(graph.get("data/detect.rs").is_some_and(|to| to.is_empty()));
    let mut looped = graph.clone();
    looped
        .get_mut("data/detect.rs")
        .unwrap()
        .insert("data/input.rs".to_owned());
    let c = cycle_in(&looped).expect("a loop through detect and input");
    assert!(c.contains(&"data/detect.rs".to_owned()) && c.contains(&"data/input.rs".to_owned()));
}
