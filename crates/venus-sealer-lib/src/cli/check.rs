//! `venus-sealer check`: seal one sector and prove and verify it, timing each stage.

use std::future::Future;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use venus_core::shared::sector::RegisteredSealProof;
use venus_core::shared::ActorID;

use crate::{LocalSectorStore, PostSector, Prover, SectorRef, SectorStore};

async fn timed<T, F: Future<Output = crate::Result<T>>>(stage: &str, f: F) -> Result<T> {
    let started = Instant::now();
    let out = f.await?;
    println!("{stage:<22} {:>9.3}s", started.elapsed().as_secs_f64());
    Ok(out)
}

fn verdict(what: &str, ok: bool) -> bool {
    println!("{what:<22} {}", if ok { "ok" } else { "FAILED" });
    ok
}

/// Seals sector 0 of `miner` under `repo` and proves it; `Ok(false)` if a proof
/// did not verify (or a wrong input was accepted).
pub(super) async fn run(
    prover: &Prover,
    repo: &Path,
    miner: ActorID,
    seal: RegisteredSealProof,
    post_only: bool,
) -> Result<bool> {
    let store = LocalSectorStore::new(repo);
    let sector = SectorRef::new(miner, 0);
    let paths = store.prepare(sector)?;
    crate::preseal::remove_sealed(&paths.sealed, &paths.cache)?;
    let piece_bytes = crate::types::sector_bytes(seal)? / 128 * 127;
    let data = crate::preseal::piece_reader(sector, piece_bytes);
    let ticket = [7u8; 32];
    let seed = [9u8; 32];
    let randomness = [42u8; 32];
    let mut ok = true;

    let piece = timed(
        "add piece",
        prover.add_piece(seal, data, piece_bytes, paths.unsealed.clone(), vec![]),
    )
    .await?;
    let pc1 = timed("pc1", prover.pc1(seal, &paths, ticket, vec![piece.clone()])).await?;
    let pre = timed("pc2", prover.pc2(pc1, &paths)).await?;
    println!("CommR {}", crate::types::sealed_cid(&pre.comm_r)?);
    println!("CommD {}", crate::types::unsealed_cid(&pre.comm_d)?);

    if !post_only {
        let c1 = timed("c1", prover.c1(&paths, ticket, seed, pre, vec![piece])).await?;
        let proof = timed("c2", prover.c2(c1, sector)).await?;
        let valid = timed(
            "verify seal",
            prover.verify_seal(pre, sector, ticket, seed, proof.clone()),
        )
        .await?;
        ok &= verdict("seal proof", valid);
        let wrong = prover
            .verify_seal(pre, sector, ticket, [8u8; 32], proof)
            .await?;
        ok &= verdict("wrong seed refused", !wrong);
    }

    let sectors = [PostSector {
        number: sector.number,
        proof: seal,
        comm_r: pre.comm_r,
    }];
    let winning_type = venus_core::traits::winning_post_type(seal)?;
    let challenged = timed(
        "winning challenge",
        prover.winning_challenge(winning_type, miner, &randomness, 1),
    )
    .await?;
    println!("challenged sectors     {challenged:?}");
    let winning = timed(
        "winning post",
        prover.generate_winning_post(&store, miner, &sectors, &randomness),
    )
    .await?;
    let valid = timed(
        "verify winning post",
        prover.verify_winning_post(miner, &sectors, &randomness, &winning),
    )
    .await?;
    ok &= verdict("winning post", valid);
    let window = timed(
        "window post",
        prover.generate_window_post(&store, miner, &sectors, &randomness),
    )
    .await?;
    let valid = timed(
        "verify window post",
        prover.verify_window_post(miner, &sectors, &randomness, &window),
    )
    .await?;
    ok &= verdict("window post", valid);
    let wrong = prover
        .verify_window_post(miner, &sectors, &[43u8; 32], &window)
        .await?;
    ok &= verdict("wrong rand refused", !wrong);
    if ok {
        println!("all proofs verified; wrong inputs refused");
    }
    Ok(ok)
}
