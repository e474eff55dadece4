//! The `sql` capability through a real script (`tests/guests/sql-probe`) on
//! all three databases: typed values both ways, NULL parameters, the row
//! cap, statement errors, unique violations, timeouts; and 200 concurrent
//! logins waiting on PostgreSQL without holding a thread each.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::common::*;
use authbox::runtime::capabilities::sql::{DataSource, DataSourceSettings, DataSources};
use authbox::runtime::report::{Outcome, Report};
use authbox::runtime::{ActionCall, CallContext, Runtime, RuntimeConfig, Script};
use authbox_tests::SQL_PROBE;
use authbox_tests::legacy::{Backend, LegacyDb};
use serde_json::{Value, json};

struct Probe {
    runtime: Runtime,
    script: Script,
    ctx: CallContext,
}

impl Probe {
    async fn new(url: &str, settings: DataSourceSettings) -> Probe {
        let runtime = runtime();
        let script = load(&runtime, SQL_PROBE).await;
        let mut ctx = context(&[], Duration::from_secs(20));
        ctx.capabilities.sql =
            DataSources::new([DataSource::new("db", url.parse().unwrap(), settings).unwrap()])
                .unwrap();
        Probe {
            runtime,
            script,
            ctx,
        }
    }

    async fn send(&self, request: Value) -> Report {
        let call = ActionCall::GetUser {
            email: request.to_string(),
        };
        report(&self.runtime, &self.script, call, &self.ctx).await
    }

    /// The statement's result, or the script's failure message.
    async fn run(&self, statement: &str, params: Value, execute: bool) -> Result<Value, String> {
        let report = self
            .send(json!({
                "datasource": "db", "statement": statement, "params": params, "execute": execute
            }))
            .await;
        match report.outcome {
            Outcome::Ok => Ok(report.profile.unwrap().user_metadata["result"].clone()),
            _ => Err(report.error.expect("a failure has an error").message),
        }
    }

    async fn execute(&self, statement: &str, params: Value) -> Result<Value, String> {
        self.run(statement, params, true).await
    }

    async fn query(&self, statement: &str, params: Value) -> Result<Value, String> {
        self.run(statement, params, false).await
    }
}

/// Each database's spelling of the statements the test needs.
struct Dialect {
    create: &'static str,
    insert: &'static str,
    select: &'static str,
    sleep: &'static str,
    typed: &'static str,
}

fn dialect(backend: Backend) -> Dialect {
    match backend {
        Backend::Postgres => Dialect {
            create: "CREATE TABLE t (id INT PRIMARY KEY, flag BOOLEAN, score DOUBLE PRECISION, name TEXT UNIQUE, data BYTEA)",
            insert: "INSERT INTO t (id, flag, score, name, data) VALUES ($1, $2, $3, $4, $5)",
            select: "SELECT id, flag, score, name, data FROM t WHERE id = $1",
            sleep: "SELECT 1 AS one FROM pg_sleep(3)",
            typed: "SELECT 12345678901::bigint AS big, 1.25::numeric(10,2) AS dec, \
                    TIMESTAMPTZ '2024-05-06 07:08:09+00' AS at, DATE '2024-05-06' AS day, \
                    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS uid, '{\"k\": 1}'::jsonb AS doc",
        },
        Backend::MySql => Dialect {
            create: "CREATE TABLE t (id INT PRIMARY KEY, flag BOOLEAN, score DOUBLE, name VARCHAR(64) UNIQUE, data BLOB)",
            insert: "INSERT INTO t (id, flag, score, name, data) VALUES (?, ?, ?, ?, ?)",
            select: "SELECT id, flag, score, name, data FROM t WHERE id = ?",
            sleep: "SELECT SLEEP(3) AS slept",
            typed: "SELECT CAST(12345678901 AS SIGNED) AS big, CAST(1.25 AS DECIMAL(10,2)) AS `dec`, \
                    TIMESTAMP '2024-05-06 07:08:09' AS at, DATE '2024-05-06' AS day, \
                    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS uid, JSON_OBJECT('k', 1) AS doc",
        },
        Backend::Sqlite => Dialect {
            create: "CREATE TABLE t (id INTEGER PRIMARY KEY, flag BOOLEAN, score REAL, name TEXT UNIQUE, data BLOB)",
            insert: "INSERT INTO t (id, flag, score, name, data) VALUES (?1, ?2, ?3, ?4, ?5)",
            select: "SELECT id, flag, score, name, data FROM t WHERE id = ?1",
            sleep: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
            typed: "SELECT 12345678901 AS big, '1.25' AS dec, '2024-05-06T07:08:09Z' AS at, \
                    '2024-05-06' AS day, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS uid, json_object('k', 1) AS doc",
        },
    }
}

async fn values_errors_and_caps(backend: Backend) {
    let Some(db) = LegacyDb::empty(backend, "values_errors_and_caps").await else {
        return;
    };
    let capped = DataSourceSettings {
        max_rows: 5,
        ..DataSourceSettings::default()
    };
    let probe = Probe::new(&db.url, capped).await;
    let sql = dialect(backend);
    probe.execute(sql.create, json!([])).await.unwrap();

    // Every parameter type, NULLs included, round-trips.
    let inserted = probe
        .execute(
            sql.insert,
            json!([1, true, 2.5, "ada", {"bytes": [0, 1, 255]}]),
        )
        .await;
    assert_eq!(inserted, Ok(json!({"affected": 1})));
    let nulls = probe
        .execute(sql.insert, json!([2, null, null, null, null]))
        .await;
    assert_eq!(nulls, Ok(json!({"affected": 1})));
    let row = probe.query(sql.select, json!([1])).await.unwrap();
    assert_eq!(
        row["columns"],
        json!(["id", "flag", "score", "name", "data"])
    );
    let flag = if backend == Backend::Sqlite {
        json!(1)
    } else {
        json!(true)
    };
    assert_eq!(
        row["rows"],
        json!([[1, flag, 2.5, "ada", {"bytes": [0, 1, 255]}]])
    );
    let row = probe.query(sql.select, json!([2])).await.unwrap();
    assert_eq!(row["rows"], json!([[2, null, null, null, null]]));

    // Types without a WIT equivalent come back as text.
    let typed = probe.query(sql.typed, json!([])).await.unwrap();
    let typed = &typed["rows"][0];
    assert_eq!(typed[0], json!(12345678901_i64), "{typed}");
    assert_eq!(typed[1], json!("1.25"), "{typed}");
    assert!(
        typed[2]
            .as_str()
            .unwrap()
            .starts_with("2024-05-06T07:08:09"),
        "{typed}"
    );
    assert_eq!(typed[3], json!("2024-05-06"), "{typed}");
    assert_eq!(
        typed[4],
        json!("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        "{typed}"
    );
    let doc: Value = serde_json::from_str(typed[5].as_str().unwrap()).unwrap();
    assert_eq!(doc, json!({"k": 1}));

    // A unique violation, a statement error: the script gets the kind.
    let duplicate = probe
        .execute(sql.insert, json!([3, false, 0.0, "ada", null]))
        .await
        .unwrap_err();
    assert!(duplicate.contains("UniqueViolation"), "{duplicate}");
    let broken = probe.query("SELEC 1", json!([])).await.unwrap_err();
    assert!(broken.contains("Statement("), "{broken}");

    // The row cap: 5 rows pass, 6 are an error, not a truncation.
    for id in 3..=6 {
        probe
            .execute(sql.insert, json!([id, false, 0.0, format!("u{id}"), null]))
            .await
            .unwrap();
    }
    let all = probe
        .query("SELECT id FROM t", json!([]))
        .await
        .unwrap_err();
    assert!(
        all.contains("TooManyRows") && all.contains("more than 5 rows"),
        "{all}"
    );
    let five = probe
        .query("SELECT id FROM t WHERE id <= 5", json!([]))
        .await
        .unwrap();
    assert_eq!(five["rows"].as_array().unwrap().len(), 5);

    // The statement timeout; the data source serves right after.
    let quick = DataSourceSettings {
        statement_timeout: Duration::from_millis(1000),
        max_connections: 1,
        ..DataSourceSettings::default()
    };
    let quick = Probe::new(&db.url, quick).await;
    let slow = quick.query(sql.sleep, json!([])).await.unwrap_err();
    assert!(
        slow.contains("Timeout") && slow.contains("1000 ms"),
        "{slow}"
    );
    let after = quick.query(sql.select, json!([1])).await.unwrap();
    assert_eq!(after["rows"][0][3], json!("ada"));
    quick.ctx.capabilities.sql.close().await;

    probe.ctx.capabilities.sql.close().await;
    db.drop().await;
}

#[tokio::test]
async fn postgres_values_errors_and_caps() {
    values_errors_and_caps(Backend::Postgres).await;
}

#[tokio::test]
async fn mysql_values_errors_and_caps() {
    values_errors_and_caps(Backend::MySql).await;
}

#[tokio::test]
async fn sqlite_values_errors_and_caps() {
    values_errors_and_caps(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_infers_the_type_of_a_null_parameter() {
    let Some(db) = LegacyDb::empty(Backend::Postgres, "null_parameter").await else {
        return;
    };
    let probe = Probe::new(&db.url, DataSourceSettings::default()).await;
    probe
        .execute("CREATE TABLE n (id BIGINT, at TIMESTAMPTZ)", json!([]))
        .await
        .unwrap();
    let inserted = probe
        .execute(
            "INSERT INTO n (id, at) VALUES ($1, $2)",
            json!([null, null]),
        )
        .await;
    assert_eq!(inserted, Ok(json!({"affected": 1})));
    let found = probe
        .query(
            "SELECT count(*) AS n FROM n WHERE id IS NOT DISTINCT FROM $1",
            json!([null]),
        )
        .await
        .unwrap();
    assert_eq!(found["rows"], json!([[1]]));
    probe.ctx.capabilities.sql.close().await;
    db.drop().await;
}

/// 200 logins whose query sleeps 100 ms, on a pool of 50: the waits overlap
/// (the calls hold no thread while their query runs), as both the host and
/// PostgreSQL see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_logins_wait_on_postgres_at_once() {
    let Some(server) = Backend::Postgres.server_url("two_hundred_logins") else {
        return;
    };
    let runtime = Runtime::new(RuntimeConfig {
        max_concurrent_calls: 256,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let script = load(&runtime, SQL_PROBE).await;
    let settings = DataSourceSettings {
        max_connections: 50,
        ..DataSourceSettings::default()
    };
    let datasources =
        DataSources::new([DataSource::new("db", server.parse().unwrap(), settings).unwrap()])
            .unwrap();
    let mut ctx = context(
        &[
            ("datasource", "db"),
            ("login_statement", "SELECT 1 AS one FROM pg_sleep(0.1)"),
        ],
        Duration::from_secs(20),
    );
    ctx.capabilities.sql = datasources.clone();

    // PostgreSQL's view: the most sleeping statements seen at once.
    let busiest = Arc::new(AtomicI64::new(0));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (busiest, sampling, server) = (busiest.clone(), sampling.clone(), server.clone());
        tokio::spawn(async move {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&server).await.unwrap();
            while sampling.load(Ordering::Relaxed) {
                let active: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE state = 'active' AND query LIKE '%FROM pg_sleep(0.1)' \
                     AND application_name = 'authbox'",
                )
                .fetch_one(&mut conn)
                .await
                .unwrap();
                busiest.fetch_max(active, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };

    let script = Arc::new(script);
    let ctx = Arc::new(ctx);
    let calls: Vec<_> = (0..200)
        .map(|i| {
            let (runtime, script, ctx) = (runtime.clone(), script.clone(), ctx.clone());
            tokio::spawn(async move {
                report(
                    &runtime,
                    &script,
                    login(&format!("u{i}@example.com"), "pw"),
                    &ctx,
                )
                .await
            })
        })
        .collect();
    for call in calls {
        let report = call.await.unwrap();
        assert_eq!(report.outcome, Outcome::Ok, "{report:#?}");
        assert_eq!(report.profile.unwrap().user_id, "auth0|probe|1");
    }
    sampling.store(false, Ordering::Relaxed);
    sampler.await.unwrap();

    let host_peak = datasources.get("db").unwrap().stats().peak_in_flight;
    let server_peak = busiest.load(Ordering::Relaxed);
    eprintln!("queries at once: {host_peak} as the host saw it, {server_peak} as PostgreSQL did");
    assert!(
        host_peak >= 40,
        "the host saw at most {host_peak} queries at once"
    );
    assert!(
        server_peak >= 40,
        "PostgreSQL saw at most {server_peak} queries at once"
    );
    assert!(host_peak <= 50, "the pool bound was exceeded: {host_peak}");
    datasources.close().await;
}
