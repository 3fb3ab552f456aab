//! The genesis block header, as Lotus's `MakeGenesisBlock`
//! (`chain/gen/genesis/genesis.go`) writes it: mined by the system actor
//! at height 0 over the genesis state, its parent the "Filecoin genesis"
//! block every Lotus network names, empty message and receipt roots (v0
//! AMTs), a zero beacon entry for round 0, an empty election proof and
//! the initial base fee.
//!
//! Lotus draws the genesis ticket at random; ours is the Blake2b-256 of
//! the network name, so building the same genesis twice gives the same
//! block. The parent block itself is not stored (nothing reads it).

use std::str::FromStr;

use cid::Cid;
use fvm_ipld_amt::Amtv0;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::CborStore;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use multihash_codetable::Code;
use num_bigint::BigInt;
use venus_core::gas::INITIAL_BASE_FEE;
use venus_core::types::{BeaconEntry, BlockHeader, ElectionProof, Ticket, TxMeta};

use crate::error::{store_err, ChainError, Result};
use crate::state::ids::SYSTEM_ID;

/// The CID of the "Filecoin genesis" block that every Lotus genesis names
/// as its parent.
pub const FILECOIN_GENESIS_PARENT: &str =
    "bafyreiaqpwbbyjo4a42saasj36kkrpv4tsherf2e7bvezkert2a7dhonoi";

/// Writes the genesis header over `state_root` (and its empty message
/// meta and receipts) to `store`; returns it.
pub fn genesis_block<BS: Blockstore>(
    store: &BS,
    state_root: Cid,
    network_name: &str,
    timestamp: u64,
) -> Result<BlockHeader> {
    let empty = Amtv0::<Cid, _>::new(store).flush()?;
    let meta = TxMeta {
        bls_message_root: empty,
        secp_message_root: empty,
    };
    let messages = store.put_cbor(&meta, Code::Blake2b256).map_err(store_err)?;
    let parent = Cid::from_str(FILECOIN_GENESIS_PARENT)
        .map_err(|e| ChainError::Genesis(format!("the genesis parent CID: {e}")))?;
    let ticket = venus_core::encoding::blake2b_256(network_name.as_bytes()).to_vec();
    let header = BlockHeader {
        miner: Address::new_id(SYSTEM_ID),
        ticket: Some(Ticket { vrf_proof: ticket }),
        election_proof: Some(ElectionProof {
            win_count: 0,
            vrf_proof: Vec::new(),
        }),
        beacon_entries: vec![BeaconEntry {
            round: 0,
            data: vec![0; 32],
        }],
        win_post_proof: Vec::new(),
        parents: vec![parent],
        parent_weight: BigInt::default(),
        height: 0,
        parent_state_root: state_root,
        parent_message_receipts: empty,
        messages,
        bls_aggregate: None,
        timestamp,
        block_sig: None,
        fork_signaling: 0,
        parent_base_fee: TokenAmount::from_atto(INITIAL_BASE_FEE),
    };
    let bytes = header
        .to_cbor()
        .map_err(|e| ChainError::Genesis(format!("encoding the genesis header: {e}")))?;
    let cid = header
        .cid()
        .map_err(|e| ChainError::Genesis(format!("the genesis header's CID: {e}")))?;
    store.put_keyed(&cid, &bytes).map_err(store_err)?;
    Ok(header)
}
