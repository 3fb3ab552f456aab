//! A one-miner devnet node for tests and benches (feature `test-utils`):
//! fixed keys, a clock the caller sets, and a miner that mines on it
//! through the node's `ChainApi` as sophon-miner does (base info, ticket
//! and election VRFs, winning PoSt, create, sign).
//!
//! Winning PoSts are `DigestProver`'s (they bind the same inputs as a real
//! one); the `venus` daemon's end-to-end test runs the real proof.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::Node;
use cid::Cid;
use fvm_shared::piece::PieceInfo;
use fvm_shared::sector::{RegisteredSealProof, SealVerifyInfo, WindowPoStVerifyInfo};
use venus_chain::beacon::LocalBeacon;
use venus_chain::chain::ChainStore;
use venus_chain::consensus::{Consensus, NetworkParams};
use venus_chain::genesis::{genesis_block, MINER_START};
use venus_chain::store::{MemoryMeta, SyncMemoryBlockstore};
use venus_chain::{GenesisBuilder, GenesisMiner, GenesisSector};
use venus_core::crypto::{draw_randomness, DomainSeparationTag, PrivateKey, WinCounter};
use venus_core::traits::{
    ChainApi, ComputeProof, DigestProver, MemorySigner, RemoteSigner, SealVerifier,
};
use venus_core::types::{
    message_cid, BlockMsg, BlockTemplate, DrawRandomParams, ElectionProof, MsgMeta, MsgType,
    SignedMessage, Ticket, TipSet,
};
use venus_core::{Address, Message, SignatureType, TokenAmount};

/// The devnet's genesis time.
pub const GENESIS_TIME: u64 = 1_700_000_000;
/// Seconds per epoch.
pub const DELAY: u64 = 30;

/// The node's blockstore.
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

/// The one-miner devnet.
pub struct Net {
    /// The node.
    pub node: Arc<Node<Bs>>,
    /// The node's clock (Unix seconds); [`mine`] moves it to each block.
    pub now: Arc<AtomicU64>,
    /// The miner's owner and worker key (BLS), with 1,000 FIL.
    pub worker: PrivateKey,
    /// The miner, f01000, with one 2 KiB sector.
    pub miner: Address,
    /// A secp256k1 account with 1,000 FIL.
    pub secp: PrivateKey,
    /// A BLS account with 1,000 FIL.
    pub bls: PrivateKey,
}

/// A fixed key of type `t` made from `seed`.
pub fn key(t: SignatureType, seed: u8) -> PrivateKey {
    PrivateKey::from_bytes(t, &[seed; 32]).expect("key")
}

/// The devnet at genesis, its clock at the genesis time.
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
    let params = NetworkParams::devnet(beacon.network().clone(), GENESIS_TIME, DELAY);
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

/// `message` signed by `from` over its CID.
pub fn sign(from: &PrivateKey, message: Message) -> SignedMessage {
    let cid = message_cid(&message).expect("cid");
    let signature = from.sign(&cid.to_bytes()).expect("sign");
    SignedMessage { message, signature }
}

/// A pool member's miner as sophon-miner drives it, over any node: base
/// info, the ticket and election VRFs and the block signature asked of
/// its `signer` with the object signed (`drawrandomparam`, `block`), the
/// winning PoSt of its `prover`, then `MinerCreateBlock`.
pub struct Miner<'a> {
    /// The node.
    pub api: &'a dyn ChainApi,
    /// The miner actor.
    pub miner: Address,
    /// Its worker key's address.
    pub worker: Address,
    /// Holds the worker key.
    pub signer: &'a dyn RemoteSigner,
    /// Proves the miner's sectors.
    pub prover: &'a dyn ComputeProof,
    /// Seconds per epoch (the block's timestamp).
    pub block_delay: u64,
}

impl Miner<'_> {
    /// The signed block at `round` on `base` with `messages`; `None` when
    /// the miner does not win the round.
    pub async fn mine_at(
        &self,
        base: &TipSet,
        round: i64,
        messages: Vec<SignedMessage>,
    ) -> Option<BlockMsg> {
        let miner = self.miner;
        let info = self
            .api
            .mining_base_info(&miner, round, base.key())
            .await
            .expect("base info")
            .expect("the miner has sectors");
        assert!(info.eligible_for_mining);
        let rbeacon = info
            .beacon_entries
            .last()
            .unwrap_or(&info.prev_beacon_entry)
            .clone();
        let miner_cbor = venus_core::encoding::to_cbor(&miner).expect("cbor");
        let vrf = |pers: DomainSeparationTag, at: i64, entropy: Vec<u8>| {
            let params = DrawRandomParams {
                rbase: rbeacon.data.clone(),
                pers: pers as i64,
                round: at,
                entropy,
            };
            async move {
                let digest = params.digest().expect("digest");
                let meta = MsgMeta {
                    msg_type: MsgType::DrawRandomParam,
                    extra: venus_core::encoding::to_cbor(&params).expect("cbor"),
                };
                self.signer
                    .sign(&self.worker, &digest, &meta)
                    .await
                    .expect("vrf")
                    .bytes
            }
        };
        let mut ticket_entropy = miner_cbor.clone();
        if let Some(t) = base.min_ticket() {
            ticket_entropy.extend_from_slice(&t.vrf_proof);
        }
        // Lotus's TicketRandomnessLookback: the ticket draws at round - 1.
        let ticket = vrf(
            DomainSeparationTag::TicketProduction,
            round - 1,
            ticket_entropy,
        )
        .await;
        let election = vrf(
            DomainSeparationTag::ElectionProofProduction,
            round,
            miner_cbor.clone(),
        )
        .await;
        let win_count =
            WinCounter::new(&info.miner_power, &info.network_power).win_count(&election);
        if win_count < 1 {
            return None;
        }
        let randomness = draw_randomness(
            &rbeacon.data,
            DomainSeparationTag::WinningPoStChallengeSeed,
            round,
            &miner_cbor,
        );
        let proofs = self
            .prover
            .compute_winning_post(&miner, &info.sectors, &randomness)
            .await
            .expect("winning PoSt");
        let template = BlockTemplate {
            miner,
            parents: base.key().clone(),
            ticket: Some(Ticket { vrf_proof: ticket }),
            eproof: Some(ElectionProof {
                win_count,
                vrf_proof: election,
            }),
            beacon_values: info.beacon_entries,
            messages,
            epoch: round,
            timestamp: base.min_timestamp() + self.block_delay * (round - base.height()) as u64,
            winning_post_proof: proofs,
        };
        let mut block = self.api.create_block(template).await.expect("create");
        assert!(block.header.block_sig.is_none(), "the node does not sign");
        let bytes = block.header.signing_bytes().expect("bytes");
        let meta = MsgMeta::block(&block.header).expect("meta");
        block.header.block_sig = Some(
            self.signer
                .sign(&self.worker, &bytes, &meta)
                .await
                .expect("sign block"),
        );
        Some(block)
    }
}

/// A block by the net's miner at `round` on `base` with `messages`, made
/// through the node's `ChainApi` by a [`Miner`] with the worker's key in a
/// `MemorySigner` and `DigestProver`; the clock moves to its timestamp.
pub async fn mine(n: &Net, base: &TipSet, round: i64, messages: Vec<SignedMessage>) -> BlockMsg {
    let signer = MemorySigner::new();
    let worker = signer.add(n.worker.clone()).expect("add");
    let miner = Miner {
        api: n.node.as_ref(),
        miner: n.miner,
        worker,
        signer: &signer,
        prover: &DigestProver,
        block_delay: DELAY,
    };
    let block = miner
        .mine_at(base, round, messages)
        .await
        .unwrap_or_else(|| panic!("the fixed keys win at round {round}"));
    n.now.store(block.header.timestamp, Ordering::SeqCst);
    block
}
