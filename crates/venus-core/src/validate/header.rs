//! The checks of one header against its miner's worker key and the chain's
//! randomness: Lotus's `blockSanityChecks`, `blockSigCheck`, `winnerCheck`
//! and `tktsCheck` (`chain/consensus/filcns/filecoin.go`).

use fvm_shared::address::{Address, Protocol};
use num_bigint::BigInt;

use super::error::{Result, ValidationError};
use crate::crypto::{election_vrf_base, ticket_vrf_base, verify, verify_vrf, WinCounter};
use crate::types::{BeaconEntry, BlockHeader, ElectionProof, Ticket};

/// Lotus `blockSanityChecks`: the header carries an election proof, a
/// ticket, a block signature and a BLS aggregate, and its miner is an ID
/// address.
pub fn sanity(h: &BlockHeader) -> Result {
    use ValidationError::Missing;
    if h.election_proof.is_none() {
        return Err(Missing("ElectionProof"));
    }
    if h.ticket.is_none() {
        return Err(Missing("Ticket"));
    }
    if h.block_sig.is_none() {
        return Err(Missing("BlockSig"));
    }
    if h.bls_aggregate.is_none() {
        return Err(Missing("BLSAggregate"));
    }
    if h.miner.protocol() != Protocol::ID {
        return Err(ValidationError::MinerNotId(h.miner));
    }
    Ok(())
}

/// Lotus `sigs.CheckBlockSignature`: `BlockSig` is `worker`'s signature over
/// [`BlockHeader::signing_bytes`] (the header's CBOR with `BlockSig` null).
pub fn block_signature(h: &BlockHeader, worker: &Address) -> Result {
    let sig = h
        .block_sig
        .as_ref()
        .ok_or(ValidationError::Missing("BlockSig"))?;
    let fail = |e: crate::Error| ValidationError::BlockSignature(e.to_string());
    verify(sig, &h.signing_bytes().map_err(fail)?, worker).map_err(fail)
}

/// The beacon entry a header's VRFs draw from: its last entry or, when it
/// carries none, `prev`, the parent chain's latest (Lotus's `rBeacon` and
/// `beaconBase`).
pub fn randomness_beacon<'a>(h: &'a BlockHeader, prev: &'a BeaconEntry) -> &'a BeaconEntry {
    h.last_beacon_entry().unwrap_or(prev)
}

fn proof_of(h: &BlockHeader) -> Result<&ElectionProof> {
    h.election_proof
        .as_ref()
        .ok_or(ValidationError::Missing("ElectionProof"))
}

/// Lotus `winnerCheck`, its header part: the block claims at least one win,
/// and its election proof is `worker`'s VRF over `DrawRandomness(beacon,
/// ElectionProofProduction, height, CBOR(miner))`, the beacon being
/// [`randomness_beacon`]`(h, prev_beacon)`.
pub fn election_proof(h: &BlockHeader, worker: &Address, prev_beacon: &BeaconEntry) -> Result {
    let ep = proof_of(h)?;
    if ep.win_count < 1 {
        return Err(ValidationError::NotAWinner(ep.win_count));
    }
    let fail = |e: crate::Error| ValidationError::ElectionProof(e.to_string());
    let base =
        election_vrf_base(randomness_beacon(h, prev_beacon), h.height, &h.miner).map_err(fail)?;
    verify_vrf(worker, &base, &ep.vrf_proof).map_err(fail)
}

/// Lotus `winnerCheck`, its power part: the WinCount the header claims is
/// `ComputeWinCount` of its election VRF for the miner's and the network's
/// quality-adjusted power at the lookback tipset.
pub fn win_count(h: &BlockHeader, miner_power: &BigInt, network_power: &BigInt) -> Result {
    let ep = proof_of(h)?;
    let computed = WinCounter::new(miner_power, network_power).win_count(&ep.vrf_proof);
    if ep.win_count != computed {
        return Err(ValidationError::WinCount {
            claimed: ep.win_count,
            computed,
        });
    }
    Ok(())
}

/// Lotus `tktsCheck`: the ticket is `worker`'s VRF over
/// `DrawRandomness(beacon, TicketProduction, height − 1, CBOR(miner) ‖
/// parent ticket)`, the beacon being [`randomness_beacon`]`(h, prev_beacon)`.
///
/// `parent_ticket` is the parent tipset's minimum ticket. Lotus appends it
/// above `UpgradeSmokeHeight` (mainnet epoch 51000, every devnet from its
/// start), so `None` is for older blocks only.
pub fn ticket(
    h: &BlockHeader,
    worker: &Address,
    prev_beacon: &BeaconEntry,
    parent_ticket: Option<&Ticket>,
) -> Result {
    let t = h
        .ticket
        .as_ref()
        .ok_or(ValidationError::Missing("Ticket"))?;
    let fail = |e: crate::Error| ValidationError::Ticket(e.to_string());
    let base = ticket_vrf_base(
        randomness_beacon(h, prev_beacon),
        h.height,
        &h.miner,
        parent_ticket,
    )
    .map_err(fail)?;
    verify_vrf(worker, &base, &t.vrf_proof).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::PrivateKey;
    use crate::test_utils;
    use crate::{Signature, SignatureType};

    struct Signed {
        header: BlockHeader,
        worker: Address,
        prev: BeaconEntry,
        parent_ticket: Ticket,
    }

    /// A header on [`test_utils::tipset`] whose ticket, election proof and
    /// signature are a fresh BLS worker's, drawn from the beacon entry it carries.
    fn signed() -> Signed {
        let key = PrivateKey::generate(SignatureType::BLS);
        let parent = test_utils::tipset(9, 7);
        let parent_ticket = parent.min_ticket().cloned().expect("ticket");
        let mut h = parent.blocks()[0].clone();
        h.height = 10;
        h.parents = parent.key().cids().to_vec();
        h.bls_aggregate = Some(Signature::new_bls(
            crate::crypto::BLS_INFINITY_SIGNATURE.to_vec(),
        ));
        let beacon = BeaconEntry {
            round: 20,
            data: vec![3; 96],
        };
        h.beacon_entries = vec![beacon.clone()];
        let vrf = |base: [u8; 32]| key.sign(&base).expect("vrf").bytes;
        let base = ticket_vrf_base(&beacon, h.height, &h.miner, Some(&parent_ticket));
        h.ticket = Some(Ticket {
            vrf_proof: vrf(base.expect("base")),
        });
        let base = election_vrf_base(&beacon, h.height, &h.miner).expect("base");
        h.election_proof = Some(ElectionProof {
            win_count: 1,
            vrf_proof: vrf(base),
        });
        test_utils::sign_block(&key, &mut h);
        Signed {
            header: h,
            worker: key.address().expect("addr"),
            prev: BeaconEntry {
                round: 19,
                data: vec![4; 96],
            },
            parent_ticket,
        }
    }

    fn all(s: &Signed) -> Result {
        let h = &s.header;
        sanity(h)?;
        block_signature(h, &s.worker)?;
        election_proof(h, &s.worker, &s.prev)?;
        ticket(h, &s.worker, &s.prev, Some(&s.parent_ticket))
    }

    #[test]
    fn a_valid_header_passes_every_check() {
        all(&signed()).expect("valid");
    }

    #[test]
    fn sanity_names_the_missing_field_and_a_non_id_miner() {
        let s = signed();
        type Strip = fn(&mut BlockHeader);
        let cases: [(&str, Strip); 4] = [
            ("ElectionProof", |h| h.election_proof = None),
            ("Ticket", |h| h.ticket = None),
            ("BlockSig", |h| h.block_sig = None),
            ("BLSAggregate", |h| h.bls_aggregate = None),
        ];
        for (field, strip) in cases {
            let mut h = s.header.clone();
            strip(&mut h);
            assert_eq!(sanity(&h), Err(ValidationError::Missing(field)));
        }
        let mut h = s.header.clone();
        h.miner = s.worker;
        assert_eq!(sanity(&h), Err(ValidationError::MinerNotId(s.worker)));
    }

    #[test]
    fn a_signature_by_another_key_or_over_another_header_fails() {
        let mut s = signed();
        let other = PrivateKey::generate(SignatureType::BLS);
        let mut by_other = s.header.clone();
        test_utils::sign_block(&other, &mut by_other);
        assert!(matches!(
            block_signature(&by_other, &s.worker),
            Err(ValidationError::BlockSignature(_))
        ));
        s.header.timestamp += 1;
        assert!(matches!(all(&s), Err(ValidationError::BlockSignature(_))));
        s.header.block_sig = None;
        assert_eq!(
            block_signature(&s.header, &s.worker),
            Err(ValidationError::Missing("BlockSig"))
        );
    }

    #[test]
    fn a_wrong_election_proof_fails() {
        let s = signed();
        // The ticket's VRF is the worker's, but over other randomness.
        let mut h = s.header.clone();
        let ticket_vrf = h.ticket.clone().expect("ticket").vrf_proof;
        h.election_proof = Some(ElectionProof {
            win_count: 1,
            vrf_proof: ticket_vrf,
        });
        assert!(matches!(
            election_proof(&h, &s.worker, &s.prev),
            Err(ValidationError::ElectionProof(_))
        ));
        // The right VRF, drawn from another beacon than the header's.
        let mut h = s.header.clone();
        h.beacon_entries.clear();
        assert!(matches!(
            election_proof(&h, &s.worker, &s.prev),
            Err(ValidationError::ElectionProof(_))
        ));
        // A claim of no win.
        let mut h = s.header.clone();
        if let Some(ep) = h.election_proof.as_mut() {
            ep.win_count = 0;
        }
        assert_eq!(
            election_proof(&h, &s.worker, &s.prev),
            Err(ValidationError::NotAWinner(0))
        );
    }

    #[test]
    fn a_tampered_ticket_or_another_parent_ticket_fails() {
        let s = signed();
        let mut h = s.header.clone();
        if let Some(t) = h.ticket.as_mut() {
            t.vrf_proof[5] ^= 1;
        }
        assert!(matches!(
            ticket(&h, &s.worker, &s.prev, Some(&s.parent_ticket)),
            Err(ValidationError::Ticket(_))
        ));
        let other_parent = Ticket {
            vrf_proof: vec![8; 96],
        };
        for parent in [Some(&other_parent), None] {
            assert!(matches!(
                ticket(&s.header, &s.worker, &s.prev, parent),
                Err(ValidationError::Ticket(_))
            ));
        }
    }

    #[test]
    fn the_vrfs_need_the_bls_worker() {
        let s = signed();
        let secp = PrivateKey::generate(SignatureType::Secp256k1)
            .address()
            .expect("addr");
        let h = &s.header;
        assert!(matches!(
            ticket(h, &secp, &s.prev, Some(&s.parent_ticket)),
            Err(ValidationError::Ticket(_))
        ));
        assert!(matches!(
            election_proof(h, &secp, &s.prev),
            Err(ValidationError::ElectionProof(_))
        ));
    }

    #[test]
    fn the_header_beacon_is_preferred_over_the_parent_chains() {
        let s = signed();
        assert_eq!(
            randomness_beacon(&s.header, &s.prev),
            &s.header.beacon_entries[0]
        );
        let mut h = s.header.clone();
        h.beacon_entries.clear();
        assert_eq!(randomness_beacon(&h, &s.prev), &s.prev);
    }

    #[test]
    fn win_count_must_be_what_the_power_gives() {
        let mut h = signed().header;
        let (power, total) = (BigInt::from(1), BigInt::from(1));
        let computed = WinCounter::new(&power, &total)
            .win_count(&h.election_proof.as_ref().expect("proof").vrf_proof);
        for claimed in [computed, computed + 1] {
            if let Some(ep) = h.election_proof.as_mut() {
                ep.win_count = claimed;
            }
            let want = if claimed == computed {
                Ok(())
            } else {
                Err(ValidationError::WinCount { claimed, computed })
            };
            assert_eq!(win_count(&h, &power, &total), want);
        }
        // No power, no win.
        assert_eq!(
            win_count(&h, &BigInt::from(0), &total),
            Err(ValidationError::WinCount {
                claimed: computed + 1,
                computed: 0
            })
        );
    }
}
