//! Throwaway "legacy" databases for the SQL templates: a fresh schema
//! (PostgreSQL), database (MariaDB/MySQL) or file (SQLite) per test, with a
//! template's `schema.sql` and `seed.sql` applied.
//!
//! PostgreSQL and MySQL come from `AUTHBOX_TEST_POSTGRES_URL` and
//! `AUTHBOX_TEST_MYSQL_URL`; without them those tests print that they were
//! skipped and pass. `.ci/run` sets both.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{ConnectOptions, Connection};

/// A database kind the templates support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    MySql,
    Sqlite,
}

impl Backend {
    /// The template crate's folder name under `scripts/`.
    pub fn template(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
            Backend::Sqlite => "sqlite",
        }
    }

    /// The template's compiled component.
    pub fn script(self) -> &'static str {
        match self {
            Backend::Postgres => crate::POSTGRES,
            Backend::MySql => crate::MYSQL,
            Backend::Sqlite => crate::SQLITE,
        }
    }

    fn env_var(self) -> Option<&'static str> {
        match self {
            Backend::Postgres => Some("AUTHBOX_TEST_POSTGRES_URL"),
            Backend::MySql => Some("AUTHBOX_TEST_MYSQL_URL"),
            Backend::Sqlite => None,
        }
    }

    /// The server's URL, or `None` (and a note on stderr) when the variable
    /// is not set.
    pub fn server_url(self, test: &str) -> Option<String> {
        let var = self.env_var()?;
        match std::env::var(var) {
            Ok(url) if !url.is_empty() => Some(url),
            _ => {
                eprintln!(
                    "SKIPPED {test} on {self:?}: {var} is not set (e.g. {var}={})",
                    match self {
                        Backend::Postgres => "postgres://postgres@127.0.0.1:5432/test",
                        _ => "mysql://root@127.0.0.1:3306/test",
                    }
                );
                None
            }
        }
    }
}

/// One test's database.
pub struct LegacyDb {
    pub backend: Backend,
    /// The data-source URL scripts get.
    pub url: String,
    /// The server URL it was made from (PostgreSQL, MySQL), to drop it.
    server: Option<String>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

fn unique_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "authbox_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn template_file(backend: Backend, file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts")
        .join(backend.template())
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl LegacyDb {
    /// A fresh database with the template's schema and seed, or `None` when
    /// the backend's server is not configured.
    pub async fn seeded(backend: Backend, test: &str) -> Option<LegacyDb> {
        let db = LegacyDb::empty(backend, test).await?;
        db.run_sql(&template_file(backend, "schema.sql")).await;
        db.run_sql(&template_file(backend, "seed.sql")).await;
        Some(db)
    }

    /// A fresh empty database, or `None` when the backend's server is not
    /// configured.
    pub async fn empty(backend: Backend, test: &str) -> Option<LegacyDb> {
        let name = unique_name();
        let db = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("legacy.db");
                sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true)
                    .connect()
                    .await
                    .unwrap()
                    .close()
                    .await
                    .unwrap();
                LegacyDb {
                    backend,
                    url: format!("sqlite:{}", path.display()),
                    server: None,
                    name,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let server = backend.server_url(test)?;
                execute(&server, &format!("CREATE SCHEMA {name}")).await;
                let separator = if server.contains('?') { '&' } else { '?' };
                LegacyDb {
                    backend,
                    url: format!("{server}{separator}options=-c%20search_path%3D{name}"),
                    server: Some(server),
                    name,
                    _dir: None,
                }
            }
            Backend::MySql => {
                let server = backend.server_url(test)?;
                execute(&server, &format!("CREATE DATABASE {name}")).await;
                let mut url = url::Url::parse(&server).unwrap();
                url.set_path(&name);
                LegacyDb {
                    backend,
                    url: url.to_string(),
                    server: Some(server),
                    name,
                    _dir: None,
                }
            }
        };
        Some(db)
    }

    /// Runs SQL (several statements allowed) on the database, as the test's
    /// "someone edits the legacy database directly".
    pub async fn run_sql(&self, sql: &str) {
        execute(&self.url, sql).await;
    }

    /// The one integer `sql` (a `SELECT COUNT(*) ...`) answers.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.url).await.unwrap();
        let count = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.close().await.unwrap();
        count
    }

    /// Drops the schema or database (the SQLite file goes with its directory).
    pub async fn drop(self) {
        let Some(server) = &self.server else { return };
        let statement = match self.backend {
            Backend::Postgres => format!("DROP SCHEMA {} CASCADE", self.name),
            _ => format!("DROP DATABASE {}", self.name),
        };
        execute(server, &statement).await;
    }
}

/// Runs `sql` on the database at `url`.
pub async fn execute(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connecting to the test database: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    conn.close().await.unwrap();
}
