//! The `sql` capability's cost and concurrency, and host hashing against
//! hashing compiled into the guest.
//!
//! - `login, postgres template, bcrypt 10`: a login through the `postgres`
//!   template (query + host `password.verify`) and through the JavaScript
//!   template's `login.js` (`pg.connect`, `client.query`, `bcrypt.compare`)
//!   against the same work in plain Rust (sqlx query + `bcrypt::verify`),
//!   same server, same run.
//! - `200 concurrent logins, pg_sleep(0.1), pool 50`: the wall time of 200
//!   logins whose query sleeps 100 ms.
//! - `bcrypt 10 verify`: the host's `password.verify` (the `config-users`
//!   script) against bcrypt compiled into the guest (`guest-bcrypt`).
//!
//! The PostgreSQL groups need `AUTHBOX_TEST_POSTGRES_URL`; without it they
//! are skipped with a note.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use authbox_runtime::capabilities::sql::{DataSource, DataSourceSettings, DataSources};
use authbox_runtime::{
    ActionCall, CallContext, CapabilitySettings, JsSources, Runtime, RuntimeConfig, Script,
};
use authbox_tests::legacy::{Backend, LegacyDb};
use criterion::{Criterion, criterion_group, criterion_main};
use sqlx::Row;

const ADA: &str = "ada@example.com";
const ADA_PASSWORD: &str = "correct horse battery staple";

/// Ada's bcrypt cost-10 hash, as the templates' seed files hold it.
const ADA_HASH: &str = "$2b$10$3cTQb7oL.d/vXiAlRDP4Ee.dYtAg1uMUn2e/VTNk3WxZITutyPTD.";

fn login(user: &str, password: &str) -> ActionCall {
    ActionCall::Login {
        username_or_email: user.into(),
        password: password.into(),
    }
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn config(pairs: &[(&str, &str)]) -> Arc<BTreeMap<String, String>> {
    Arc::new(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn context(capabilities: CapabilitySettings) -> CallContext {
    CallContext {
        capabilities,
        ..CallContext::default()
    }
}

fn datasource(url: &str, max_connections: u32) -> DataSources {
    let settings = DataSourceSettings {
        max_connections,
        ..DataSourceSettings::default()
    };
    DataSources::new([DataSource::new("users", url.parse().unwrap(), settings).unwrap()]).unwrap()
}

async fn load(runtime: &Runtime, path: &str) -> Script {
    runtime.load(&std::fs::read(path).unwrap()).await.unwrap()
}

fn postgres_login(c: &mut Criterion) {
    let tokio = tokio_runtime();
    let Some(db) = tokio.block_on(LegacyDb::seeded(Backend::Postgres, "bench postgres_login"))
    else {
        return;
    };
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    let script = tokio.block_on(load(&runtime, authbox_tests::POSTGRES));
    let ctx = context(CapabilitySettings {
        sql: datasource(&db.url, 10),
        ..CapabilitySettings::default()
    });
    let call = login(ADA, ADA_PASSWORD);
    let native = tokio.block_on(sqlx::PgPool::connect(&db.url)).unwrap();
    let native_login = || async {
        let row = sqlx::query(
            "SELECT id, email, email_verified, username, name, given_name, family_name, \
             nickname, picture, phone_number, user_metadata, app_metadata, password_hash \
             FROM users WHERE lower(email) = lower($1) OR username = $2 LIMIT 1",
        )
        .bind(ADA)
        .bind(ADA)
        .fetch_one(&native)
        .await
        .unwrap();
        let hash: String = row.get("password_hash");
        assert!(bcrypt::verify(ADA_PASSWORD, &hash).unwrap());
        row
    };
    let answer = tokio.block_on(runtime.call(&script, &call, &ctx));
    assert!(answer.outcome.is_ok(), "{answer:?}");
    let (js_db, js_script, js_ctx) = tokio.block_on(javascript_login(&runtime));
    let answer = tokio.block_on(runtime.call(&js_script, &call, &js_ctx));
    assert!(answer.outcome.is_ok(), "{answer:?}");
    println!(
        "JavaScript login: peak memory {} bytes per call",
        answer.stats.peak_memory_bytes
    );

    let mut group = c.benchmark_group("login, postgres template, bcrypt 10");
    group.sample_size(30);
    group.bench_function("authbox (script + sql + host verify)", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(runtime.call(&script, &call, &ctx).await) })
    });
    group.bench_function("authbox javascript (login.js: pg + bcrypt.compare)", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(runtime.call(&js_script, &call, &js_ctx).await) })
    });
    group.bench_function("native (sqlx query + bcrypt::verify)", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(native_login().await) })
    });
    group.finish();
    tokio.block_on(async {
        native.close().await;
        ctx.capabilities.sql.close().await;
        js_ctx.capabilities.sql.close().await;
        db.drop().await;
        js_db.drop().await;
    });
}

/// The JavaScript PostgreSQL template on its own schema, with Ada.
async fn javascript_login(runtime: &Runtime) -> (LegacyDb, Script, CallContext) {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/javascript/postgres");
    let db = LegacyDb::empty(Backend::Postgres, "bench javascript_login")
        .await
        .unwrap();
    db.run_sql(&std::fs::read_to_string(dir.join("schema.sql")).unwrap())
        .await;
    db.run_sql(&format!(
        "INSERT INTO users (email, password, nickname) VALUES ('{ADA}', '{ADA_HASH}', 'ada')"
    ))
    .await;
    let sources = JsSources::from_dir(&dir).unwrap();
    let script = runtime.load(&sources.to_bytes()).await.unwrap();
    let ctx = context(CapabilitySettings {
        sql: datasource(&db.url, 10),
        ..CapabilitySettings::default()
    });
    (db, script, ctx)
}

fn concurrent_sleeps(c: &mut Criterion) {
    let tokio = tokio_runtime();
    let Some(server) = Backend::Postgres.server_url("bench concurrent_sleeps") else {
        return;
    };
    let runtime = Runtime::new(RuntimeConfig {
        max_concurrent_calls: 256,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let script = Arc::new(tokio.block_on(load(&runtime, authbox_tests::SQL_PROBE)));
    let ctx = Arc::new(context(CapabilitySettings {
        config: config(&[
            ("datasource", "users"),
            ("login_statement", "SELECT 1 AS one FROM pg_sleep(0.1)"),
        ]),
        sql: datasource(&server, 50),
        ..CapabilitySettings::default()
    }));
    let batch = || async {
        let calls: Vec<_> = (0..200)
            .map(|_| {
                let (runtime, script, ctx) = (runtime.clone(), script.clone(), ctx.clone());
                tokio::spawn(async move {
                    let call = login("probe@example.com", "x");
                    runtime.call(&script, &call, &ctx).await
                })
            })
            .collect();
        for call in calls {
            assert!(call.await.unwrap().outcome.is_ok());
        }
    };
    tokio.block_on(batch());

    let mut group = c.benchmark_group("200 concurrent logins, pg_sleep(0.1), pool 50");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("wall time", |b| b.to_async(&tokio).iter(batch));
    group.finish();
    tokio.block_on(ctx.capabilities.sql.close());
}

fn host_vs_guest_bcrypt(c: &mut Criterion) {
    let tokio = tokio_runtime();
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    let host = tokio.block_on(load(&runtime, authbox_tests::CONFIG_USERS));
    let guest = tokio.block_on(load(&runtime, authbox_tests::GUEST_BCRYPT));
    let users = serde_json::json!([{ "id": "1", "email": ADA, "password_hash": ADA_HASH }]);
    let host_ctx = context(CapabilitySettings {
        config: config(&[("users", &users.to_string())]),
        ..CapabilitySettings::default()
    });
    let guest_ctx = context(CapabilitySettings {
        config: config(&[("hash", ADA_HASH)]),
        ..CapabilitySettings::default()
    });
    let call = login(ADA, ADA_PASSWORD);
    for (script, ctx) in [(&host, &host_ctx), (&guest, &guest_ctx)] {
        let answer = tokio.block_on(runtime.call(script, &call, ctx));
        assert!(answer.outcome.is_ok(), "{answer:?}");
    }

    let mut group = c.benchmark_group("bcrypt 10 verify");
    group.sample_size(30);
    group.bench_function("host password.verify", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(runtime.call(&host, &call, &host_ctx).await) })
    });
    group.bench_function("bcrypt compiled into the guest", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(runtime.call(&guest, &call, &guest_ctx).await) })
    });
    group.finish();
}

criterion_group!(
    benches,
    postgres_login,
    concurrent_sleeps,
    host_vs_guest_bcrypt
);
criterion_main!(benches);
