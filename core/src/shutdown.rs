//! Shutdown is one token: SIGTERM or Ctrl-C cancels it, and every component watches it.

use tokio_util::sync::CancellationToken;

/// Cancels `token` on SIGTERM or Ctrl-C (SIGINT).
pub async fn on_signal(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                    () = token.cancelled() => return,
                }
            }
            Err(_) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    () = token.cancelled() => return,
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        tokio::select! {
            _ = ctrl_c => {}
            () = token.cancelled() => return,
        }
    }
    tracing::info!("shutdown signal received");
    token.cancel();
}
