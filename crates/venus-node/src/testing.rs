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

/// The devnet: one miner unless [`NetBuilder::miners`] asks for more.
pub struct Net {
    /// The node.
    pub node: Arc<Node<Bs>>,
    /// The node's clock (Unix seconds); [`mine`] moves it to each block.
    pub now: Arc<AtomicU64>,
    /// The first miner's owner and worker key (BLS), with 1,000 FIL.
    pub worker: PrivateKey,
    /// The first miner, f01000, with one 2 KiB sector.
    pub miner: Address,
    /// Every miner (the first is `miner`), each with one 2 KiB sector and
    /// its own worker key, in order of their ids from f01000.
    pub members: Vec<Member>,
    /// A secp256k1 account with 1,000 FIL.
    pub secp: PrivateKey,
    /// A BLS account with 1,000 FIL.
    pub bls: PrivateKey,
}

/// A miner of the devnet.
#[derive(Clone)]
pub struct Member {
    /// The miner actor.
    pub miner: Address,
    /// Its owner and worker key (BLS).
    pub worker: PrivateKey,
}

/// A fixed key of type `t` made from `seed`.
pub fn key(t: SignatureType, seed: u8) -> PrivateKey {
    PrivateKey::from_bytes(t, &[seed; 32]).expect("key")
}

/// The one-miner devnet at genesis, its clock at the genesis time.
pub fn net() -> Net {
    NetBuilder::default().build()
}

/// Builds a [`Net`]. The same settings give the same genesis, so two
/// nodes built alike share their chain.
#[derive(Default)]
pub struct NetBuilder {
    miners: usize,
    accounts: Vec<PrivateKey>,
    policy: Option<fil_actors_shared::v17::runtime::Policy>,
}

impl NetBuilder {
    /// `count` miners of equal power (at least one).
    pub fn miners(mut self, count: usize) -> Self {
        self.miners = count;
        self
    }

    /// One more account with 1,000 FIL.
    pub fn account(mut self, key: PrivateKey) -> Self {
        self.accounts.push(key);
        self
    }

    /// The actors' policy, at genesis and after (default: the devnet's).
    /// A chain longer than the first proving deadlines needs a longer
    /// proving period (`venus_chain::exec::policy::with_proving_period`):
    /// no one submits window PoSts here, so the miners' sectors would
    /// fault and their power go.
    pub fn policy(mut self, policy: fil_actors_shared::v17::runtime::Policy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The devnet at genesis, its clock at the genesis time.
    pub fn build(self) -> Net {
        let policy = self
            .policy
            .unwrap_or_else(venus_chain::exec::policy::devnet);
        build_net(self.miners.max(1), &self.accounts, policy)
    }
}

fn build_net(
    miners: usize,
    accounts: &[PrivateKey],
    policy: fil_actors_shared::v17::runtime::Policy,
) -> Net {
    assert!(
        miners <= 90,
        "at most 90 miners (their BLS keys are seeded 20..110: a key of 32 equal bytes is a BLS scalar below 0x73)"
    );
    let worker = key(SignatureType::BLS, 3);
    let secp = key(SignatureType::Secp256k1, 4);
    let bls = key(SignatureType::BLS, 5);
    let addr = |k: &PrivateKey| k.address().expect("address");
    // The first miner's worker is key 3, as it always was; the others
    // are seeded from 20 up.
    let members: Vec<Member> = (0..miners)
        .map(|i| Member {
            miner: Address::new_id(MINER_START + i as u64),
            worker: if i == 0 {
                worker.clone()
            } else {
                key(SignatureType::BLS, 20 + i as u8)
            },
        })
        .collect();
    let store: Bs = Arc::new(SyncMemoryBlockstore::new());
    let mut genesis = GenesisBuilder::new("devnet")
        .timestamp(GENESIS_TIME)
        .policy(policy.clone())
        .account(addr(&worker), TokenAmount::from_whole(1000))
        .account(addr(&secp), TokenAmount::from_whole(1000))
        .account(addr(&bls), TokenAmount::from_whole(1000));
    for k in accounts {
        genesis = genesis.account(addr(k), TokenAmount::from_whole(1000));
    }
    for (i, m) in members.iter().enumerate() {
        if i > 0 {
            genesis = genesis.account(addr(&m.worker), TokenAmount::from_whole(1000));
        }
        let comm_r = Cid::new_v1(
            0xf102,
            cid::multihash::Multihash::wrap(0xb401, &[i as u8 + 1; 32]).expect("multihash"),
        );
        genesis = genesis.miner(GenesisMiner {
            owner: addr(&m.worker),
            worker: addr(&m.worker),
            peer_id: vec![],
            sectors: vec![GenesisSector {
                number: 0,
                proof: RegisteredSealProof::StackedDRG2KiBV1P1,
                sealed_cid: comm_r,
            }],
        });
    }
    let genesis = genesis.build(&store).expect("genesis");
    let block =
        genesis_block(&store, genesis.state_root, "devnet", GENESIS_TIME).expect("genesis block");
    let beacon = Arc::new(LocalBeacon::from_secret(&[7; 32], GENESIS_TIME, DELAY).expect("beacon"));
    let chain =
        Arc::new(ChainStore::open(store, Arc::new(MemoryMeta::default()), &block).expect("chain"));
    let mut params = NetworkParams::devnet(beacon.network().clone(), GENESIS_TIME, DELAY);
    params.policy = policy;
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
        members,
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

/// A block by the net's first miner at `round` on `base` with
/// `messages` ([`Net::try_mine`]); panics if it does not win.
pub async fn mine(n: &Net, base: &TipSet, round: i64, messages: Vec<SignedMessage>) -> BlockMsg {
    n.try_mine(0, base, round, messages)
        .await
        .unwrap_or_else(|| panic!("the fixed keys win at round {round}"))
}

impl Net {
    /// A block by `members[member]` at `round` on `base` with `messages`,
    /// made through the node's `ChainApi` by a [`Miner`] with the worker's
    /// key in a `MemorySigner` and `DigestProver`, or `None` when it does
    /// not win the round. The clock moves to the block's timestamp.
    pub async fn try_mine(
        &self,
        member: usize,
        base: &TipSet,
        round: i64,
        messages: Vec<SignedMessage>,
    ) -> Option<BlockMsg> {
        let m = &self.members[member];
        let signer = MemorySigner::new();
        let worker = signer.add(m.worker.clone()).expect("add");
        let miner = Miner {
            api: self.node.as_ref(),
            miner: m.miner,
            worker,
            signer: &signer,
            prover: &DigestProver,
            block_delay: DELAY,
        };
        let block = miner.mine_at(base, round, messages).await?;
        self.now.fetch_max(block.header.timestamp, Ordering::SeqCst);
        Some(block)
    }
}
