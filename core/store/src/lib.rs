//! The store: every row scribe keeps, over PostgreSQL or SQLite with the same portable SQL
//! (`$n` placeholders, integer epoch timestamps, `RETURNING`, `ON CONFLICT`). All SQL lives in
//! this crate's files; callers get typed functions. The all-in-one queue ([`StoreQueue`]) keeps
//! its messages here too.
#![forbid(unsafe_code)]

mod actions;
mod batches;
mod chats;
mod export;
mod jobs;
mod ledger;
mod payments;
mod presence;
mod queue;
mod queue_rows;
mod reports;
mod state;
mod transcripts;
mod updates;
mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Transaction};

/// The database driver's error, inside [`Error::Db`].
pub use sqlx::Error as DbError;

pub use actions::{ActionAnswer, ActionPrice, Cost, Press};
pub use batches::BatchPart;
pub use chats::{Group, epoch_day};
pub use export::{ExportTable, Row};
pub use jobs::{
    Claim, DailyCap, Intake, Job, JobPart, JobSource, JobState, JobStats, Keep, NewJob, Owner,
    UnknownState,
};
pub use ledger::{Applied, LedgerRow};
pub use payments::{Payment, PaymentState, Refund};
pub use queue::StoreQueue;
pub use queue_rows::QueueRow;
pub use reports::{STAGES, Stats, Timings, UserTotals, percentile};
pub use transcripts::{Forgotten, Transcript, TranscriptOwner};
pub use updates::UpdateClaim;
pub use users::{LongOutput, TrialState, User, UserSettings};

use scribe_core::retry::{Classify, Retry};
use scribe_core::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error")]
    Db(#[from] sqlx::Error),
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("balance too low: {balance} s available, {needed} s needed")]
    Insufficient { balance: i64, needed: i64 },
    #[error("{0} not found")]
    NotFound(&'static str),
}

impl Classify for Error {
    /// The database could not be reached, is restarting, failing over or overloaded: worth
    /// retrying later. Anything else (a constraint, a bug, low balance) is permanent.
    fn retry(&self) -> Retry {
        let transient = match self {
            Error::Db(e) => is_transient(e),
            Error::Migrate(_) | Error::Insufficient { .. } | Error::NotFound(_) => false,
        };
        if transient {
            Retry::Transient { after: None }
        } else {
            Retry::Permanent
        }
    }
}

fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().as_deref().is_some_and(is_transient_code),
        _ => false,
    }
}

/// SQLSTATE (PostgreSQL) and result codes (SQLite) of failures that pass: SQLite busy (5) and
/// busy snapshot (517); PostgreSQL connection exceptions (class 08), serialization failure and
/// deadlock, too many connections / out of resources (class 53), admin or crash shutdown and
/// "cannot connect now" (57P01–57P03, a restart or failover), a statement cancelled by
/// `statement_timeout` (57014, a loaded server), and a read-only transaction (a
/// standby just promoted, or a connection that still points at the old primary).
fn is_transient_code(code: &str) -> bool {
    matches!(
        code,
        "5" | "517" | "40001" | "40P01" | "57014" | "57P01" | "57P02" | "57P03" | "25006"
    ) || code.starts_with("08")
        || code.starts_with("53")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A SQLite URL that creates its file — and the file's directory — when missing, as every
/// tool people know does (`sqlite:///var/lib/scribe/scribe.db` on a fresh machine).
async fn sqlite_creating(url: &str) -> Result<String> {
    let rest = url.trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = path.strip_prefix("//").unwrap_or(path);
    if path.is_empty() || path.starts_with(":memory:") {
        return Ok(url.to_owned());
    }
    if let Some(dir) = std::path::Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| Error::Db(sqlx::Error::Io(e)))?;
    }
    Ok(if query.split('&').any(|p| p.starts_with("mode=")) {
        url.to_owned()
    } else if query.is_empty() {
        format!("{url}?mode=rwc")
    } else {
        format!("{url}&mode=rwc")
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A pool over either backend. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl Store {
    /// Connects (creating a SQLite file and its directory when missing). Does not migrate.
    pub async fn connect(url: &Secret, max_connections: u32) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let text = url.expose();
        let backend = if text.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let text = match backend {
            Backend::Sqlite => sqlite_creating(text).await?,
            Backend::Postgres => text.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&text)?;
        let mut pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            pool = pool.after_connect(|conn, _meta| {
                Box::pin(async move {
                    use sqlx::Executor;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            });
        }
        let pool = pool.connect_with(options).await?;
        Ok(Store { pool, backend })
    }

    /// Applies pending migrations. Safe when many replicas start at once: PostgreSQL
    /// migrations run under sqlx's advisory lock, SQLite under its write lock.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Postgres => POSTGRES.run(&self.pool).await?,
            Backend::Sqlite => SQLITE.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`), so a
    /// transaction that reads before it writes cannot fail to upgrade its lock.
    async fn begin(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
