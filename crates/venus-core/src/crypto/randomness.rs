//! Chain randomness (`DrawRandomness`).

use fvm_shared::clock::ChainEpoch;

use crate::encoding::blake2b_256;
use crate::Error;

/// Domain separation tags for randomness, with Lotus's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i64)]
pub enum DomainSeparationTag {
    /// Ticket VRF.
    TicketProduction = 1,
    /// Election proof VRF.
    ElectionProofProduction = 2,
    /// Winning PoSt challenge seed.
    WinningPoStChallengeSeed = 3,
    /// Window PoSt challenge seed.
    WindowedPoStChallengeSeed = 4,
    /// Sealing randomness.
    SealRandomness = 5,
    /// Interactive seal (PoRep) challenge seed.
    InteractiveSealChallengeSeed = 6,
    /// Window PoSt deadline assignment.
    WindowedPoStDeadlineAssignment = 7,
    /// Market cron seed.
    MarketDealCronSeed = 8,
    /// PoSt chain commit.
    PoStChainCommit = 9,
    /// EVM PREVRANDAO.
    EvmPrevRandao = 10,
}

impl TryFrom<i64> for DomainSeparationTag {
    type Error = Error;
    fn try_from(v: i64) -> Result<Self, Error> {
        use DomainSeparationTag::*;
        Ok(match v {
            1 => TicketProduction,
            2 => ElectionProofProduction,
            3 => WinningPoStChallengeSeed,
            4 => WindowedPoStChallengeSeed,
            5 => SealRandomness,
            6 => InteractiveSealChallengeSeed,
            7 => WindowedPoStDeadlineAssignment,
            8 => MarketDealCronSeed,
            9 => PoStChainCommit,
            10 => EvmPrevRandao,
            other => return Err(Error::Crypto(format!("unknown randomness tag {other}"))),
        })
    }
}

/// `DrawRandomness`: blake2b-256(i64_be(tag) ‖ blake2b-256(rbase) ‖ i64_be(round) ‖ entropy).
pub fn draw_randomness(
    rbase: &[u8],
    tag: DomainSeparationTag,
    round: ChainEpoch,
    entropy: &[u8],
) -> [u8; 32] {
    draw_randomness_from_digest(&blake2b_256(rbase), tag, round, entropy)
}

/// `DrawRandomnessFromDigest`: the same draw from a base already hashed
/// (the FVM's chain and beacon randomness: the digest of a ticket or a
/// beacon entry).
pub fn draw_randomness_from_digest(
    digest: &[u8; 32],
    tag: DomainSeparationTag,
    round: ChainEpoch,
    entropy: &[u8],
) -> [u8; 32] {
    let mut buf = Vec::with_capacity(8 + 32 + 8 + entropy.len());
    buf.extend_from_slice(&(tag as i64).to_be_bytes());
    buf.extend_from_slice(digest);
    buf.extend_from_slice(&round.to_be_bytes());
    buf.extend_from_slice(entropy);
    blake2b_256(&buf)
}
