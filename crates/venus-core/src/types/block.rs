//! Block headers and the proofs they carry.

use cid::Cid;
use fvm_ipld_encoding::strict_bytes;
use fvm_ipld_encoding::tuple::{Deserialize_tuple, Serialize_tuple};
use fvm_shared::address::Address;
use fvm_shared::bigint::{bigint_ser, BigInt};
use fvm_shared::clock::ChainEpoch;
use fvm_shared::crypto::signature::Signature;
use fvm_shared::econ::TokenAmount;
use fvm_shared::sector::PoStProof;

use super::TipSetKey;
use crate::encoding::{blake2b_256, cid_of_cbor_bytes, to_cbor};
use crate::json::lotus_json_struct;
use crate::Result;

/// The VRF output a block producer draws for its ticket.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize_tuple, Deserialize_tuple)]
pub struct Ticket {
    /// A BLS signature by the worker key over the ticket randomness.
    #[serde(with = "strict_bytes")]
    pub vrf_proof: Vec<u8>,
}

impl Ticket {
    /// Ticket quality in [0, 1): `1 - blake2b(vrf)/2^256`, as Lotus computes it.
    pub fn quality(&self) -> f64 {
        crate::crypto::ticket_quality(&self.vrf_proof)
    }

    /// Lotus's ticket order: by blake2b-256 of the VRF proof.
    pub fn digest(&self) -> [u8; 32] {
        blake2b_256(&self.vrf_proof)
    }
}

/// Proof that a miner won an election, with the number of wins.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize_tuple, Deserialize_tuple)]
pub struct ElectionProof {
    /// Number of blocks' worth of reward this election earned (Poisson, capped at 15).
    pub win_count: i64,
    /// A BLS signature by the worker key over the election randomness.
    #[serde(with = "strict_bytes")]
    pub vrf_proof: Vec<u8>,
}

/// One drand round: its number and its signature.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize_tuple, Deserialize_tuple)]
pub struct BeaconEntry {
    /// The drand round.
    pub round: u64,
    /// The round's BLS signature.
    #[serde(with = "strict_bytes")]
    pub data: Vec<u8>,
}

/// A Filecoin block header: Lotus's 16 fields, in Lotus's CBOR order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize_tuple, Deserialize_tuple)]
pub struct BlockHeader {
    /// The miner actor that produced the block.
    pub miner: Address,
    /// The block's ticket; `None` only in genesis.
    pub ticket: Option<Ticket>,
    /// The election proof; `None` only in genesis.
    pub election_proof: Option<ElectionProof>,
    /// drand entries since the parent's last one.
    pub beacon_entries: Vec<BeaconEntry>,
    /// The winning PoSt.
    pub win_post_proof: Vec<PoStProof>,
    /// The parent tipset's block CIDs.
    pub parents: Vec<Cid>,
    /// The parent tipset's weight.
    #[serde(with = "bigint_ser")]
    pub parent_weight: BigInt,
    /// The epoch.
    pub height: ChainEpoch,
    /// The state root after applying the parent tipset.
    pub parent_state_root: Cid,
    /// The receipts root of the parent tipset's messages.
    pub parent_message_receipts: Cid,
    /// The CID of this block's [`TxMeta`](super::TxMeta).
    pub messages: Cid,
    /// Aggregate of the BLS messages' signatures.
    pub bls_aggregate: Option<Signature>,
    /// Unix time in seconds.
    pub timestamp: u64,
    /// The worker's signature over [`BlockHeader::signing_bytes`].
    pub block_sig: Option<Signature>,
    /// Fork signalling bits.
    pub fork_signaling: u64,
    /// Base fee of the parent tipset.
    pub parent_base_fee: TokenAmount,
}

impl BlockHeader {
    /// The header's DAG-CBOR.
    pub fn to_cbor(&self) -> Result<Vec<u8>> {
        to_cbor(self)
    }

    /// The header's CID.
    pub fn cid(&self) -> Result<Cid> {
        Ok(cid_of_cbor_bytes(&self.to_cbor()?))
    }

    /// What the worker signs: the header's CBOR with `BlockSig` set to null.
    pub fn signing_bytes(&self) -> Result<Vec<u8>> {
        let unsigned = BlockHeader {
            block_sig: None,
            ..self.clone()
        };
        unsigned.to_cbor()
    }

    /// The parent tipset's key.
    pub fn parents_key(&self) -> TipSetKey {
        TipSetKey::new(self.parents.clone())
    }

    /// The last beacon entry the header carries, if any.
    pub fn last_beacon_entry(&self) -> Option<&BeaconEntry> {
        self.beacon_entries.last()
    }
}

lotus_json_struct! {
    /// Lotus JSON of a [`Ticket`].
    Ticket => TicketJson {
        vrf_proof: Vec<u8> = "VRFProof" via "crate::json::base64_bytes",
    }
}

lotus_json_struct! {
    /// Lotus JSON of an [`ElectionProof`].
    ElectionProof => ElectionProofJson {
        win_count: i64 = "WinCount" via "crate::json::lotus_json",
        vrf_proof: Vec<u8> = "VRFProof" via "crate::json::base64_bytes",
    }
}

lotus_json_struct! {
    /// Lotus JSON of a [`BeaconEntry`].
    BeaconEntry => BeaconEntryJson {
        round: u64 = "Round" via "crate::json::lotus_json",
        data: Vec<u8> = "Data" via "crate::json::base64_bytes",
    }
}

lotus_json_struct! {
    /// Lotus JSON of a [`BlockHeader`]. Empty lists Lotus decoded from CBOR are `null`.
    BlockHeader => BlockHeaderJson {
        miner: Address = "Miner" via "crate::json::lotus_json",
        ticket: Option<Ticket> = "Ticket" via "crate::json::lotus_json",
        election_proof: Option<ElectionProof> = "ElectionProof" via "crate::json::lotus_json",
        beacon_entries: Vec<BeaconEntry> = "BeaconEntries" via "crate::json::nullable_vec",
        win_post_proof: Vec<PoStProof> = "WinPoStProof" via "crate::json::nullable_vec",
        parents: Vec<Cid> = "Parents" via "crate::json::lotus_json",
        parent_weight: BigInt = "ParentWeight" via "crate::json::lotus_json",
        height: ChainEpoch = "Height" via "crate::json::lotus_json",
        parent_state_root: Cid = "ParentStateRoot" via "crate::json::lotus_json",
        parent_message_receipts: Cid = "ParentMessageReceipts" via "crate::json::lotus_json",
        messages: Cid = "Messages" via "crate::json::lotus_json",
        bls_aggregate: Option<Signature> = "BLSAggregate" via "crate::json::lotus_json",
        timestamp: u64 = "Timestamp" via "crate::json::lotus_json",
        block_sig: Option<Signature> = "BlockSig" via "crate::json::lotus_json",
        fork_signaling: u64 = "ForkSignaling" via "crate::json::lotus_json",
        parent_base_fee: TokenAmount = "ParentBaseFee" via "crate::json::lotus_json",
    }
}
