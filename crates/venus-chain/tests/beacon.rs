//! The devnet beacon: its chained rounds verify with the code that
//! verifies real drand, and a tampered, skipped or foreign round does not.

#![allow(missing_docs)]

use venus_chain::beacon::LocalBeacon;
use venus_core::crypto::DrandScheme;

#[test]
fn local_rounds_verify_as_chained_drand_and_forgeries_do_not() {
    let beacon = LocalBeacon::generate(1_700_000_000, 4).expect("beacon");
    let net = beacon.network();
    assert_eq!(net.scheme, DrandScheme::Chained);
    assert_eq!(net.public_key.len(), 48, "a G1 public key");
    assert_eq!(net.round_at(1_700_000_000 + 9), 3);

    let mut prev = LocalBeacon::genesis_entry();
    let mut entries = Vec::new();
    for round in 1..=5 {
        let e = beacon.next(&prev).expect("round");
        assert_eq!(e.round, round);
        assert_eq!(e.data.len(), 96, "a G2 signature");
        net.verify_entry(&e, Some(&prev))
            .expect("verifies as drand");
        entries.push(e.clone());
        prev = e;
    }

    // A flipped bit, a skipped round, the wrong previous round.
    let mut bad = entries[2].clone();
    bad.data[10] ^= 1;
    assert!(net.verify_entry(&bad, Some(&entries[1])).is_err());
    assert!(net.verify_entry(&entries[3], Some(&entries[1])).is_err());
    let mut wrong_prev = entries[1].clone();
    wrong_prev.data = entries[0].data.clone();
    assert!(net.verify_entry(&entries[2], Some(&wrong_prev)).is_err());
    // Another beacon's key does not verify these rounds.
    let other = LocalBeacon::generate(1_700_000_000, 4).expect("beacon");
    assert!(other
        .network()
        .verify_entry(&entries[0], Some(&LocalBeacon::genesis_entry()))
        .is_err());

    // The key kept and reloaded gives the same rounds.
    let again = LocalBeacon::from_secret(&beacon.secret(), 1_700_000_000, 4).expect("reload");
    assert_eq!(again.network(), net);
    assert_eq!(
        again.next(&LocalBeacon::genesis_entry()).expect("round"),
        entries[0]
    );
    assert!(
        LocalBeacon::from_secret(&[0xff; 32], 0, 4).is_err(),
        "not a scalar"
    );
    assert!(LocalBeacon::generate(0, 0).is_err(), "a zero period");
}
