//! The source tree keeps the shape a newcomer relies on: no file over 500 lines, no import
//! cycle between the modules of a crate, the code of the server's three processes (daemon,
//! session, session helper) never reaching into each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CRATES: [&str; 4] = [
    "wayray-protocol/src",
    "wayray-server/src",
    "wayray-client/src",
    "wayray-ctl/src",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file (`session/mod.rs` → `session`).
fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into()).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Paths that start with `crate::` or `super::` in a file, tests left out.
fn paths(text: &str) -> Vec<Vec<String>> {
    let code = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut found = Vec::new();
    for (i, _) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = code[i..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(code.len(), |n| i + n);
        found.push(code[i..end].split("::").map(String::from).collect());
    }
    found
}

/// Which modules of the crate each module uses.
fn module_graph(root: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_of(root, f), f.clone()))
        .collect();
    let mut graph = BTreeMap::new();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(file).unwrap();
        let mut uses = BTreeSet::new();
        for path in paths(&text) {
            let mut base = module.clone();
            let mut rest = path.as_slice();
            if rest.first().is_some_and(|p| p == "crate") {
                base.clear();
                rest = &rest[1..];
            }
            while rest.first().is_some_and(|p| p == "super") {
                base.pop();
                rest = &rest[1..];
            }
            let mut target = base;
            let mut best = None;
            for part in rest {
                target.push(part.clone());
                if modules.contains_key(&target) {
                    best = Some(target.clone());
                }
            }
            // A module may use its own ancestors' items (a parent's re-exports).
            if let Some(best) = best
                && &best != module
                && !module.starts_with(&best)
            {
                uses.insert(best);
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

/// A cycle through `start`, if there is one.
fn cycle_from(
    graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    start: &Vec<String>,
) -> Option<Vec<Vec<String>>> {
    let mut stack = vec![(start.clone(), vec![start.clone()])];
    let mut seen = BTreeSet::new();
    while let Some((node, trail)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                return Some(trail.clone());
            }
            if seen.insert(next.clone()) {
                let mut longer = trail.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_module_imports_form_a_cycle() {
    for krate in CRATES {
        let root = workspace().join(krate);
        let graph = module_graph(&root);
        assert!(graph.len() > 3, "{krate}: modules were found");
        for module in graph.keys() {
            if let Some(cycle) = cycle_from(&graph, module) {
                let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
                panic!("{krate}: import cycle {}", names.join(" → "));
            }
        }
    }
}

#[test]
fn the_three_processes_never_use_each_others_code() {
    const PROCESSES: [&str; 3] = ["daemon", "session", "sessiond"];
    let root = workspace().join("wayray-server/src");
    let graph = module_graph(&root);
    let mut checked = BTreeMap::<&str, usize>::new();
    for (module, uses) in &graph {
        let Some(side) = PROCESSES
            .into_iter()
            .find(|p| module.first().is_some_and(|m| m == p))
        else {
            continue;
        };
        *checked.entry(side).or_default() += 1;
        for used in uses {
            let other = used.first().map(String::as_str);
            assert!(
                other == Some(side) || !PROCESSES.iter().any(|p| other == Some(p)),
                "{} uses {}: the processes meet only through their sockets' protocols",
                module.join("::"),
                used.join("::")
            );
        }
    }
    assert!(
        checked["daemon"] > 20 && checked["session"] > 20,
        "{checked:?}"
    );
    assert!(checked["sessiond"] >= 3, "{checked:?}");
}

#[test]
fn no_source_file_is_over_500_lines() {
    let mut files = Vec::new();
    for dir in CRATES
        .iter()
        .chain(&["tests/src", "tests/tests", "tests/benches"])
    {
        rust_files(&workspace().join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            (lines > 500).then(|| format!("{} ({lines})", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by concern: {long:?}");
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let a = vec!["a".to_string()];
    let b = vec!["b".to_string()];
    let graph = BTreeMap::from([
        (a.clone(), BTreeSet::from([b.clone()])),
        (b.clone(), BTreeSet::from([a.clone()])),
    ]);
    assert!(cycle_from(&graph, &a).is_some());
    assert_eq!(
        paths("use super::grab::Grab; mycrate::z"),
        vec![vec!["super", "grab", "Grab"]]
    );
}
