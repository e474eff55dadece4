//! The cost of one call: fresh instance + `login` on a trivial script (no
//! I/O), through the runtime (pooling allocator, `InstancePre`) and the plain
//! way (on-demand allocation, the linker resolving imports on every call);
//! and the one-time compile against the cached-artifact load of that script.

use std::hint::black_box;

use authbox_runtime::{ActionCall, CallContext, PlainRunner, Runtime, RuntimeConfig};
use criterion::{Criterion, criterion_group, criterion_main};

fn login() -> ActionCall {
    ActionCall::Login {
        username_or_email: "ok@example.com".into(),
        password: "secret".into(),
    }
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

    let mut group = c.benchmark_group("instantiate+login");
    group.bench_function("runtime (pooling, InstancePre)", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(runtime.call(&script, &call, &ctx).await) })
    });
    group.bench_function("plain (on-demand, linker per call)", |b| {
        b.to_async(&tokio)
            .iter(|| async { black_box(plain.call(&call, &ctx).await) })
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
    group.finish();
}

criterion_group!(benches, calls, loads);
criterion_main!(benches);
