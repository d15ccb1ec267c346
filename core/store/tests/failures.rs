//! Which database failures are worth retrying (`Classify` on `scribe_store::Error`), from real
//! failures of the real servers wherever one can be caused on demand: a restart or failover
//! (a terminated connection, "cannot connect now"), a standby's read-only transaction, SQLite
//! busy and busy-snapshot locks, nothing listening, a closed pool. SQLSTATEs that need a
//! cluster in trouble to occur (too many connections, serialization failure, …) are raised by
//! PL/pgSQL with exactly that code, which the server reports as it would its own.

use std::str::FromStr;
use std::time::Duration;

use scribe_core::Secret;
use scribe_core::retry::{Classify, Retry};
use scribe_store::{DbError, Error, Store};
use scribe_testkit::database::{TestDatabase, postgres_admin_url};
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode};
use sqlx::{AssertSqlSafe, Connection, Executor};

const TRANSIENT: Retry = Retry::Transient { after: None };

fn classified(error: DbError) -> Retry {
    Error::Db(error).retry()
}

/// The SQLSTATE of a database error.
fn code(error: &DbError) -> Option<String> {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned())
}

async fn postgres() -> PgConnection {
    let url = postgres_admin_url();
    PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} is needed for this test: {e}"))
}

/// The error PostgreSQL reports for a PL/pgSQL `RAISE` with SQLSTATE `code`.
async fn raised(conn: &mut PgConnection, code: &str) -> DbError {
    let sql =
        format!("DO $$ BEGIN RAISE EXCEPTION 'test failure' USING ERRCODE = '{code}'; END $$");
    conn.execute(AssertSqlSafe(sql))
        .await
        .expect_err("RAISE fails the statement")
}

#[tokio::test]
async fn postgres_sqlstates_of_restarts_failovers_and_overload_are_transient() {
    let mut conn = postgres().await;
    let cases = [
        // Connection exceptions (class 08).
        ("08000", TRANSIENT),
        ("08001", TRANSIENT),
        ("08003", TRANSIENT),
        ("08006", TRANSIENT),
        // Serialization failure and deadlock: the transaction may simply be run again.
        ("40001", TRANSIENT),
        ("40P01", TRANSIENT),
        // Insufficient resources (class 53): too many connections, out of memory, disk full.
        ("53000", TRANSIENT),
        ("53100", TRANSIENT),
        ("53200", TRANSIENT),
        ("53300", TRANSIENT),
        // Operator intervention: admin shutdown, crash shutdown, cannot connect now.
        ("57P01", TRANSIENT),
        ("57P02", TRANSIENT),
        ("57P03", TRANSIENT),
        // A read-only transaction: a standby, or a connection to the old primary.
        ("25006", TRANSIENT),
        // Everything else fails the same way again.
        ("23505", Retry::Permanent),
        ("23503", Retry::Permanent),
        ("23514", Retry::Permanent),
        ("22P02", Retry::Permanent),
        ("42P01", Retry::Permanent),
        ("42501", Retry::Permanent),
        ("3D000", Retry::Permanent),
        ("28P01", Retry::Permanent),
        ("P0001", Retry::Permanent),
    ];
    for (sqlstate, expected) in cases {
        let error = raised(&mut conn, sqlstate).await;
        assert_eq!(code(&error).as_deref(), Some(sqlstate), "{error}");
        assert_eq!(classified(error), expected, "SQLSTATE {sqlstate}");
    }
    conn.close().await.expect("close");
}

#[tokio::test]
async fn a_connection_terminated_by_the_server_is_transient() {
    // What a restart, a failover or `pg_terminate_backend` does to a pooled connection.
    let mut victim = postgres().await;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut victim)
        .await
        .expect("pid");
    let mut admin = postgres().await;
    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(&mut admin)
        .await
        .expect("terminate");
    assert!(terminated);
    let error = sqlx::query("SELECT 1")
        .execute(&mut victim)
        .await
        .expect_err("the connection is gone");
    // The server says 57P01 before it closes the socket; a client that reads the close first
    // sees an I/O error. Both pass.
    let shown = format!("{error:?}");
    assert!(
        code(&error).as_deref() == Some("57P01") || matches!(error, DbError::Io(_)),
        "{shown}"
    );
    assert_eq!(classified(error), TRANSIENT, "{shown}");
    admin.close().await.expect("close");
}

#[tokio::test]
async fn a_write_on_a_read_only_session_is_transient() {
    // A standby (or a primary just demoted) refuses writes with 25006.
    let mut conn = postgres().await;
    conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        .await
        .expect("read only");
    let error = conn
        .execute("CREATE TABLE scribe_read_only_probe (x int)")
        .await
        .expect_err("read only");
    assert_eq!(code(&error).as_deref(), Some("25006"), "{error}");
    assert_eq!(classified(error), TRANSIENT);
    conn.close().await.expect("close");
}

#[tokio::test]
async fn a_constraint_violation_is_permanent() {
    let mut conn = postgres().await;
    conn.execute("CREATE TEMP TABLE once (id int PRIMARY KEY)")
        .await
        .expect("table");
    conn.execute("INSERT INTO once VALUES (1)")
        .await
        .expect("first");
    let error = conn
        .execute("INSERT INTO once VALUES (1)")
        .await
        .expect_err("duplicate");
    assert_eq!(code(&error).as_deref(), Some("23505"), "{error}");
    assert_eq!(classified(error), Retry::Permanent);
    conn.close().await.expect("close");
}

/// Two connections to one SQLite file in WAL mode that give up on a lock at once.
async fn sqlite_pair(db: &TestDatabase) -> (SqliteConnection, SqliteConnection) {
    let options = SqliteConnectOptions::from_str(&db.url)
        .expect("a SQLite URL")
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::ZERO);
    let mut first = SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    first
        .execute("CREATE TABLE t (x INTEGER)")
        .await
        .expect("table");
    let second = SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    (first, second)
}

#[tokio::test]
async fn sqlite_busy_is_transient() {
    let db = TestDatabase::sqlite();
    let (mut writer, mut other) = sqlite_pair(&db).await;
    writer.execute("BEGIN IMMEDIATE").await.expect("lock");
    let error = other
        .execute("BEGIN IMMEDIATE")
        .await
        .expect_err("the write lock is taken");
    assert_eq!(code(&error).as_deref(), Some("5"), "{error}");
    assert_eq!(classified(error), TRANSIENT);
    writer.execute("COMMIT").await.expect("commit");
}

#[tokio::test]
async fn sqlite_busy_snapshot_is_transient() {
    // A reader's snapshot went stale under a concurrent write: its own write must start over.
    let db = TestDatabase::sqlite();
    let (mut reader, mut writer) = sqlite_pair(&db).await;
    reader.execute("BEGIN").await.expect("begin");
    reader
        .execute("SELECT count(*) FROM t")
        .await
        .expect("snapshot");
    writer
        .execute("INSERT INTO t VALUES (1)")
        .await
        .expect("write");
    let error = reader
        .execute("INSERT INTO t VALUES (2)")
        .await
        .expect_err("stale snapshot");
    assert_eq!(code(&error).as_deref(), Some("517"), "{error}");
    assert_eq!(classified(error), TRANSIENT);
}

#[tokio::test]
async fn sqlite_constraint_and_schema_errors_are_permanent() {
    let db = TestDatabase::sqlite();
    let (mut conn, _) = sqlite_pair(&db).await;
    conn.execute("CREATE TABLE once (id INTEGER PRIMARY KEY)")
        .await
        .expect("table");
    conn.execute("INSERT INTO once VALUES (1)")
        .await
        .expect("first");
    let duplicate = conn
        .execute("INSERT INTO once VALUES (1)")
        .await
        .expect_err("duplicate");
    assert_eq!(classified(duplicate), Retry::Permanent);
    let missing = conn
        .execute("SELECT * FROM nowhere")
        .await
        .expect_err("no table");
    assert_eq!(classified(missing), Retry::Permanent);
}

#[tokio::test]
async fn a_server_nobody_listens_on_is_transient() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    // A direct connection: the store's pool would retry this for its whole acquire timeout.
    let error = PgConnection::connect(&format!("postgres://postgres@127.0.0.1:{port}/test"))
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, DbError::Io(_)), "{error:?}");
    assert_eq!(classified(error), TRANSIENT);
}

#[tokio::test]
async fn a_missing_database_is_permanent() {
    let admin = postgres_admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let missing = Store::connect(&Secret::new(format!("{base}/scribe_no_such_database")), 1)
        .await
        .expect_err("no such database");
    assert_eq!(missing.retry(), Retry::Permanent, "{missing:?}");
}

#[tokio::test]
async fn a_closed_pool_is_transient() {
    // During shutdown: the work is handed back and done by another replica.
    let db = TestDatabase::sqlite();
    let store = Store::connect(&Secret::new(db.url.clone()), 1)
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    store.close().await;
    let error = store.user(1).await.expect_err("closed");
    assert!(matches!(error, Error::Db(DbError::PoolClosed)), "{error:?}");
    assert_eq!(error.retry(), TRANSIENT);
}

#[test]
fn domain_errors_are_permanent() {
    for error in [
        Error::Insufficient {
            balance: 10,
            needed: 60,
        },
        Error::NotFound("job"),
        Error::Migrate(sqlx::migrate::MigrateError::VersionMissing(3)),
        Error::Db(DbError::RowNotFound),
        Error::Db(DbError::ColumnNotFound("balance".into())),
    ] {
        assert_eq!(error.retry(), Retry::Permanent, "{error:?}");
    }
    for error in [
        DbError::PoolTimedOut,
        DbError::PoolClosed,
        DbError::WorkerCrashed,
    ] {
        assert_eq!(classified(error), TRANSIENT);
    }
}
