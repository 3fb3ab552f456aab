//! Filecoin crypto on maintained crates: signatures (`bls-signatures`,
//! `libsecp256k1`), randomness and VRFs, WinCount, and drand (`blst`).

mod drand;
mod key;
mod randomness;
mod signature;
mod vrf;
mod wincount;

pub use drand::{DrandNetwork, DrandScheme};
pub use key::{KeyInfo, PrivateKey};
pub use randomness::{draw_randomness, draw_randomness_from_digest, DomainSeparationTag};
pub use signature::{
    bls_aggregate, secp_address, verify, verify_bls, verify_bls_aggregate, verify_secp,
    BLS_INFINITY_SIGNATURE,
};
pub use vrf::{election_vrf_base, ticket_quality, ticket_vrf_base, verify_vrf};
pub use wincount::{WinCounter, EXP_DENO, EXP_NUM, MAX_WIN_COUNT};

#[doc(hidden)]
pub use wincount::{expneg, lambda, poisson_icdf};
