//! The cost of one call: fresh instance + `login` on a trivial script (no
//! I/O), through the runtime (pooling allocator, `InstancePre`) and the plain
//! way (on-demand allocation, the linker resolving imports on every call),
//! and the same login written in JavaScript (the engine's snapshot + the
//! action's bytecode); the one-time compile against the cached-artifact load
//! of that script, and accepting a JavaScript upload.

use std::hint::black_box;

use authbox_runtime::{
    Action, ActionCall, CallContext, JsSources, PlainRunner, Runtime, RuntimeConfig,
};
use criterion::{Criterion, criterion_group, criterion_main};

fn login() -> ActionCall {
    ActionCall::Login {
        username_or_email: "ok@example.com".into(),
        password: "secret".into(),
    }
}

/// The trivial script's login in JavaScript, callback style, as Auth0 has it.
fn javascript() -> Vec<u8> {
    let mut sources = JsSources::new();
    sources.insert(
        Action::Login,
        "function login(email, password, callback) {\n  callback(null, { user_id: 'trivial|1', email: email });\n}",
    );
    sources.insert(
        Action::GetUser,
        "function getByEmail(email, callback) {\n  callback(null);\n}",
    );
    sources.to_bytes()
}

fn calls(c: &mut Criterion) {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let bytes = std::fs::read(authbox_tests::TRIVIAL).unwrap();
    let runtime = Runtime::new(RuntimeConfig::default()).unwrap();
    let script = tokio.block_on(runtime.load(&bytes)).unwrap();
    let plain = PlainRunner::new(&bytes).unwrap();
    let ctx = CallContext::default();
    let call = login();
    assert!(
        tokio
            .block_on(runtime.call(&script, &call, &ctx))
            .outcome
            .is_ok()
    );
    assert!(tokio.block_on(plain.call(&call, &ctx)).is_ok());
    let js = tokio.block_on(runtime.load(&javascript())).unwrap();
    assert!(
        tokio
            .block_on(runtime.call(&js, &call, &ctx))
            .outcome
            .is_ok()
    );

    let mut group = c.benchmark_group("instantiate+login");
    group.bench_function("runtime (pooling, InstancePre)", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(runtime.call(&script, &call, &ctx).await) })
    });
    group.bench_function("plain (on-demand, linker per call)", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(plain.call(&call, &ctx).await) })
    });
    group.bench_function("javascript (engine snapshot + bytecode)", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(runtime.call(&js, &call, &ctx).await) })
    });
    group.finish();
}

fn loads(c: &mut Criterion) {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let bytes = std::fs::read(authbox_tests::TRIVIAL).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let uncached = Runtime::new(RuntimeConfig::default()).unwrap();
    let cached = Runtime::new(RuntimeConfig {
        cache_dir: Some(cache.path().to_owned()),
        ..RuntimeConfig::default()
    })
    .unwrap();
    assert!(tokio.block_on(cached.load(&bytes)).unwrap().info().compiled);
    assert!(!tokio.block_on(cached.load(&bytes)).unwrap().info().compiled);

    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("compile", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(uncached.load(&bytes).await) })
    });
    group.bench_function("cached artifact", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(cached.load(&bytes).await) })
    });
    // Accepting a JavaScript upload (the engine already loaded): each
    // action's source compiled to bytecode in a fresh engine instance.
    let js = javascript();
    tokio.block_on(uncached.load(&js)).unwrap();
    group.bench_function("javascript upload", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(uncached.load(&js).await) })
    });
    group.finish();
}

criterion_group!(benches, calls, loads);
criterion_main!(benches);
