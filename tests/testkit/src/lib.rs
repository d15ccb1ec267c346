//! Test support over real services and real tools: a fresh PostgreSQL database per test, SQLite
//! files, and speech audio generated with espeak-ng and ffmpeg (never downloaded).
#![forbid(unsafe_code)]

pub mod audio;
pub mod database;
