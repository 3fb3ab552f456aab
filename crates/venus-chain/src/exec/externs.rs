//! What the executor needs from outside the state tree, as ref-fvm's
//! `Externs` and verification syscalls: randomness from the chain and the
//! beacon, and proof verification.

use std::sync::Arc;

use fvm_shared::clock::ChainEpoch;
use venus_core::traits::SealVerifier;

/// The randomness of the chain at an epoch, before it is drawn for a
/// purpose (ref-fvm's `Rand`): the digest the actors' draws start from.
///
/// Lotus's `GetChainRandomness` is the Blake2b-256 of the VRF proof of the
/// ticket of the tipset at `epoch` (or the last one before it, over null
/// rounds), looking back from the executing tipset; `GetBeaconRandomness`
/// the Blake2b-256 of the beacon entry for `epoch`. The node implements it
/// over its chain store.
///
/// An epoch before genesis (a pre-commit may draw its ticket up to a day
/// and a finality back) reads the genesis ticket, as Lotus clamps the
/// search height to 0; the draw still mixes in the epoch asked for. An
/// error fails the message that asked (`USR_ILLEGAL_ARGUMENT`), not the
/// tipset.
pub trait Randomness: Send + Sync {
    /// The ticket digest at `epoch`.
    fn chain_randomness(&self, epoch: ChainEpoch) -> anyhow::Result<[u8; 32]>;
    /// The beacon digest at `epoch`.
    fn beacon_randomness(&self, epoch: ChainEpoch) -> anyhow::Result<[u8; 32]>;
}

/// Randomness and verification for a VM.
#[derive(Clone)]
pub struct Externs {
    /// Chain and beacon randomness.
    pub randomness: Arc<dyn Randomness>,
    /// Seal and window PoSt verification (venus-sealer-lib's `Prover` for
    /// real proofs).
    pub verifier: Arc<dyn SealVerifier>,
}

impl std::fmt::Debug for Externs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Externs").finish_non_exhaustive()
    }
}
