//! Dependencies point where ARCHITECTURE.md says: the worker's modules import each other one
//! way, and every dependency a crate of the workspace declares is used: `cargo machete` finds none
//! unused. It reads the sources (about a second, no build), so a dependency used only through
//! a derive or a macro path can look unused to it: if that happens, name it under
//! `[package.metadata.cargo-machete] ignored` in that crate's `Cargo.toml`, with a comment
//! saying where it is used. `.ci/run` installs the tool; a missing tool fails the test with a
//! one-line hint instead of skipping it.

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `cargo-machete` from PATH, or a failed test that says how to get it.
fn cargo_machete() -> Command {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let tool = std::env::split_paths(&path)
        .map(|dir| dir.join("cargo-machete"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`cargo-machete` is not on PATH: run `bash .ci/run` once, which installs it \
                 (cargo install cargo-machete --locked --version 0.9.2)"
            )
        });
    let mut command = Command::new(tool);
    // Run directly, not as `cargo machete`: with `CARGO` set (as it is under `cargo test`) it
    // would take its first argument for the subcommand's name.
    command.env_remove("CARGO");
    command
}

#[test]
fn no_crate_declares_a_dependency_it_does_not_use() {
    let out = cargo_machete()
        .arg(root())
        .output()
        .expect("cargo machete runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "unused dependencies:\n{report}");
    assert!(
        report.contains("didn't find any unused dependencies"),
        "{report}"
    );
}

/// The top-level module (`jobs`, `pipeline`, `buttons`…) a file of `worker/src` belongs to, and
/// the top-level modules its non-test code names through `crate::`.
fn module_imports(file: &Path, src_root: &Path) -> (String, std::collections::BTreeSet<String>) {
    let relative = file.strip_prefix(src_root).expect("under src");
    let module = relative
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .map(|name| name.trim_end_matches(".rs").to_owned())
        .expect("a file name");
    let text = std::fs::read_to_string(file).expect("readable source");
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut named = std::collections::BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            // `crate::{a, b::C}`: the first segment of each path in the group.
            Some(group) => group
                .split('}')
                .next()
                .unwrap_or_default()
                .split(',')
                .map(|path| path.trim().split("::").next().unwrap_or_default())
                .collect(),
            None => vec![
                rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or_default(),
            ],
        };
        named.extend(
            names
                .into_iter()
                .filter(|n| n.starts_with(|c: char| c.is_ascii_lowercase()) && *n != module)
                .map(str::to_owned),
        );
    }
    (module, named)
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// ARCHITECTURE.md: inside `worker/src` the graph points one way (handlers never import the
/// router; shared types live in modules both sides use). A circle among its top-level modules
/// fails here with the modules that form it.
#[test]
fn the_workers_modules_import_each_other_one_way() {
    let src = root().join("worker/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        std::collections::BTreeMap::new();
    for file in &files {
        let (module, named) = module_imports(file, &src);
        graph.entry(module).or_default().extend(named);
    }
    graph.remove("lib");
    assert!(
        graph.contains_key("buttons") && graph["actions"].contains("buttons"),
        "the scan reads the imports: {graph:?}"
    );
    // Depth-first search for a back edge; reports the first circle found.
    fn visit(
        node: &str,
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if graph.contains_key(next)
                && let Some(circle) = visit(next, graph, path, done)
            {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    for node in graph.keys() {
        if let Some(circle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!(
                "worker/src modules import each other: {}",
                circle.join(" → ")
            );
        }
    }
}
