//! `scribe`: one binary, one subcommand per role. Everything here is wiring; the behaviour lives
//! in the library crates.
#![forbid(unsafe_code)]

mod cli;
mod cluster;
mod standalone;
mod startup;
mod transcribe;

fn main() -> std::process::ExitCode {
    cli::main()
}
