//! Logs: tracing with JSON lines (or text for people at a terminal). Every entry point opens a
//! span carrying a `trace_id` that travels with the update and its job through the queue.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once per process. Errors (a second call in tests) are ignored.
pub fn init(json: bool, level: &str) {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// A new trace id: 16 random bytes as hex.
pub fn new_trace_id() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}
