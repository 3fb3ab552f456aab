//! A one-miner devnet node for tests and benches (feature `test-utils`):
//! fixed keys, a clock the caller sets, and a miner that mines on it
//! through the node's `ChainApi` as sophon-miner does (base info, ticket
//! and election VRFs, winning PoSt, create, sign).
//!
//! Winning PoSts are `DigestProver`'s (they bind the same inputs as a real
//! one); the `venus` daemon's end-to-end test runs the real proof.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::Node;
use cid::Cid;
use fvm_shared::piece::PieceInfo;
use fvm_shared::sector::{RegisteredSealProof, SealVerifyInfo, WindowPoStVerifyInfo};
use venus_chain::beacon::LocalBeacon;
use venus_chain::chain::ChainStore;
use venus_chain::consensus::{Consensus, NetworkParams};
use venus_chain::exec::policy;
use venus_chain::genesis::{genesis_block, MINER_START};
use venus_chain::state::NETWORK_VERSION;
use venus_chain::store::{MemoryMeta, SyncMemoryBlockstore};
use venus_chain::{GenesisBuilder, GenesisMiner, GenesisSector, Manifest};
use venus_core::crypto::{
    draw_randomness, election_vrf_base, ticket_vrf_base, DomainSeparationTag, PrivateKey,
    WinCounter,
};
use venus_core::traits::{BlockApi, ComputeProof, DigestProver, SealVerifier, StateRead};
use venus_core::types::{
    message_cid, BlockMsg, BlockTemplate, ElectionProof, SignedMessage, Ticket, TipSet,
};
use venus_core::validate::ChainClock;
use venus_core::{Address, Message, SignatureType, TokenAmount};

pub const GENESIS_TIME: u64 = 1_700_000_000;
pub const DELAY: u64 = 30;

pub type Bs = Arc<SyncMemoryBlockstore>;

/// No seal or window PoSt runs on this devnet.
pub struct NoSeals;

impl SealVerifier for NoSeals {
    fn verify_seal(&self, _: &SealVerifyInfo) -> venus_core::Result<bool> {
        Err(venus_core::Error::Crypto("no seals here".into()))
    }
    fn verify_window_post(&self, _: &WindowPoStVerifyInfo) -> venus_core::Result<bool> {
        Err(venus_core::Error::Crypto("no PoSts here".into()))
    }
    fn compute_unsealed_sector_cid(
        &self,
        _: RegisteredSealProof,
        _: &[PieceInfo],
    ) -> venus_core::Result<Cid> {
        Err(venus_core::Error::Crypto("no pieces here".into()))
    }
}

pub struct Net {
    pub node: Arc<Node<Bs>>,
    pub now: Arc<AtomicU64>,
    pub worker: PrivateKey,
    pub miner: Address,
    pub secp: PrivateKey,
    pub bls: PrivateKey,
}

pub fn key(t: SignatureType, seed: u8) -> PrivateKey {
    PrivateKey::from_bytes(t, &[seed; 32]).expect("key")
}

pub fn net() -> Net {
    let worker = key(SignatureType::BLS, 3);
    let secp = key(SignatureType::Secp256k1, 4);
    let bls = key(SignatureType::BLS, 5);
    let addr = |k: &PrivateKey| k.address().expect("address");
    let comm_r = Cid::new_v1(
        0xf102,
        cid::multihash::Multihash::wrap(0xb401, &[1; 32]).expect("multihash"),
    );
    let store: Bs = Arc::new(SyncMemoryBlockstore::new());
    let genesis = GenesisBuilder::new("devnet")
        .timestamp(GENESIS_TIME)
        .account(addr(&worker), TokenAmount::from_whole(1000))
        .account(addr(&secp), TokenAmount::from_whole(1000))
        .account(addr(&bls), TokenAmount::from_whole(1000))
        .miner(GenesisMiner {
            owner: addr(&worker),
            worker: addr(&worker),
            peer_id: vec![],
            sectors: vec![GenesisSector {
                number: 0,
                proof: RegisteredSealProof::StackedDRG2KiBV1P1,
                sealed_cid: comm_r,
            }],
        })
        .build(&store)
        .expect("genesis");
    let block =
        genesis_block(&store, genesis.state_root, "devnet", GENESIS_TIME).expect("genesis block");
    let beacon = Arc::new(LocalBeacon::from_secret(&[7; 32], GENESIS_TIME, DELAY).expect("beacon"));
    let chain =
        Arc::new(ChainStore::open(store, Arc::new(MemoryMeta::default()), &block).expect("chain"));
    let params = NetworkParams {
        manifest: Manifest::devnet(),
        policy: policy::devnet(),
        network_version: NETWORK_VERSION,
        drand: beacon.network().clone(),
        clock: ChainClock {
            genesis_time: GENESIS_TIME,
            block_delay: DELAY,
        },
    };
    let consensus = Arc::new(Consensus::new(
        chain,
        params,
        Arc::new(NoSeals),
        Arc::new(DigestProver),
    ));
    let now = Arc::new(AtomicU64::new(GENESIS_TIME));
    let clock = now.clone();
    let node = Node::builder(consensus, beacon)
        .clock(Arc::new(move || clock.load(Ordering::SeqCst)))
        .build();
    Net {
        node,
        now,
        worker,
        miner: Address::new_id(MINER_START),
        secp,
        bls,
    }
}

/// A transfer of 1000 attoFIL to f0100 that pays the base fee.
pub fn send(from: &PrivateKey, nonce: u64) -> SignedMessage {
    let message = Message {
        version: 0,
        from: from.address().expect("address"),
        to: Address::new_id(100),
        sequence: nonce,
        value: TokenAmount::from_atto(1000),
        method_num: 0,
        params: Default::default(),
        gas_limit: 10_000_000,
        // Above the devnet's base fee (genesis starts at Lotus's 10^8).
        gas_fee_cap: TokenAmount::from_atto(1_000_000_000),
        gas_premium: TokenAmount::from_atto(100_000),
    };
    sign(from, message)
}

pub fn sign(from: &PrivateKey, message: Message) -> SignedMessage {
    let cid = message_cid(&message).expect("cid");
    let signature = from.sign(&cid.to_bytes()).expect("sign");
    SignedMessage { message, signature }
}

/// A block by the miner at `round` on `base` with `messages`, made through
/// the node's `ChainApi` and signed by the worker; the clock moves to its
/// timestamp.
pub async fn mine(n: &Net, base: &TipSet, round: i64, messages: Vec<SignedMessage>) -> BlockMsg {
    let info = n
        .node
        .mining_base_info(&n.miner, round, base.key())
        .await
        .expect("base info")
        .expect("the miner has sectors");
    assert!(info.eligible_for_mining);
    let rbeacon = info
        .beacon_entries
        .last()
        .unwrap_or(&info.prev_beacon_entry)
        .clone();
    let vrf = |b: [u8; 32]| n.worker.sign(&b).expect("vrf").bytes;
    let ticket = vrf(ticket_vrf_base(&rbeacon, round, &n.miner, base.min_ticket()).expect("t"));
    let election = vrf(election_vrf_base(&rbeacon, round, &n.miner).expect("e"));
    let win_count = WinCounter::new(&info.miner_power, &info.network_power).win_count(&election);
    assert!(win_count >= 1, "the fixed keys win at round {round}");
    let entropy = venus_core::encoding::to_cbor(&n.miner).expect("cbor");
    let randomness = draw_randomness(
        &rbeacon.data,
        DomainSeparationTag::WinningPoStChallengeSeed,
        round,
        &entropy,
    );
    let proofs = DigestProver
        .compute_winning_post(&n.miner, &info.sectors, &randomness)
        .await
        .expect("proof");
    let timestamp = base.min_timestamp() + DELAY * (round - base.height()) as u64;
    let template = BlockTemplate {
        miner: n.miner,
        parents: base.key().clone(),
        ticket: Some(Ticket { vrf_proof: ticket }),
        eproof: Some(ElectionProof {
            win_count,
            vrf_proof: election,
        }),
        beacon_values: info.beacon_entries,
        messages,
        epoch: round,
        timestamp,
        winning_post_proof: proofs,
    };
    let mut block = n.node.create_block(template).await.expect("create");
    assert!(block.header.block_sig.is_none(), "the node does not sign");
    let bytes = block.header.signing_bytes().expect("bytes");
    block.header.block_sig = Some(n.worker.sign(&bytes).expect("sign"));
    n.now.store(timestamp, Ordering::SeqCst);
    block
}
