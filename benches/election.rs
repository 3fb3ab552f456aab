//! The election path: WinCount and the VRF check, per call.

#![allow(missing_docs)] // criterion_group! generates undocumented pub fns.

use criterion::{criterion_group, criterion_main, Criterion};
use num_bigint::BigInt;
use venus_core::crypto::{
    election_vrf_base, lambda, poisson_icdf, verify_vrf, PrivateKey, WinCounter,
};
use venus_core::types::BeaconEntry;
use venus_core::{Address, SignatureType};

fn wincount(c: &mut Criterion) {
    let (power, total) = (BigInt::from(20), BigInt::from(100));
    let vrf = [5u8; 96];
    let mut g = c.benchmark_group("wincount (96-byte VRF, power 20/100)");
    // Lotus recomputes lambda and the Poisson terms on every call.
    g.bench_function("per call, as Lotus computes it", |b| {
        b.iter(|| {
            let h = BigInt::from_bytes_be(
                num_bigint::Sign::Plus,
                &venus_core::encoding::blake2b_256(&vrf),
            );
            poisson_icdf(&lambda(&power, &total), 14)
                .iter()
                .take_while(|t| h < **t)
                .count()
        })
    });
    let counter = WinCounter::new(&power, &total);
    g.bench_function("WinCounter (thresholds precomputed)", |b| {
        b.iter(|| counter.win_count(&vrf))
    });
    g.finish();
}

fn vrf(c: &mut Criterion) {
    let worker = PrivateKey::generate(SignatureType::BLS);
    let waddr = worker.address().expect("addr");
    let beacon = BeaconEntry {
        round: 1,
        data: vec![1; 96],
    };
    let base = election_vrf_base(&beacon, 100, &Address::new_id(1000)).expect("base");
    let proof = worker.sign(&base).expect("vrf");
    c.bench_function("election VRF verify", |b| {
        b.iter(|| verify_vrf(&waddr, &base, &proof.bytes))
    });
}

criterion_group!(benches, wincount, vrf);
criterion_main!(benches);
