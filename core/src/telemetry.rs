//! Logs: tracing with JSON lines (or text for people at a terminal). Every entry point opens a
//! span carrying a `trace_id` that travels with the update and its job through the queue.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once per process. Errors (a second call in tests) are ignored.
pub fn init(json: bool, level: &str) {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal, never in a file or `kubectl logs`.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
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

/// An error with its causes, for one log field: `outer: cause: root cause`. Log errors where
/// they are handled as `error = %chain(&e)` so "database error" never hides what the database
/// said.
pub fn chain<'a>(error: &'a (dyn std::error::Error + Send + Sync + 'static)) -> Chain<'a> {
    Chain(error)
}

/// See [`chain`].
pub struct Chain<'a>(&'a (dyn std::error::Error + Send + Sync + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// A new trace id: 16 random bytes as hex.
pub fn new_trace_id() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("database error")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_chain_shows_every_cause() {
        let error = Outer(std::io::Error::other("connection refused"));
        assert_eq!(
            chain(&error).to_string(),
            "database error: connection refused"
        );
    }
}
