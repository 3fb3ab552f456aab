//! Winning and window PoSt: sector challenge, generation and verification.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use filecoin_proofs_api::post;
use filecoin_proofs_api::{PrivateReplicaInfo, PublicReplicaInfo, SectorId};
use venus_core::shared::sector::{
    PoStProof, RegisteredPoStProof, RegisteredSealProof, SectorNumber,
};
use venus_core::shared::ActorID;

use super::{api_post, Prover};
use crate::error::{Result, SealerError};
use crate::params::Circuit;
use crate::sector::SectorRef;
use crate::store::{SectorPaths, SectorStore};
use crate::types::{comm_r, post_proofs, prover_id, sector_bytes, Commitment, SealedSector};
use venus_core::types::ExtendedSectorInfo;

/// A sealed sector as PoSt sees it: number, seal type and CommR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostSector {
    /// The sector number.
    pub number: SectorNumber,
    /// How it was sealed.
    pub proof: RegisteredSealProof,
    /// Its replica commitment.
    pub comm_r: Commitment,
}

impl TryFrom<&SealedSector> for PostSector {
    type Error = SealerError;

    /// Fails only if the sealed CID is not a CommR.
    fn try_from(s: &SealedSector) -> Result<Self> {
        Ok(Self {
            number: s.number,
            proof: s.proof,
            comm_r: comm_r(&s.sealed_cid)?,
        })
    }
}

impl TryFrom<&ExtendedSectorInfo> for PostSector {
    type Error = SealerError;

    /// Fails only if the sealed CID is not a CommR.
    fn try_from(s: &ExtendedSectorInfo) -> Result<Self> {
        Ok(Self {
            number: s.sector_number,
            proof: s.seal_proof,
            comm_r: comm_r(&s.sealed_cid)?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Kind {
    Winning,
    Window,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Winning => "winning post",
            Kind::Window => "window post",
        }
    }

    fn verify_name(self) -> &'static str {
        match self {
            Kind::Winning => "verify winning post",
            Kind::Window => "verify window post",
        }
    }

    /// Checks `sectors` (some, one seal type, no number twice) and returns the
    /// PoSt type that proves them.
    fn post_type(self, sectors: &[PostSector]) -> Result<RegisteredPoStProof> {
        let invalid = |what: String| SealerError::InvalidInput(format!("{}: {what}", self.name()));
        let first = sectors
            .first()
            .ok_or_else(|| invalid("no sectors".into()))?;
        let mut seen = std::collections::BTreeSet::new();
        for s in sectors {
            if s.proof != first.proof {
                return Err(invalid(format!(
                    "sectors {} and {} have different seal types",
                    first.number, s.number
                )));
            }
            if !seen.insert(s.number) {
                return Err(invalid(format!("sector {} listed twice", s.number)));
            }
        }
        let [winning, window] = post_proofs(first.proof)?;
        Ok(match self {
            Kind::Winning => winning,
            Kind::Window => window,
        })
    }
}

/// One partition's Groth16 proof: two G1 points and a G2 point, compressed.
const GROTH_PROOF_BYTES: usize = 192;

/// PoSt randomness is a field element: Lotus clears the top two bits.
fn fr_randomness(randomness: &[u8; 32]) -> [u8; 32] {
    let mut r = *randomness;
    r[31] &= 0x3f;
    r
}

impl Prover {
    /// The indices (into a miner's `eligible` sectors) that winning PoSt challenges.
    pub async fn winning_challenge(
        &self,
        proof: RegisteredPoStProof,
        miner: ActorID,
        randomness: &[u8; 32],
        eligible: u64,
    ) -> Result<Vec<u64>> {
        let api = api_post(proof)?;
        let randomness = fr_randomness(randomness);
        self.pool
            .run_short("winning post challenge", move || {
                post::generate_winning_post_sector_challenge(
                    api,
                    &randomness,
                    eligible,
                    prover_id(miner),
                )
                .map_err(|e| SealerError::proof("winning post challenge", e))
            })
            .await
    }

    /// A winning PoSt over the challenged `sectors` of `miner`, read from `store`.
    pub async fn generate_winning_post(
        &self,
        store: &dyn SectorStore,
        miner: ActorID,
        sectors: &[PostSector],
        randomness: &[u8; 32],
    ) -> Result<Vec<PoStProof>> {
        let job = self
            .plan(Kind::Winning, store, miner, sectors, randomness)
            .await?;
        self.prove(job).await
    }

    /// A window PoSt over `sectors` of `miner` (as many partitions as they fill),
    /// read from `store`.
    pub async fn generate_window_post(
        &self,
        store: &dyn SectorStore,
        miner: ActorID,
        sectors: &[PostSector],
        randomness: &[u8; 32],
    ) -> Result<Vec<PoStProof>> {
        let job = self
            .plan(Kind::Window, store, miner, sectors, randomness)
            .await?;
        self.prove(job).await
    }

    /// Verifies a winning PoSt; `Ok(false)` when it does not prove these inputs.
    pub async fn verify_winning_post(
        &self,
        miner: ActorID,
        sectors: &[PostSector],
        randomness: &[u8; 32],
        proofs: &[PoStProof],
    ) -> Result<bool> {
        self.verify(Kind::Winning, miner, sectors, randomness, proofs)
            .await
    }

    /// The sectors a winning PoSt must prove: those of `eligible` that the
    /// challenge (drawn from `randomness` and the miner's prover id) selects.
    ///
    /// The challenge indexes the sectors in ascending sector-number order, as
    /// Lotus lists them from the miner's state (`GetSectorsForWinningPoSt`
    /// in `chain/stmgr/actors.go`), whatever order `eligible` comes in.
    pub async fn winning_sectors(
        &self,
        miner: ActorID,
        eligible: &[PostSector],
        randomness: &[u8; 32],
    ) -> Result<Vec<PostSector>> {
        let post_type = Kind::Winning.post_type(eligible)?;
        let mut eligible = eligible.to_vec();
        eligible.sort_by_key(|s| s.number);
        let indices = self
            .winning_challenge(post_type, miner, randomness, eligible.len() as u64)
            .await?;
        indices
            .into_iter()
            .map(|i| {
                eligible.get(i as usize).copied().ok_or_else(|| {
                    SealerError::InvalidInput(format!(
                        "challenge index {i} outside {} sectors",
                        eligible.len()
                    ))
                })
            })
            .collect()
    }

    /// Verifies a winning PoSt as a chain does, from the miner's `eligible`
    /// sectors: the challenged sectors are derived from the prover id first.
    ///
    /// filecoin-proofs' PoSt SNARK itself does not bind the prover id (its
    /// challenges come from the randomness and sector numbers only); the miner's
    /// identity enters through this sector selection and through the randomness,
    /// which Lotus draws with the miner's address as entropy.
    /// [`Prover::verify_winning_post`] takes already-challenged sectors and so
    /// checks neither.
    pub async fn verify_winning_post_eligible(
        &self,
        miner: ActorID,
        eligible: &[PostSector],
        randomness: &[u8; 32],
        proofs: &[PoStProof],
    ) -> Result<bool> {
        let challenged = self.winning_sectors(miner, eligible, randomness).await?;
        self.verify(Kind::Winning, miner, &challenged, randomness, proofs)
            .await
    }

    /// Verifies a window PoSt; `Ok(false)` when it does not prove these inputs.
    pub async fn verify_window_post(
        &self,
        miner: ActorID,
        sectors: &[PostSector],
        randomness: &[u8; 32],
        proofs: &[PoStProof],
    ) -> Result<bool> {
        self.verify(Kind::Window, miner, sectors, randomness, proofs)
            .await
    }

    /// A winning PoSt's work, planned here (inputs checked, sectors
    /// located, parameters ready) and proved by [`PostJob::run`], here or
    /// in another process ([`crate::child`]).
    pub(crate) async fn winning_post_job(
        &self,
        store: &dyn SectorStore,
        miner: ActorID,
        sectors: &[PostSector],
        randomness: &[u8; 32],
    ) -> Result<PostJob> {
        self.plan(Kind::Winning, store, miner, sectors, randomness)
            .await
    }

    async fn plan(
        &self,
        kind: Kind,
        store: &dyn SectorStore,
        miner: ActorID,
        sectors: &[PostSector],
        randomness: &[u8; 32],
    ) -> Result<PostJob> {
        let post_type = kind.post_type(sectors)?;
        api_post(post_type)?;
        let sector_bytes = sector_bytes(sectors[0].proof)?;
        let replicas = sectors
            .iter()
            .map(|s| (s.comm_r, store.paths(SectorRef::new(miner, s.number))))
            .collect();
        self.ready(Circuit::PoSt(post_type)).await?;
        Ok(PostJob {
            kind,
            post_type: post_type.into(),
            miner,
            randomness: fr_randomness(randomness),
            sector_bytes,
            replicas,
        })
    }

    /// Proves `job` on the pool, in this process.
    async fn prove(&self, job: PostJob) -> Result<Vec<PoStProof>> {
        let post_type = job.post_type();
        let proofs = self.pool.run(job.stage(), move || job.run()).await?;
        Ok(with_type(post_type, proofs))
    }

    async fn verify(
        &self,
        kind: Kind,
        miner: ActorID,
        sectors: &[PostSector],
        randomness: &[u8; 32],
        proofs: &[PoStProof],
    ) -> Result<bool> {
        let post_type = kind.post_type(sectors)?;
        let api = api_post(post_type)?;
        let proof = match proofs {
            [p] if p.post_proof == post_type && !p.proof_bytes.is_empty() && p.proof_bytes.len().is_multiple_of(GROTH_PROOF_BYTES) => {
                p.proof_bytes.clone()
            }
            [p] if p.post_proof == post_type => {
                return Err(SealerError::InvalidInput(format!(
                    "{}: proof of {} bytes is not a whole number of {GROTH_PROOF_BYTES}-byte partition proofs",
                    kind.name(),
                    p.proof_bytes.len()
                )))
            }
            [p] => {
                tracing::debug!(target: "venus::sealer", got = ?p.post_proof, want = ?post_type, "PoSt of the wrong type");
                return Ok(false);
            }
            _ => {
                return Err(SealerError::InvalidInput(format!(
                    "{}: expected exactly one proof, got {}",
                    kind.name(),
                    proofs.len()
                )))
            }
        };
        let replicas: BTreeMap<_, _> = sectors
            .iter()
            .map(|s| {
                (
                    SectorId::from(s.number),
                    PublicReplicaInfo::new(api, s.comm_r),
                )
            })
            .collect();
        self.ready(Circuit::PoSt(post_type)).await?;
        let randomness = fr_randomness(randomness);
        let stage = kind.verify_name();
        self.pool
            .run_short(stage, move || {
                let out = match kind {
                    Kind::Winning => {
                        post::verify_winning_post(&randomness, &proof, &replicas, prover_id(miner))
                    }
                    Kind::Window => post::verify_window_post(
                        &randomness,
                        &[(api, proof.as_slice())],
                        &replicas,
                        prover_id(miner),
                    ),
                };
                out.map_err(|e| SealerError::proof(stage, e))
            })
            .await
    }
}

/// Proof bytes as PoSt proofs of `post_type`.
pub(crate) fn with_type(post_type: RegisteredPoStProof, proofs: Vec<Vec<u8>>) -> Vec<PoStProof> {
    proofs
        .into_iter()
        .map(|proof_bytes| PoStProof {
            post_proof: post_type,
            proof_bytes,
        })
        .collect()
}

/// One PoSt's work, ready to prove: what [`Prover`] planned in the
/// caller's process, and all a process proving it needs besides the
/// parameters (serializable, so a child process can take it over a pipe).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PostJob {
    kind: Kind,
    /// Lotus's number for the PoSt type.
    post_type: i64,
    miner: ActorID,
    /// Already a field element ([`fr_randomness`]).
    randomness: [u8; 32],
    sector_bytes: u64,
    replicas: Vec<(Commitment, SectorPaths)>,
}

impl PostJob {
    /// The PoSt type it proves.
    pub(crate) fn post_type(&self) -> RegisteredPoStProof {
        RegisteredPoStProof::from(self.post_type)
    }

    /// The stage name (`winning post`, `window post`).
    pub(crate) fn stage(&self) -> &'static str {
        self.kind.name()
    }

    /// Proves it on this thread (blocking: seconds to minutes), returning
    /// each partition's proof bytes.
    pub(crate) fn run(self) -> Result<Vec<Vec<u8>>> {
        let stage = self.kind.name();
        let api = api_post(self.post_type())?;
        let mut replicas = BTreeMap::new();
        for (comm_r, paths) in self.replicas {
            // File checks read the disk: here, where the proof runs.
            paths.check_sealed(self.sector_bytes)?;
            let number = paths.sector.number;
            let info = PrivateReplicaInfo::new(api, comm_r, paths.cache, paths.sealed);
            replicas.insert(SectorId::from(number), info);
        }
        let prover = prover_id(self.miner);
        let out = match self.kind {
            Kind::Winning => post::generate_winning_post(&self.randomness, &replicas, prover),
            Kind::Window => post::generate_window_post(&self.randomness, &replicas, prover),
        };
        let proofs = out.map_err(|e| SealerError::proof(stage, e))?;
        Ok(proofs.into_iter().map(|(_, bytes)| bytes).collect())
    }
}
