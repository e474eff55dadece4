//! The capability against SQLite (always available); PostgreSQL and MariaDB
//! are exercised through scripts in the `tests` crate.

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

use super::wit::{Host, SqlError as WitError, Value};
use super::*;

/// A SQLite database file with a table `t` of five typed rows.
async fn sqlite_file(dir: &tempfile::TempDir) -> String {
    let path = dir.path().join("legacy.db");
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL, data BLOB);
         INSERT INTO t (name, score, data) VALUES ('a', 1.5, x'0102'), ('b', NULL, NULL),
           ('c', 3.0, NULL), ('d', 4.0, NULL), ('e', 5.0, NULL);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    format!("sqlite:{}", path.display())
}

fn sources(url: &str, settings: DataSourceSettings) -> DataSources {
    DataSources::new([DataSource::new("legacy", url.parse().unwrap(), settings).unwrap()]).unwrap()
}

fn capability(sources: &DataSources, call_timeout: Duration) -> SqlCapability {
    SqlCapability::new(sources.clone(), Instant::now() + call_timeout)
}

async fn query(
    cap: &mut SqlCapability,
    statement: &str,
    params: Vec<Value>,
) -> Result<super::wit::Rows, WitError> {
    cap.query("legacy".into(), statement.into(), params)
        .await
        .unwrap()
}

#[tokio::test]
async fn query_answers_typed_values_and_column_names() {
    let dir = tempfile::tempdir().unwrap();
    let sources = sources(&sqlite_file(&dir).await, DataSourceSettings::default());
    let mut cap = capability(&sources, Duration::from_secs(5));
    let rows = query(
        &mut cap,
        "SELECT id, name, score, data FROM t WHERE id <= ?1 ORDER BY id",
        vec![Value::Integer(2)],
    )
    .await
    .unwrap();
    assert_eq!(rows.columns, ["id", "name", "score", "data"]);
    assert_eq!(
        rows.rows,
        vec![
            vec![
                Value::Integer(1),
                Value::Text("a".into()),
                Value::Float(1.5),
                Value::Bytes(vec![1, 2])
            ],
            vec![
                Value::Integer(2),
                Value::Text("b".into()),
                Value::Null,
                Value::Null
            ],
        ]
    );
}

#[tokio::test]
async fn parameters_are_bound_not_spliced() {
    let dir = tempfile::tempdir().unwrap();
    let sources = sources(&sqlite_file(&dir).await, DataSourceSettings::default());
    let mut cap = capability(&sources, Duration::from_secs(5));
    let hostile = "a' OR '1'='1";
    let rows = query(
        &mut cap,
        "SELECT id FROM t WHERE name = ?",
        vec![Value::Text(hostile.into())],
    )
    .await
    .unwrap();
    assert!(rows.rows.is_empty());
}

#[tokio::test]
async fn execute_counts_rows_and_names_unique_violations() {
    let dir = tempfile::tempdir().unwrap();
    let sources = sources(&sqlite_file(&dir).await, DataSourceSettings::default());
    let mut cap = capability(&sources, Duration::from_secs(5));
    let changed = cap
        .execute(
            "legacy".into(),
            "UPDATE t SET score = ? WHERE score IS NOT NULL".into(),
            vec![Value::Float(0.0)],
        )
        .await
        .unwrap();
    assert_eq!(changed, Ok(4));
    let duplicate = cap
        .execute(
            "legacy".into(),
            "INSERT INTO t (name) VALUES (?)".into(),
            vec![Value::Text("a".into())],
        )
        .await
        .unwrap();
    assert!(
        matches!(&duplicate, Err(WitError::UniqueViolation(m)) if m.contains("UNIQUE")),
        "{duplicate:?}"
    );
    let broken = query(&mut cap, "SELEC nothing", vec![]).await;
    assert!(
        matches!(&broken, Err(WitError::Statement(m)) if m.contains("syntax")),
        "{broken:?}"
    );
}

#[tokio::test]
async fn unknown_datasource_is_an_error_naming_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let sources = sources(&sqlite_file(&dir).await, DataSourceSettings::default());
    let mut cap = capability(&sources, Duration::from_secs(5));
    let answer = cap
        .query("other".into(), "SELECT 1".into(), vec![])
        .await
        .unwrap();
    assert_eq!(
        answer,
        Err(WitError::UnknownDatasource(
            "this connection has no data source `other` (it has: legacy)".into()
        ))
    );
    let mut none = capability(&DataSources::default(), Duration::from_secs(5));
    let answer = none.query("legacy".into(), "SELECT 1".into(), vec![]).await;
    assert!(
        matches!(answer, Ok(Err(WitError::UnknownDatasource(m))) if m.ends_with("(it has: none)"))
    );
}

#[tokio::test]
async fn row_and_size_caps_are_errors_not_truncations() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_file(&dir).await;
    let capped = DataSourceSettings {
        max_rows: 3,
        max_result_bytes: 64,
        ..DataSourceSettings::default()
    };
    let sources = sources(&url, capped);
    let mut cap = capability(&sources, Duration::from_secs(5));
    let three = query(&mut cap, "SELECT id FROM t LIMIT 3", vec![])
        .await
        .unwrap();
    assert_eq!(three.rows.len(), 3);
    let four = query(&mut cap, "SELECT id FROM t LIMIT 4", vec![]).await;
    assert!(
        matches!(&four, Err(WitError::TooManyRows(m)) if m.contains("more than 3 rows")),
        "{four:?}"
    );
    let big = query(&mut cap, "SELECT zeroblob(100) AS blob", vec![]).await;
    assert!(
        matches!(&big, Err(WitError::TooLarge(m)) if m.contains("64 bytes")),
        "{big:?}"
    );
    // The data source still serves after both.
    assert_eq!(
        query(&mut cap, "SELECT 1", vec![])
            .await
            .unwrap()
            .rows
            .len(),
        1
    );
}

#[tokio::test]
async fn a_runaway_statement_stops_at_its_timeout_and_the_pool_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_file(&dir).await;
    let quick = DataSourceSettings {
        statement_timeout: Duration::from_millis(1000),
        max_connections: 1,
        ..DataSourceSettings::default()
    };
    let sources = sources(&url, quick);
    let mut cap = capability(&sources, Duration::from_secs(10));
    let forever =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    let started = Instant::now();
    let answer = query(&mut cap, forever, vec![]).await;
    assert!(
        matches!(&answer, Err(WitError::Timeout(m)) if m.contains("1000 ms") && m.contains("statement timeout")),
        "{answer:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    // The only connection was interrupted and replaced: the next statement runs.
    let rows = query(&mut cap, "SELECT count(*) AS n FROM t", vec![])
        .await
        .unwrap();
    assert_eq!(rows.rows, vec![vec![Value::Integer(5)]]);
}

#[tokio::test]
async fn a_statement_never_outlives_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let sources = sources(&sqlite_file(&dir).await, DataSourceSettings::default());
    let mut cap = capability(&sources, Duration::from_millis(150));
    let forever =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    let answer = query(&mut cap, forever, vec![]).await;
    assert!(
        matches!(&answer, Err(WitError::Timeout(m)) if m.contains("call's deadline")),
        "{answer:?}"
    );
}

#[tokio::test]
async fn sqlite_scripts_cannot_reach_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let sources = sources(&sqlite_file(&dir).await, DataSourceSettings::default());
    let mut cap = capability(&sources, Duration::from_secs(5));
    let other = dir.path().join("other.db");
    for statement in [
        format!("ATTACH DATABASE '{}' AS other", other.display()),
        format!("VACUUM INTO '{}'", other.display()),
    ] {
        let answer = cap
            .execute("legacy".into(), statement.clone(), vec![])
            .await
            .unwrap();
        assert!(
            matches!(answer, Err(WitError::Statement(_))),
            "{statement}: {answer:?}"
        );
    }
    assert!(!other.exists(), "a script created a file");
}

#[tokio::test]
async fn a_missing_sqlite_file_is_unavailable_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db");
    let sources = sources(
        &format!("sqlite:{}", path.display()),
        DataSourceSettings::default(),
    );
    let mut cap = capability(&sources, Duration::from_secs(5));
    let answer = query(&mut cap, "SELECT 1", vec![]).await;
    assert!(
        matches!(&answer, Err(WitError::Unavailable(m)) if m.contains("`legacy`")),
        "{answer:?}"
    );
    assert!(!path.exists());
}

#[tokio::test]
async fn a_database_that_is_down_answers_unavailable_promptly_without_its_password() {
    // Nothing listens on port 1.
    let url = "postgres://app:s3cret-pass@127.0.0.1:1/legacy";
    let settings = DataSourceSettings {
        acquire_timeout: Duration::from_millis(300),
        ..DataSourceSettings::default()
    };
    let sources = sources(url, settings);
    let mut cap = capability(&sources, Duration::from_secs(5));
    let started = Instant::now();
    let answer = query(&mut cap, "SELECT 1", vec![]).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    let Err(WitError::Unavailable(message)) = &answer else {
        panic!("{answer:?}");
    };
    assert!(!message.contains("s3cret"), "{message}");
    assert_eq!(sources.get("legacy").unwrap().stats().errors, 1);
}

#[test]
fn urls_show_no_password() {
    let url =
        DataSourceUrl::from_str("postgres://app:s3cret-pass@db.internal:5432/legacy").unwrap();
    assert_eq!(url.driver(), Driver::Postgres);
    assert_eq!(
        url.to_string(),
        "postgres://app:***@db.internal:5432/legacy"
    );
    assert!(!format!("{url:?}").contains("s3cret"));
    assert_eq!(
        url.redact("failed for postgres://app:s3cret-pass@db.internal:5432/legacy (s3cret-pass)"),
        "failed for postgres://app:***@db.internal:5432/legacy (***)"
    );
    let encoded = DataSourceUrl::from_str("mysql://root:p%40ss%2Fword@localhost/test").unwrap();
    assert_eq!(
        encoded.redact("password p@ss/word refused"),
        "password *** refused"
    );
    assert_eq!(
        DataSourceUrl::from_str("mariadb://u@h/d").unwrap().driver(),
        Driver::MySql
    );
}

#[test]
fn bad_urls_and_names_say_what_to_write() {
    let scheme = DataSourceUrl::from_str("http://user:secret@example.com/").unwrap_err();
    assert!(scheme.to_string().contains("use postgres://"), "{scheme}");
    assert!(!scheme.to_string().contains("secret"), "{scheme}");
    assert!(DataSourceUrl::from_str("sqlite:").is_err());
    assert!(DataSourceUrl::from_str("sqlite::memory:").is_err());
    assert_eq!(
        DataSourceUrl::from_str("sqlite:users.db")
            .unwrap()
            .to_string(),
        "sqlite:users.db"
    );
    assert!(DataSourceUrl::from_str("postgres:///nohost").is_err());
    let tls =
        DataSourceUrl::from_str("postgres://u:s3cret-pass@h/db?sslmode=sometimes").unwrap_err();
    assert!(matches!(tls, DataSourceError::Invalid { .. }), "{tls}");
    assert!(!tls.to_string().contains("s3cret"), "{tls}");
    let name = DataSource::new(
        "bad name",
        "sqlite:x.db".parse().unwrap(),
        DataSourceSettings::default(),
    );
    assert!(matches!(name, Err(DataSourceError::Name(_))));
    assert!(matches!(
        DataSource::from_str("postgres://x"),
        Err(DataSourceError::Form)
    ));
    let parsed = DataSource::from_str("users=sqlite:users.db").unwrap();
    assert_eq!(parsed.name(), "users");
    let twice = DataSources::new([
        DataSource::from_str("a=sqlite:a.db").unwrap(),
        DataSource::from_str("a=sqlite:b.db").unwrap(),
    ]);
    assert!(matches!(twice, Err(DataSourceError::Duplicate(n)) if n == "a"));
}
