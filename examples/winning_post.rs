//! A miner's proving side, assembled from venus-sealer-lib: pre-seal two 2 KiB
//! sectors, then answer a winning-PoSt challenge through the `ComputeProof`
//! trait and check it as a chain would through `ProofVerifier`.
//!
//! ```sh
//! cargo run -p venus-examples --example winning_post
//! ```
//! Needs only the PoSt parameters (generated on first use, under a minute).

use std::sync::Arc;

use venus_core::crypto::{draw_randomness, DomainSeparationTag};
use venus_core::shared::address::Address;
use venus_core::shared::sector::RegisteredSealProof;
use venus_core::traits::{ComputeProof, ProofVerifier};
use venus_core::types::ExtendedSectorInfo;
use venus_sealer_lib::params::{Circuit, ParamCache};
use venus_sealer_lib::{
    preseal, LocalSectorStore, PostProver, PostSector, PostVerifier, PreSealConfig, ProofPool,
    Prover,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The parameter directory is process-wide: open it before any threads start.
    let params = Arc::new(ParamCache::from_env()?);
    for circuit in Circuit::post_for(RegisteredSealProof::StackedDRG2KiBV1P1)? {
        params.ensure(circuit, &|event| eprintln!("{event:?}"))?;
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        // Sealing and PoSt get separate pools: a block's proof never waits behind sealing.
        let sealer = Prover::new(params.clone(), ProofPool::new(1));
        let post = sealer.with_pool(ProofPool::new(1));

        let dir = tempfile::tempdir()?;
        let store = LocalSectorStore::new(dir.path());
        let config = PreSealConfig::new(1000, RegisteredSealProof::StackedDRG2KiBV1P1, 2);
        let sealed = preseal(&sealer, &store, &config, &|done, total| {
            eprintln!("sealed {done}/{total}")
        })
        .await?;

        // The chain's randomness for this miner: the miner address is the entropy.
        let miner = Address::new_id(1000);
        let entropy = venus_core::encoding::to_cbor(&miner)?;
        let randomness = draw_randomness(
            b"beacon entry",
            DomainSeparationTag::WinningPoStChallengeSeed,
            100,
            &entropy,
        );

        // Which sectors the challenge picks (MinerGetBaseInfo does this on a real node).
        let eligible: Vec<PostSector> = sealed
            .iter()
            .map(PostSector::try_from)
            .collect::<venus_sealer_lib::Result<_>>()?;
        let challenged: Vec<ExtendedSectorInfo> = post
            .winning_sectors(1000, &eligible, &randomness)
            .await?
            .iter()
            .filter_map(|c| sealed.iter().find(|s| s.number == c.number))
            .map(|s| s.sector_info())
            .collect();

        let computer: Arc<dyn ComputeProof> =
            Arc::new(PostProver::new(post.clone(), Arc::new(store)));
        let verifier: Arc<dyn ProofVerifier> = Arc::new(PostVerifier::new(post.on_demand(false)));
        let proofs = computer
            .compute_winning_post(&miner, &challenged, &randomness)
            .await?;
        let valid = verifier
            .verify_winning_post(&miner, &challenged, &randomness, &proofs)
            .await?;
        println!(
            "sector {} challenged; winning PoSt of {} bytes; valid: {valid}",
            challenged[0].sector_number,
            proofs[0].proof_bytes.len()
        );
        Ok(())
    })
}
