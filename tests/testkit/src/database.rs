//! Databases for tests: a fresh PostgreSQL database on the local server (dropped at the end) or
//! a SQLite file in a temporary directory.

use std::future::Future;

use scribe_core::Secret;
use scribe_store::Store;
use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The server tests use; `SCRIBE_TEST_POSTGRES_URL` overrides.
pub fn postgres_admin_url() -> String {
    std::env::var("SCRIBE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    postgres_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A new, empty PostgreSQL database.
    pub async fn postgres() -> TestDatabase {
        let admin = postgres_admin_url();
        let name = format!("scribe_test_{:016x}", fastrand::u64(..));
        let mut conn = PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is needed for this test: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(b, _)| b)
            .to_owned();
        TestDatabase {
            url: format!("{base}/{name}"),
            postgres_name: Some(name),
            _dir: None,
        }
    }

    /// A new SQLite file.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}?mode=rwc", dir.path().join("scribe.db").display());
        TestDatabase {
            url,
            postgres_name: None,
            _dir: Some(dir),
        }
    }

    /// Drops a PostgreSQL database (SQLite files go with their directory).
    pub async fn drop_database(self) {
        if let Some(name) = &self.postgres_name
            && let Ok(mut conn) = PgConnection::connect(&postgres_admin_url()).await
        {
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
                .execute(&mut conn)
                .await;
        }
    }
}

/// Runs `test` on a migrated store of each backend — a SQLite file, then a fresh database on the
/// real PostgreSQL server — and checks afterwards that every balance equals its ledger sum.
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    for db in [TestDatabase::sqlite(), TestDatabase::postgres().await] {
        let store = Store::connect(&Secret::new(db.url.clone()), 5)
            .await
            .expect("connect");
        store.migrate().await.expect("migrate");
        // Migrating twice is a no-op (replicas starting at once).
        store.migrate().await.expect("migrate again");
        test(store.clone()).await;
        assert!(
            store.ledger_mismatches().await.expect("check").is_empty(),
            "balances equal ledger sums"
        );
        store.close().await;
        db.drop_database().await;
    }
}
