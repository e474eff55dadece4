//! Throwaway "legacy" databases for the SQL templates: a fresh schema
//! (PostgreSQL), database (MariaDB/MySQL) or file (SQLite) per test, with a
//! template's `schema.sql` and `seed.sql` applied.
//!
//! PostgreSQL and MySQL come from `AUTHBOX_TEST_POSTGRES_URL` and
//! `AUTHBOX_TEST_MYSQL_URL`; without them those tests print that they were
//! skipped and pass. `.ci/run` sets both.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

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

/// The prefix of every test database's name; the machine's name (see
/// [`machine`]) and the process id follow.
const PREFIX: &str = "authbox_test_";

/// This machine's name as a name may hold it (letters and digits, at most
/// 12), so that a sweep leaves alone what other machines' tests made on a
/// shared server. Read once.
fn machine() -> &'static str {
    static MACHINE: OnceLock<String> = OnceLock::new();
    MACHINE.get_or_init(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        (host.chars())
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .take(12)
            .collect()
    })
}

fn unique_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{PREFIX}{}_{}_{}_{nanos}",
        machine(),
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
                sweep_leftovers(backend, &server).await;
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
                sweep_leftovers(backend, &server).await;
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

/// Drops, once per test process and backend, the schemas (PostgreSQL) or
/// databases (MySQL) that test processes of this machine which have ended
/// left behind: a test that panics never reaches [`LegacyDb::drop`].
/// Failures are printed, not raised: a sweep is housekeeping.
async fn sweep_leftovers(backend: Backend, server: &str) {
    static SWEPT: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];
    let once = &SWEPT[usize::from(backend == Backend::MySql)];
    if once.swap(true, Ordering::SeqCst) {
        return;
    }
    if let Err(e) = drop_leftovers(backend, server).await {
        eprintln!("sweeping earlier test databases on {backend:?}: {e}");
    }
}

/// Drops the test databases on `server` whose process has ended (see
/// [`ended_process_s`]); without `/proc` none.
async fn drop_leftovers(backend: Backend, server: &str) -> Result<(), sqlx::Error> {
    let Some((listing, drop)) = listing_and_drop(backend) else {
        return Ok(());
    };
    if !Path::new("/proc/self").exists() {
        return Ok(());
    }
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(server).await?;
    let names: Vec<String> = sqlx::query_scalar(listing).fetch_all(&mut conn).await?;
    for name in names.iter().filter(|name| ended_process_s(name)) {
        let statement = drop.replace("{}", name);
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await
}

/// The statements that list a server's schemas or databases and drop one
/// (`{}` its name); none for SQLite, whose files go with their directory.
fn listing_and_drop(backend: Backend) -> Option<(&'static str, &'static str)> {
    match backend {
        Backend::Postgres => Some((
            "SELECT CAST(nspname AS TEXT) FROM pg_namespace",
            "DROP SCHEMA IF EXISTS {} CASCADE",
        )),
        Backend::MySql => Some((
            "SELECT CAST(schema_name AS CHAR) FROM information_schema.schemata",
            "DROP DATABASE IF EXISTS {}",
        )),
        Backend::Sqlite => None,
    }
}

/// Whether `name` is a test database of a process of this machine that no
/// longer runs (a process that still runs, or another machine's, is left
/// alone). Only names as [`unique_name`] makes them (lowercase letters,
/// digits, `_`), which the sweep may write unquoted.
fn ended_process_s(name: &str) -> bool {
    let plain = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
    if !name.bytes().all(plain) {
        return false;
    }
    let mut parts = name.strip_prefix(PREFIX).unwrap_or_default().split('_');
    if parts.next() != Some(machine()) {
        return false;
    }
    let Some(pid) = parts.next().and_then(|pid| pid.parse::<u32>().ok()) else {
        return false;
    };
    pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id of a process that has ended.
    fn ended_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        child.wait().unwrap();
        child.id()
    }

    #[test]
    fn only_test_databases_of_ended_processes_are_leftovers() {
        let ended = ended_pid();
        assert!(ended_process_s(&format!(
            "{PREFIX}{}_{ended}_0_1",
            machine()
        )));
        let running = std::os::unix::process::parent_id();
        assert!(!ended_process_s(&format!(
            "{PREFIX}{}_{running}_0_1",
            machine()
        )));
        let this = std::process::id();
        assert!(!ended_process_s(&format!(
            "{PREFIX}{}_{this}_0_1",
            machine()
        )));
        for other in [
            format!("app_{ended}_0_1"),
            format!("{PREFIX}x_0_1"),
            format!("{PREFIX}othermachine_{ended}_0_1"),
            format!("{PREFIX}{}_{ended}_0_1; DROP TABLE x", machine()),
            format!("{PREFIX}{}_{ended}_0_A", machine()),
            "public".into(),
        ] {
            assert!(!ended_process_s(&other), "{other}");
        }
    }

    #[tokio::test]
    async fn leftovers_of_ended_processes_are_dropped_and_others_kept() {
        for backend in [Backend::Postgres, Backend::MySql] {
            let Some(server) = backend.server_url("leftovers") else {
                continue;
            };
            let left = format!("{PREFIX}{}_{}_0_1", machine(), ended_pid());
            let kept = LegacyDb::empty(backend, "leftovers").await.unwrap();
            let create = match backend {
                Backend::Postgres => "CREATE SCHEMA",
                _ => "CREATE DATABASE",
            };
            execute(&server, &format!("{create} {left}")).await;
            drop_leftovers(backend, &server).await.unwrap();
            let names: Vec<String> = {
                let mut conn = sqlx::AnyConnection::connect(&server).await.unwrap();
                let (listing, _) = listing_and_drop(backend).unwrap();
                sqlx::query_scalar(listing)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap()
            };
            assert!(!names.contains(&left), "{backend:?}: {left} left");
            assert!(
                names.contains(&kept.name),
                "{backend:?}: this process's dropped"
            );
            kept.drop().await;
        }
    }
}
