//! Token verification with and without the cache (SQLite store), against the
//! bare JWT check; and the cost the rate limiter adds per request, in process
//! and through Redis (`$VENUS_TEST_REDIS_URL`, default redis://127.0.0.1:6379).

#![allow(missing_docs)] // criterion_group! generates undocumented pub fns.

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use tokio::runtime::Runtime;
use venus_auth_lib::{AuthService, CacheConfig, RedisRateLimiter, SqlStore};
use venus_rpc::{
    Hs256Verifier, LocalRateLimiter, Permission, RateLimit, RateLimiter, TokenVerifier,
};

const SECRET: &[u8] = b"bench secret";

fn verify(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("auth.db").display());
    let store = Arc::new(rt.block_on(SqlStore::connect(&url)).expect("store"));
    let cached = AuthService::new(
        store.clone(),
        SECRET,
        CacheConfig {
            ttl: Duration::from_secs(3600),
            capacity: 10_000,
        },
    );
    let uncached = AuthService::new(
        store,
        SECRET,
        CacheConfig {
            ttl: Duration::ZERO,
            capacity: 0,
        },
    );
    rt.block_on(cached.create_user("bench", "")).expect("user");
    let token = rt
        .block_on(cached.create_token("bench", Permission::Sign))
        .expect("token");
    let jwt = Hs256Verifier::new(SECRET);
    let mut g = c.benchmark_group("token verification");
    g.bench_function("bare JWT check (HS256 + expiry)", |b| {
        b.iter(|| jwt.decode(&token).expect("valid"))
    });
    g.bench_function("AuthService, cached", |b| {
        b.iter(|| rt.block_on(cached.verify(&token)).expect("valid"))
    });
    g.bench_function("AuthService, uncached (SQLite lookups)", |b| {
        b.iter(|| rt.block_on(uncached.verify(&token)).expect("valid"))
    });
    g.finish();
}

fn limiter(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let limit = RateLimit {
        requests: u64::MAX,
        window_ms: 60_000,
    };
    let local = LocalRateLimiter::new();
    let mut g = c.benchmark_group("rate limiter admit, per request");
    g.bench_function("in-process", |b| {
        b.iter(|| rt.block_on(local.admit("bench", limit)).expect("admit"))
    });
    let url =
        std::env::var("VENUS_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let redis = RedisRateLimiter::new(&url)
        .expect("url")
        .prefix("venus-bench");
    if rt.block_on(redis.admit("bench", limit)).is_ok() {
        g.bench_function("Redis (INCR + PEXPIRE, loopback)", |b| {
            b.iter(|| rt.block_on(redis.admit("bench", limit)).expect("admit"))
        });
    } else {
        eprintln!("SKIPPED: no Redis at {url}");
    }
    g.finish();
}

criterion_group!(benches, verify, limiter);
criterion_main!(benches);
