//! [`VerifyCache`]: verification answers reused for a bounded time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use venus_rpc::Claims;

/// Cache settings. Revocation and disabling reach the auth daemon's own cache
/// at once; other processes see them within `ttl`.
#[derive(Debug, Clone, Copy)]
pub struct CacheConfig {
    /// How long a verification result is reused (default 5 s; zero disables the cache).
    pub ttl: Duration,
    /// Most tokens cached at once (default 10,000).
    pub capacity: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            ttl: Duration::from_secs(5),
            capacity: 10_000,
        }
    }
}

/// A bounded, time-limited cache of verification results, shared by the
/// auth service and [`RemoteVerifier`](super::RemoteVerifier).
///
/// A verification that was in flight while a purge ran must not put its
/// (now stale) answer back: [`VerifyCache::generation`] is read before the
/// verification, and [`VerifyCache::put`] drops the answer when a purge has
/// happened since.
pub struct VerifyCache {
    config: CacheConfig,
    map: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, (Claims, Instant)>,
    /// Purges so far.
    generation: u64,
}

impl VerifyCache {
    /// An empty cache.
    pub fn new(config: CacheConfig) -> Self {
        VerifyCache {
            config,
            map: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The purge count, to read before verifying and pass to [`VerifyCache::put`].
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// The cached claims of `token`, if younger than the ttl.
    pub fn get(&self, token: &str) -> Option<Claims> {
        let e = self.lock();
        e.map
            .get(token)
            .filter(|(_, at)| at.elapsed() < self.config.ttl)
            .map(|(c, _)| c.clone())
    }

    /// Caches `claims` unless a purge ran after `generation` was read.
    pub fn put(&self, token: &str, claims: &Claims, generation: u64) {
        if self.config.ttl.is_zero() || self.config.capacity == 0 {
            return;
        }
        let mut e = self.lock();
        if e.generation != generation {
            return;
        }
        let map = &mut e.map;
        if map.len() >= self.config.capacity {
            let ttl = self.config.ttl;
            map.retain(|_, (_, at)| at.elapsed() < ttl);
            if map.len() >= self.config.capacity {
                map.clear();
            }
        }
        map.insert(token.to_string(), (claims.clone(), Instant::now()));
    }

    /// Drops every entry whose claims match `pred`, and any answer in flight.
    pub fn purge(&self, pred: impl Fn(&Claims) -> bool) {
        let mut e = self.lock();
        e.generation += 1;
        e.map.retain(|_, (c, _)| !pred(c));
    }
}

#[cfg(test)]
mod tests {
    use venus_rpc::Permission;

    use super::*;

    fn claims(name: &str) -> Claims {
        Claims {
            name: Some(name.into()),
            allow: vec![Permission::Admin],
            rate_limit: None,
        }
    }

    #[test]
    fn a_verification_in_flight_during_a_purge_is_not_cached() {
        let cache = VerifyCache::new(CacheConfig::default());
        // A verification starts and reads the generation…
        let before = cache.generation();
        // …a revoke purges the user meanwhile…
        cache.purge(|c| c.name.as_deref() == Some("root"));
        // …and the stale answer arrives: it must not be served afterwards.
        cache.put("jwt", &claims("root"), before);
        assert_eq!(cache.get("jwt"), None);
        // A verification that started after the purge is cached as usual.
        cache.put("jwt", &claims("root"), cache.generation());
        assert_eq!(cache.get("jwt"), Some(claims("root")));
    }
}
