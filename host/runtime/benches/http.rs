//! The `wasi:http` capability's cost and concurrency, against the reference
//! users service on loopback (`authbox_tests::users_service`).
//!
//! - `login, rest-api template`: a login through the `rest-api` template
//!   (`POST /login`, the service verifies a bcrypt cost-4 hash) against the
//!   same request made natively with reqwest, same service, same run.
//! - `200 concurrent get-users, service answers after 100 ms`: the wall time
//!   of 200 `get-user` calls of the template started at once.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use authbox_runtime::capabilities::http::{AllowedHosts, HttpConfig, HttpSettings};
use authbox_runtime::{
    ActionCall, CallContext, CapabilityConfig, CapabilitySettings, Runtime, RuntimeConfig, Script,
};
use authbox_tests::users_service::{ServiceOptions, UsersService};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

const ADA: &str = "ada@example.com";
const ADA_PASSWORD: &str = "correct horse battery staple";

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A runtime whose scripts may reach loopback, where the service is.
fn runtime(calls: u32) -> Runtime {
    Runtime::new(RuntimeConfig {
        max_concurrent_calls: calls,
        capabilities: CapabilityConfig {
            http: HttpConfig {
                allowed_private_networks: vec!["127.0.0.0/8".parse().unwrap()],
                ..HttpConfig::default()
            },
            ..CapabilityConfig::default()
        },
        ..RuntimeConfig::default()
    })
    .unwrap()
}

/// The template's call context for `service`.
fn context(service: &UsersService) -> CallContext {
    let base = service.base_url();
    let config: BTreeMap<String, String> = [("api_url".to_string(), base.clone())].into();
    CallContext {
        capabilities: CapabilitySettings {
            config: Arc::new(config),
            http: HttpSettings::new(AllowedHosts::parse(&[base]).unwrap()),
            ..CapabilitySettings::default()
        },
        ..CallContext::default()
    }
}

async fn load(runtime: &Runtime) -> Script {
    let bytes = std::fs::read(authbox_tests::REST_API).unwrap();
    runtime.load(&bytes).await.unwrap()
}

fn rest_login(c: &mut Criterion) {
    let tokio = tokio_runtime();
    let service = UsersService::start(ServiceOptions {
        seed: true,
        ..ServiceOptions::default()
    });
    let runtime = runtime(16);
    let script = tokio.block_on(load(&runtime));
    let ctx = context(&service);
    let call = ActionCall::Login {
        username_or_email: ADA.into(),
        password: ADA_PASSWORD.into(),
    };
    let native = reqwest::Client::new();
    let url = format!("{}/login", service.base_url());
    let native_login = || async {
        let response = native
            .post(&url)
            .json(&json!({"username_or_email": ADA, "password": ADA_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<serde_json::Value>().await.unwrap()
    };
    let answer = tokio.block_on(runtime.call(&script, &call, &ctx));
    assert!(answer.outcome.is_ok(), "{answer:?}");
    tokio.block_on(native_login());

    let mut group = c.benchmark_group("login, rest-api template");
    group.sample_size(50);
    group.bench_function("authbox (script + wasi:http, pooled)", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(runtime.call(&script, &call, &ctx).await) })
    });
    group.bench_function("native (reqwest, pooled)", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(native_login().await) })
    });
    group.finish();
}

fn concurrent_slow_service(c: &mut Criterion) {
    let tokio = tokio_runtime();
    let service = UsersService::start(ServiceOptions {
        seed: true,
        delay: Duration::from_millis(100),
        ..ServiceOptions::default()
    });
    let runtime = runtime(256);
    let script = Arc::new(tokio.block_on(load(&runtime)));
    let ctx = Arc::new(context(&service));
    let batch = || async {
        let calls: Vec<_> = (0..200)
            .map(|_| {
                let (runtime, script, ctx) = (runtime.clone(), script.clone(), ctx.clone());
                tokio::spawn(async move {
                    let call = ActionCall::GetUser { email: ADA.into() };
                    runtime.call(&script, &call, &ctx).await
                })
            })
            .collect();
        for call in calls {
            let result = call.await.unwrap();
            assert!(result.outcome.is_ok(), "{:?}", result.outcome);
        }
    };
    tokio.block_on(batch());

    let mut group = c.benchmark_group("200 concurrent get-users, service answers after 100 ms");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("wall time", |b| b.to_async(&tokio).iter(batch));
    group.finish();
}

criterion_group!(benches, rest_login, concurrent_slow_service);
criterion_main!(benches);
