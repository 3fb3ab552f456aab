//! A header's drand entries: Lotus `beacon.ValidateBlockValues`
//! (`chain/beacon/beacon.go`), with the rounds an epoch calls for from
//! `DrandBeacon.MaxBeaconRoundForEpoch` (`chain/beacon/drand/drand.go`).

use fvm_shared::clock::ChainEpoch;

use super::error::{Result, ValidationError};
use crate::crypto::{DrandNetwork, DrandScheme};
use crate::types::{BeaconEntry, BlockHeader};

/// The chain's clock: when its genesis block was and how long an epoch
/// lasts, which together say which drand round a block must reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainClock {
    /// Unix time of the genesis block (its `Timestamp`).
    pub genesis_time: u64,
    /// Seconds per epoch (`BlockDelaySecs`, 30 on mainnet).
    pub block_delay: u64,
}

impl ChainClock {
    /// The last drand round a block at `epoch` carries: the round current at
    /// the start of the epoch before it. Lotus `MaxBeaconRoundForEpoch` from
    /// network version 16 (`maxBeaconRoundV2`), which is 1 before drand's
    /// genesis.
    pub fn max_beacon_round(&self, drand: &DrandNetwork, epoch: ChainEpoch) -> u64 {
        let epoch = u64::try_from(epoch).unwrap_or(0);
        let latest = self
            .genesis_time
            .saturating_add(epoch.saturating_mul(self.block_delay))
            .saturating_sub(self.block_delay);
        drand.round_at(latest).max(1)
    }
}

/// The last loop of Lotus `ValidateBlockValues`: each of the header's entries
/// verifies on `drand`, the first after `prev` (the parent chain's latest
/// entry), each next after the one before it. On a chained network that is
/// a chain of signatures; on an unchained one (quicknet) each round stands
/// alone.
pub fn beacon_entries(h: &BlockHeader, drand: &DrandNetwork, prev: &BeaconEntry) -> Result {
    let mut prev = prev;
    for (index, entry) in h.beacon_entries.iter().enumerate() {
        drand
            .verify_entry(entry, Some(prev))
            .map_err(|e| ValidationError::BeaconEntry {
                index,
                round: entry.round,
                reason: e.to_string(),
            })?;
        prev = entry;
    }
    Ok(())
}

/// Lotus `ValidateBlockValues`: the header carries the drand rounds its
/// epoch calls for, ending at [`ChainClock::max_beacon_round`] (none when the
/// parent chain already reached it), on an unchained network exactly one
/// round per epoch since `parent_epoch`, and [`beacon_entries`] holds.
///
/// `drand` is the network in force at the header's height. As in Lotus, a
/// chained network's first entries (`prev` at round 0) are not verified.
/// The switch *to* a chained network, which Lotus checks with two entries
/// at the fork, happened once on mainnet (epoch 51000) and is left to the
/// node's beacon schedule.
pub fn beacon_values(
    h: &BlockHeader,
    drand: &DrandNetwork,
    clock: &ChainClock,
    parent_epoch: ChainEpoch,
    prev: &BeaconEntry,
) -> Result {
    let rounds = |why: String| Err(ValidationError::BeaconRounds(why));
    let max_round = clock.max_beacon_round(drand, h.height);
    let entries = &h.beacon_entries;
    if max_round == prev.round {
        if !entries.is_empty() {
            return rounds(format!(
                "expected no entries, the parent chain is at round {max_round} already; got {}",
                entries.len()
            ));
        }
        return Ok(());
    }
    let Some(last) = entries.last() else {
        return rounds(format!(
            "expected entries up to round {max_round}, got none"
        ));
    };
    let chained = drand.scheme == DrandScheme::Chained;
    if chained && prev.round == 0 {
        return Ok(());
    }
    if last.round != max_round {
        return rounds(format!(
            "expected the last entry at round {max_round}, got {}",
            last.round
        ));
    }
    if !chained {
        for (epoch, e) in (parent_epoch + 1..).zip(entries) {
            let want = clock.max_beacon_round(drand, epoch);
            if e.round != want {
                return rounds(format!(
                    "unexpected round {}, expected {want} for epoch {epoch}",
                    e.round
                ));
            }
        }
    }
    beacon_entries(h, drand, prev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_utils;

    /// drand.json's real rounds of `chain`, by round.
    fn rounds(chain: &str) -> Vec<BeaconEntry> {
        let dir = std::env::var("VENUS_VECTORS").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors").into()
        });
        let path = std::path::Path::new(&dir).join("drand.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; set VENUS_VECTORS", path.display()));
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        v["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["chain"] == chain)
            .map(|e| BeaconEntry {
                round: e["round"].as_u64().expect("round"),
                data: hex::decode(e["signature"].as_str().expect("sig")).expect("hex"),
            })
            .collect()
    }

    fn header(height: ChainEpoch, entries: Vec<BeaconEntry>) -> BlockHeader {
        let mut h = test_utils::tipset(height, 1).blocks()[0].clone();
        h.beacon_entries = entries;
        h
    }

    /// A clock that puts epoch `n` at drand round `n`.
    fn in_step(drand: &DrandNetwork) -> ChainClock {
        ChainClock {
            genesis_time: drand.genesis_time,
            block_delay: drand.period,
        }
    }

    fn entry_error(r: Result) -> usize {
        match r {
            Err(ValidationError::BeaconEntry { index, .. }) => index,
            other => panic!("expected a beacon entry error, got {other:?}"),
        }
    }

    #[test]
    fn a_chained_beacon_verifies_link_by_link() {
        let net = DrandNetwork::mainnet();
        let [r2, r3, r4] = <[BeaconEntry; 3]>::try_from(rounds("mainnet_chained")).expect("3");
        beacon_entries(&header(4, vec![r3.clone(), r4.clone()]), &net, &r2).expect("valid");

        // A missing link, a swapped pair, a flipped bit.
        assert_eq!(
            entry_error(beacon_entries(&header(4, vec![r4.clone()]), &net, &r2)),
            0
        );
        let swapped = [r4.clone(), r3.clone()];
        assert_eq!(
            entry_error(beacon_entries(&header(4, swapped.to_vec()), &net, &r2)),
            0
        );
        let mut flipped = r4.clone();
        flipped.data[10] ^= 1;
        assert_eq!(
            entry_error(beacon_entries(
                &header(4, vec![r3.clone(), flipped]),
                &net,
                &r2
            )),
            1
        );
        // The right round with another round's signature.
        let forged = BeaconEntry {
            round: 4,
            data: r3.data.clone(),
        };
        assert_eq!(
            entry_error(beacon_entries(&header(4, vec![r3, forged]), &net, &r2)),
            1
        );
    }

    #[test]
    fn an_unchained_beacon_verifies_each_round() {
        let net = DrandNetwork::quicknet();
        let q = rounds("quicknet");
        let any_prev = BeaconEntry {
            round: 1,
            data: vec![],
        };
        beacon_entries(&header(3, q.clone()), &net, &any_prev).expect("valid");
        let mut flipped = q.clone();
        flipped[1].data[0] ^= 1;
        assert_eq!(
            entry_error(beacon_entries(&header(3, flipped.clone()), &net, &any_prev)),
            1
        );
        // A mainnet round is no quicknet round.
        let mainnet = rounds("mainnet_chained");
        assert_eq!(
            entry_error(beacon_entries(
                &header(3, mainnet[1..2].to_vec()),
                &net,
                &any_prev
            )),
            0
        );
    }

    #[test]
    fn beacon_values_want_the_rounds_of_the_epoch() {
        let net = DrandNetwork::mainnet();
        let clock = in_step(&net);
        let [r2, r3, r4] = <[BeaconEntry; 3]>::try_from(rounds("mainnet_chained")).expect("3");
        let links = [r3.clone(), r4.clone()];
        beacon_values(&header(4, links.to_vec()), &net, &clock, 2, &r2).expect("valid");

        let bad_rounds =
            |r: Result| assert!(matches!(r, Err(ValidationError::BeaconRounds(_))), "{r:?}");
        // One epoch later, round 5 is due.
        bad_rounds(beacon_values(
            &header(5, links.to_vec()),
            &net,
            &clock,
            3,
            &r2,
        ));
        bad_rounds(beacon_values(&header(4, vec![]), &net, &clock, 2, &r2));
        // The parent chain already at the epoch's round: no entries.
        beacon_values(&header(2, vec![]), &net, &clock, 1, &r2).expect("nothing new");
        bad_rounds(beacon_values(
            &header(2, vec![r3.clone()]),
            &net,
            &clock,
            1,
            &r2,
        ));
        // Right rounds, broken chain.
        let mut flipped = r4.clone();
        flipped.data[0] ^= 1;
        let r = beacon_values(&header(4, vec![r3, flipped]), &net, &clock, 2, &r2);
        assert_eq!(entry_error(r), 1);
    }

    #[test]
    fn an_unchained_beacon_needs_one_round_per_epoch() {
        let net = DrandNetwork::quicknet();
        let clock = in_step(&net);
        let q = rounds("quicknet");
        let prev = BeaconEntry {
            round: 1,
            data: vec![],
        };
        beacon_values(&header(3, q.clone()), &net, &clock, 1, &prev).expect("valid");
        // A parent at epoch 2 leaves room for round 3 only.
        let r = beacon_values(&header(3, q.clone()), &net, &clock, 2, &prev);
        assert!(matches!(r, Err(ValidationError::BeaconRounds(_))), "{r:?}");
    }

    #[test]
    fn max_round_is_one_before_drand_genesis() {
        let net = DrandNetwork::quicknet();
        let early = ChainClock {
            genesis_time: net.genesis_time - 3_600,
            block_delay: 30,
        };
        assert_eq!(early.max_beacon_round(&net, 0), 1);
        assert_eq!(early.max_beacon_round(&net, 100), 1);
        // 120 epochs of 30 s after an hour before genesis: 30 minutes in, round 601.
        assert_eq!(early.max_beacon_round(&net, 181), 601);
        assert_eq!(in_step(&net).max_beacon_round(&net, 7), 7);
    }
}
