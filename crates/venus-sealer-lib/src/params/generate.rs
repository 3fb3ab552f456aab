//! Groth parameter generation, as the official `paramcache` does it: build the
//! circuit's public parameters, then let storage-proofs' parameter cache generate
//! (with a random RNG) and write the `.meta`, `.params` and `.vk` files.

use anyhow::{bail, Result};
use filecoin_proofs::constants::{
    DefaultPieceHasher, SectorShape2KiB, SectorShape32GiB, SectorShape512MiB, SectorShape64GiB,
    SectorShape8MiB,
};
use filecoin_proofs::parameters::{
    public_params, window_post_public_params, winning_post_public_params,
};
use filecoin_proofs::{PoRepConfig, PoStConfig, PoStType};
use rand::rngs::OsRng;
use storage_proofs_core::compound_proof::CompoundProof;
use storage_proofs_core::merkle::MerkleTreeTrait;
use storage_proofs_core::parameter_cache::CacheableParameters;
use storage_proofs_porep::stacked::{StackedCircuit, StackedCompound, StackedDrg};
use storage_proofs_post::fallback::{FallbackPoSt, FallbackPoStCircuit, FallbackPoStCompound};

/// Calls `$f::<Tree>(args)` with the Merkle tree shape of `$size` bytes.
macro_rules! with_tree_shape {
    ($size:expr, $f:ident, $($arg:expr),*) => {
        match $size {
            2_048 => $f::<SectorShape2KiB>($($arg),*),
            8_388_608 => $f::<SectorShape8MiB>($($arg),*),
            536_870_912 => $f::<SectorShape512MiB>($($arg),*),
            34_359_738_368 => $f::<SectorShape32GiB>($($arg),*),
            68_719_476_736 => $f::<SectorShape64GiB>($($arg),*),
            other => bail!("no tree shape for sector size {other}"),
        }
    };
}

/// Generates (or completes) the PoRep parameter files for `config`.
pub(super) fn porep(config: &PoRepConfig) -> Result<()> {
    with_tree_shape!(u64::from(config.sector_size), porep_for, config)
}

/// Generates (or completes) the PoSt parameter files for `config`.
pub(super) fn post(config: &PoStConfig) -> Result<()> {
    with_tree_shape!(u64::from(config.sector_size), post_for, config)
}

fn porep_for<Tree: 'static + MerkleTreeTrait>(config: &PoRepConfig) -> Result<()> {
    type Compound<T> = StackedCompound<T, DefaultPieceHasher>;
    let pp = public_params::<Tree>(config)?;
    let blank = <Compound<Tree> as CompoundProof<StackedDrg<'_, Tree, DefaultPieceHasher>, _>>::blank_circuit(&pp);
    <Compound<Tree> as CacheableParameters<StackedCircuit<Tree, DefaultPieceHasher>, _>>::get_param_metadata(blank, &pp)?;
    <Compound<Tree> as CompoundProof<StackedDrg<'_, Tree, DefaultPieceHasher>, _>>::groth_params(
        Some(&mut OsRng),
        &pp,
    )?;
    <Compound<Tree> as CompoundProof<StackedDrg<'_, Tree, DefaultPieceHasher>, _>>::verifying_key(
        Some(&mut OsRng),
        &pp,
    )?;
    Ok(())
}

fn post_for<Tree: 'static + MerkleTreeTrait>(config: &PoStConfig) -> Result<()> {
    let pp = match config.typ {
        PoStType::Winning => winning_post_public_params::<Tree>(config)?,
        PoStType::Window => window_post_public_params::<Tree>(config)?,
    };
    type Compound<T> = FallbackPoStCompound<T>;
    let blank = <Compound<Tree> as CompoundProof<
        FallbackPoSt<'_, Tree>,
        FallbackPoStCircuit<Tree>,
    >>::blank_circuit(&pp);
    <Compound<Tree> as CacheableParameters<FallbackPoStCircuit<Tree>, _>>::get_param_metadata(
        blank, &pp,
    )?;
    <Compound<Tree> as CompoundProof<FallbackPoSt<'_, Tree>, FallbackPoStCircuit<Tree>>>::groth_params(Some(&mut OsRng), &pp)?;
    <Compound<Tree> as CompoundProof<FallbackPoSt<'_, Tree>, FallbackPoStCircuit<Tree>>>::verifying_key(Some(&mut OsRng), &pp)?;
    Ok(())
}
