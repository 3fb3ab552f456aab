//! Fixtures for tests and benches (feature `test-utils`): a minimal tipset,
//! and messages with sane gas fields, signed or not.

use crate::crypto::PrivateKey;
use crate::types::{message_cid, BlockHeader, SignedMessage, Ticket, TipSet, TxMeta};
use crate::{Address, Message, TokenAmount};

/// A one-block tipset at `height` whose ticket is `ticket` repeated (so
/// different bytes give different tipsets); roots are the empty message root,
/// the parent base fee 100 attoFIL.
pub fn tipset(height: i64, ticket: u8) -> TipSet {
    let root = TxMeta::build(&[], &[])
        .and_then(|m| m.cid())
        .unwrap_or_default();
    let header = BlockHeader {
        miner: Address::new_id(1000),
        ticket: Some(Ticket {
            vrf_proof: vec![ticket; 96],
        }),
        election_proof: None,
        beacon_entries: vec![],
        win_post_proof: vec![],
        parents: vec![],
        parent_weight: 0.into(),
        height,
        parent_state_root: root,
        parent_message_receipts: root,
        messages: root,
        bls_aggregate: None,
        timestamp: 0,
        block_sig: None,
        fork_signaling: 0,
        parent_base_fee: TokenAmount::from_atto(100),
    };
    // One block always forms a tipset.
    TipSet::new(vec![header]).unwrap_or_else(|e| unreachable!("one block is a tipset: {e}"))
}

/// A transfer of 1 attoFIL from `from` to f01 with gas limit 10^6, fee cap
/// 10,000 and premium 1,000 attoFIL.
pub fn message(from: Address, nonce: u64) -> Message {
    Message {
        version: 0,
        from,
        to: Address::new_id(1),
        sequence: nonce,
        value: TokenAmount::from_atto(1),
        method_num: 0,
        params: Default::default(),
        gas_limit: 1_000_000,
        gas_fee_cap: TokenAmount::from_atto(10_000),
        gas_premium: TokenAmount::from_atto(1_000),
    }
}

/// Signs `message` with `key` (over its CID bytes).
pub fn sign(key: &PrivateKey, message: Message) -> SignedMessage {
    let cid =
        message_cid(&message).unwrap_or_else(|e| unreachable!("a message always encodes: {e}"));
    let signature = key
        .sign(&cid.to_bytes())
        .unwrap_or_else(|e| unreachable!("a generated key signs: {e}"));
    SignedMessage { message, signature }
}

/// [`message`] from `key`'s address, signed.
pub fn signed(key: &PrivateKey, nonce: u64) -> SignedMessage {
    let from = key
        .address()
        .unwrap_or_else(|e| unreachable!("a generated key has an address: {e}"));
    sign(key, message(from, nonce))
}

/// A template for a block on `parent` (ticket and election proof are
/// placeholders), carrying `messages`.
pub fn block_template(
    parent: &TipSet,
    messages: Vec<SignedMessage>,
) -> crate::types::BlockTemplate {
    crate::types::BlockTemplate {
        miner: Address::new_id(1000),
        parents: parent.key().clone(),
        ticket: Some(Ticket {
            vrf_proof: vec![1; 96],
        }),
        eproof: Some(crate::types::ElectionProof {
            win_count: 1,
            vrf_proof: vec![2; 96],
        }),
        beacon_values: vec![],
        messages,
        epoch: parent.height() + 1,
        timestamp: 1,
        winning_post_proof: vec![],
    }
}

/// Signs a block header with `worker` over its signing bytes.
pub fn sign_block(worker: &PrivateKey, header: &mut BlockHeader) {
    let bytes = header
        .signing_bytes()
        .unwrap_or_else(|e| unreachable!("a header always encodes: {e}"));
    header.block_sig = Some(
        worker
            .sign(&bytes)
            .unwrap_or_else(|e| unreachable!("a generated key signs: {e}")),
    );
}
