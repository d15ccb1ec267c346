//! Test support over real services and real tools: a fresh PostgreSQL database per test, SQLite
//! files, speech audio generated with espeak-ng and ffmpeg (never downloaded), and the `scribe`
//! binary run against the fakes.
#![forbid(unsafe_code)]

pub mod audio;
pub mod bot;
pub mod cluster;
pub mod database;
pub mod listener;
pub mod process;
pub mod proxy;
pub mod rabbit;
pub mod seed;
