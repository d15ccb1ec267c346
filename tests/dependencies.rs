//! Every dependency a crate of the workspace declares is used: `cargo machete` finds none
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
