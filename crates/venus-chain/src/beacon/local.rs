//! [`LocalBeacon`]: a BLS key made at genesis signs each round, chained to
//! the previous one as drand's `pedersen-bls-chained` scheme does: round
//! `r` is the G2 signature, under a G1 public key, of
//! sha256(signature of round `r − 1` ‖ `r` as a big-endian u64), with the
//! hash-to-curve suite `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_`.
//! Round 0 is the genesis block's entry (32 zero bytes), which round 1
//! chains to.

use blst::min_pk::SecretKey;
use venus_core::crypto::{DrandNetwork, DrandScheme};
use venus_core::types::BeaconEntry;

use crate::error::{ChainError, Result};

/// The hash-to-curve suite of chained drand (and of Filecoin's BLS keys).
const DST_G2: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_";

/// A devnet's beacon: its key and the drand parameters others verify with.
pub struct LocalBeacon {
    key: SecretKey,
    network: DrandNetwork,
    /// Rounds made so far; index `r` holds round `r` (0 is genesis's).
    rounds: std::sync::Mutex<Vec<BeaconEntry>>,
}

impl std::fmt::Debug for LocalBeacon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBeacon")
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

impl LocalBeacon {
    /// A beacon with a new random key, whose round 1 is at
    /// `genesis_time` (Unix seconds) and rounds `period` seconds apart.
    pub fn generate(genesis_time: u64, period: u64) -> Result<Self> {
        let mut ikm = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut ikm);
        let key = SecretKey::key_gen(&ikm, &[])
            .map_err(|e| ChainError::State(format!("beacon key: {e:?}")))?;
        Self::with_key(key, genesis_time, period)
    }

    /// The beacon of a key kept from an earlier run (its 32 secret bytes,
    /// [`LocalBeacon::secret`]).
    pub fn from_secret(secret: &[u8], genesis_time: u64, period: u64) -> Result<Self> {
        let key = SecretKey::from_bytes(secret)
            .map_err(|e| ChainError::State(format!("beacon key: {e:?}")))?;
        Self::with_key(key, genesis_time, period)
    }

    fn with_key(key: SecretKey, genesis_time: u64, period: u64) -> Result<Self> {
        if period == 0 {
            return Err(ChainError::State("a beacon period of 0 seconds".into()));
        }
        let network = DrandNetwork {
            scheme: DrandScheme::Chained,
            public_key: key.sk_to_pk().to_bytes().to_vec(),
            genesis_time,
            period,
        };
        Ok(LocalBeacon {
            key,
            network,
            rounds: std::sync::Mutex::new(vec![Self::genesis_entry()]),
        })
    }

    /// The key's 32 secret bytes, to keep for the next run.
    pub fn secret(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The drand parameters that verify this beacon's entries: what the
    /// node's config carries as its beacon's chain info.
    pub fn network(&self) -> &DrandNetwork {
        &self.network
    }

    /// The genesis block's entry, round 0.
    pub fn genesis_entry() -> BeaconEntry {
        BeaconEntry {
            round: 0,
            data: vec![0; 32],
        }
    }

    /// Round `prev.round + 1`, chained to `prev`.
    pub fn next(&self, prev: &BeaconEntry) -> Result<BeaconEntry> {
        let round = prev
            .round
            .checked_add(1)
            .ok_or_else(|| ChainError::State("beacon round overflows".into()))?;
        let msg = self
            .network
            .round_message(round, Some(&prev.data))
            .map_err(|e| ChainError::State(format!("beacon round {round}: {e}")))?;
        Ok(BeaconEntry {
            round,
            data: self.key.sign(&msg, DST_G2, &[]).to_bytes().to_vec(),
        })
    }

    /// Round `round` of this beacon's chain (made, and kept, with every
    /// round before it that was not made yet).
    pub fn entry(&self, round: u64) -> Result<BeaconEntry> {
        let mut rounds = self.rounds.lock().unwrap_or_else(|p| p.into_inner());
        while (rounds.len() as u64) <= round {
            let prev = rounds.last().cloned().unwrap_or_else(Self::genesis_entry);
            rounds.push(self.next(&prev)?);
        }
        Ok(rounds[round as usize].clone())
    }
}
