//! Block production and validation on a one-miner devnet: a block made
//! through `MinerGetBaseInfo` and `CreateBlock` and signed by the worker
//! passes and extends the chain; a block broken in exactly one way is
//! refused with that check's error.
//!
//! Winning PoSts here are `DigestProver`'s, which bind the same inputs as
//! a real one (the challenged sectors, the randomness, the miner); the
//! real proof runs in the node's end-to-end test.

#![allow(missing_docs)]

mod common;

use std::sync::Arc;

use cid::Cid;
use fil_actor_miner_state::v17::State as MinerState;
use fvm_shared::piece::PieceInfo;
use fvm_shared::sector::{RegisteredSealProof, SealVerifyInfo, WindowPoStVerifyInfo};
use venus_chain::beacon::LocalBeacon;
use venus_chain::chain::ChainStore;
use venus_chain::consensus::{BlockError, Consensus, Ineligible, NetworkParams};
use venus_chain::genesis::{genesis_block, MINER_START};
use venus_chain::store::{MemoryMeta, SyncMemoryBlockstore};
use venus_chain::{ChainError, GenesisBuilder, StateTree};
use venus_core::crypto::{
    draw_randomness, election_vrf_base, ticket_vrf_base, DomainSeparationTag, PrivateKey,
    WinCounter,
};
use venus_core::traits::{ComputeProof, DigestProver, SealVerifier};
use venus_core::types::{
    message_cid, BlockTemplate, ElectionProof, FullBlock, SignedMessage, Ticket, TipSet,
};
use venus_core::validate::ValidationError;
use venus_core::{Address, Message, SignatureType, TokenAmount};

const GENESIS_TIME: u64 = 1_700_000_000;
const DELAY: u64 = 30;

/// No seal or window PoSt runs in these blocks.
struct NoSeals;

impl SealVerifier for NoSeals {
    fn verify_seal(&self, _: &SealVerifyInfo) -> venus_core::Result<bool> {
        Err(venus_core::Error::Crypto("no seals in this test".into()))
    }
    fn verify_window_post(&self, _: &WindowPoStVerifyInfo) -> venus_core::Result<bool> {
        Err(venus_core::Error::Crypto("no PoSts in this test".into()))
    }
    fn compute_unsealed_sector_cid(
        &self,
        _: RegisteredSealProof,
        _: &[PieceInfo],
    ) -> venus_core::Result<Cid> {
        Err(venus_core::Error::Crypto("no pieces in this test".into()))
    }
}

type Bs = Arc<SyncMemoryBlockstore>;

struct Net {
    consensus: Arc<Consensus<Bs>>,
    chain: Arc<ChainStore<Bs>>,
    beacon: Arc<LocalBeacon>,
    worker: PrivateKey,
    miner: Address,
    secp: PrivateKey,
    bls: PrivateKey,
}

fn key(t: SignatureType, seed: u8) -> PrivateKey {
    PrivateKey::from_bytes(t, &[seed; 32]).expect("key")
}

fn net() -> Net {
    net_with(|_| {})
}

/// A net whose genesis state `tweak` changes before the genesis block is made.
fn net_with(tweak: impl FnOnce(&mut StateTree<&Bs>)) -> Net {
    let worker = key(SignatureType::BLS, 3);
    let secp = key(SignatureType::Secp256k1, 4);
    let bls = key(SignatureType::BLS, 5);
    let addr = |k: &PrivateKey| k.address().expect("address");
    let store: Bs = Arc::new(SyncMemoryBlockstore::new());
    let genesis = GenesisBuilder::new("devnet")
        .timestamp(GENESIS_TIME)
        .account(addr(&worker), TokenAmount::from_whole(1000))
        .account(addr(&secp), TokenAmount::from_whole(1000))
        .account(addr(&bls), TokenAmount::from_whole(1000))
        .miner(common::one_sector_miner(addr(&worker)))
        .build(&store)
        .expect("genesis");
    let mut tree = StateTree::load(&store, &genesis.state_root).expect("load");
    tweak(&mut tree);
    let root = tree.flush().expect("flush");
    let block = genesis_block(&store, root, "devnet", GENESIS_TIME).expect("genesis block");
    let beacon = Arc::new(LocalBeacon::from_secret(&[7; 32], GENESIS_TIME, DELAY).expect("beacon"));
    let chain =
        Arc::new(ChainStore::open(store, Arc::new(MemoryMeta::default()), &block).expect("chain"));
    let params = NetworkParams::devnet(beacon.network().clone(), GENESIS_TIME, DELAY);
    let consensus = Arc::new(Consensus::new(
        chain.clone(),
        params,
        Arc::new(NoSeals),
        Arc::new(DigestProver),
    ));
    Net {
        consensus,
        chain,
        beacon,
        worker,
        miner: Address::new_id(MINER_START),
        secp,
        bls,
    }
}

fn send(from: &PrivateKey, nonce: u64, gas_limit: u64) -> SignedMessage {
    let message = Message {
        version: 0,
        from: from.address().expect("address"),
        to: Address::new_id(100),
        sequence: nonce,
        value: TokenAmount::from_atto(1000),
        method_num: 0,
        params: Default::default(),
        gas_limit,
        gas_fee_cap: TokenAmount::from_atto(1_000),
        gas_premium: TokenAmount::from_atto(10),
    };
    sign(from, message)
}

fn sign(from: &PrivateKey, message: Message) -> SignedMessage {
    let cid = message_cid(&message).expect("cid");
    let signature = from.sign(&cid.to_bytes()).expect("sign");
    SignedMessage { message, signature }
}

/// A correct, signed block by the miner at `round` on `base`.
async fn mine(n: &Net, base: &TipSet, round: i64, messages: Vec<SignedMessage>) -> FullBlock {
    let info = n
        .consensus
        .mining_base_info(&n.miner, round, base, &n.beacon)
        .await
        .expect("base info")
        .expect("the miner has sectors");
    let rbeacon = info
        .beacon_entries
        .last()
        .unwrap_or(&info.prev_beacon_entry)
        .clone();
    let vrf = |base: [u8; 32]| n.worker.sign(&base).expect("vrf").bytes;
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
        timestamp: base.min_timestamp() + DELAY * (round - base.height()) as u64,
        winning_post_proof: proofs,
    };
    let mut block = n.consensus.create_block(&template).expect("create");
    assert!(block.header.block_sig.is_none(), "the node does not sign");
    resign(n, &mut block);
    block
}

fn resign(n: &Net, b: &mut FullBlock) {
    b.header.block_sig = None;
    let bytes = b.header.signing_bytes().expect("bytes");
    b.header.block_sig = Some(n.worker.sign(&bytes).expect("sign"));
}

/// After changing messages: the header's root and signature follow.
fn rebuild(n: &Net, b: &mut FullBlock) {
    b.header.messages = b.tx_meta().expect("meta").cid().expect("cid");
    n.chain
        .put_messages(&b.bls_messages, &b.secp_messages)
        .expect("put");
    resign(n, b);
}

async fn check(n: &Net, b: FullBlock) -> Result<(), BlockError> {
    let now = b.header.timestamp;
    match n.consensus.validate_block(b, now).await {
        Ok(()) => Ok(()),
        Err(ChainError::InvalidBlock(e)) => Err(*e),
        Err(e) => panic!("not a refusal but a failure: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_blocks_pass_and_extend_the_chain() {
    let n = net();
    let g = n.chain.genesis().clone();
    let msgs = vec![
        send(&n.secp, 0, 1_000_000),
        send(&n.bls, 0, 1_000_000),
        send(&n.secp, 1, 1_000_000),
    ];
    let b1 = mine(&n, &g, 1, msgs).await;
    check(&n, b1.clone()).await.expect("block 1 is valid");
    n.chain.add_block(&b1.header).expect("add").expect("head");
    let t1 = n.chain.head();
    assert_eq!(t1.height(), 1);

    // Round 2 on it executes block 1's messages for its parent state;
    // round 3 is a null round, so block 4 carries two beacon rounds.
    let b2 = mine(&n, &t1, 2, vec![send(&n.secp, 2, 1_000_000)]).await;
    check(&n, b2.clone()).await.expect("block 2 is valid");
    n.chain.add_block(&b2.header).expect("add");
    let b4 = mine(&n, &n.chain.head(), 4, vec![]).await;
    assert_eq!(b4.header.beacon_entries.len(), 2);
    check(&n, b4.clone()).await.expect("block 4 is valid");

    // The messages ran: the secp sender's nonce is 3 after block 2.
    let r2 = n
        .consensus
        .tipset_result(&n.chain.head())
        .expect("execute block 2");
    let mut tree = StateTree::load(n.chain.blockstore(), &r2.state_root).expect("t");
    let id = tree
        .lookup_id(&n.secp.address().expect("a"))
        .expect("lookup")
        .expect("id");
    assert_eq!(tree.actor(id).expect("actor").sequence, 3);
}

type Breaker = Box<dyn Fn(&Net, &mut FullBlock) -> u64>;
type Case = (&'static str, Breaker, fn(&BlockError) -> bool);

/// Each case breaks a correct block in one way (keeping everything else
/// right) and names the check that must refuse it. The closure returns
/// how far to set the clock back (for the future-block case).
fn cases() -> Vec<Case> {
    let other = key(SignatureType::BLS, 9);
    let stranger = key(SignatureType::Secp256k1, 10);
    vec![
        (
            "sanity",
            Box::new(|n, b| {
                b.header.ticket = None;
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::Header(ValidationError::Missing("Ticket"))),
        ),
        (
            "message count",
            Box::new(|_, b| {
                // 10,001 BLS messages and the secp256k1 one.
                let m = b.bls_messages[0].clone();
                b.bls_messages = vec![m; 10_001];
                0
            }),
            |e| matches!(e, BlockError::TooManyMessages(10_002)),
        ),
        (
            "message root",
            Box::new(|_, b| {
                b.secp_messages.pop();
                0
            }),
            |e| matches!(e, BlockError::MessageRoot { .. }),
        ),
        (
            "parents",
            Box::new(|n, b| {
                let unknown = Cid::new_v1(
                    0x71,
                    cid::multihash::Multihash::wrap(0xb220, &[9; 32]).expect("multihash"),
                );
                b.header.parents = vec![unknown];
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::ParentsMissing(_)),
        ),
        (
            "height",
            Box::new(|n, b| {
                b.header.height = 0;
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::Height { .. }),
        ),
        (
            "timestamp",
            Box::new(|n, b| {
                b.header.timestamp += 1;
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::Timestamp { .. }),
        ),
        ("from the future", Box::new(|_, _| 5), |e| {
            matches!(e, BlockError::FromTheFuture { .. })
        }),
        (
            "parent state root",
            Box::new(|n, b| {
                b.header.parent_state_root = b.header.messages;
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::ParentStateRoot { .. }),
        ),
        (
            "parent receipts",
            Box::new(|n, b| {
                b.header.parent_message_receipts = b.header.messages;
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::ParentReceipts { .. }),
        ),
        (
            "base fee",
            Box::new(|n, b| {
                b.header.parent_base_fee += TokenAmount::from_atto(1);
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::BaseFee { .. }),
        ),
        (
            "parent weight",
            Box::new(|n, b| {
                b.header.parent_weight += 1;
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::ParentWeight { .. }),
        ),
        (
            "unknown miner",
            Box::new(|n, b| {
                b.header.miner = Address::new_id(MINER_START + 7);
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::UnknownMiner(_)),
        ),
        (
            "not a winner",
            Box::new(|n, b| {
                if let Some(ep) = b.header.election_proof.as_mut() {
                    ep.win_count = 0;
                }
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::Header(ValidationError::NotAWinner(0))),
        ),
        (
            "election VRF",
            Box::new(move |n, b| {
                if let Some(ep) = b.header.election_proof.as_mut() {
                    ep.vrf_proof = other.sign(b"not the election base").expect("s").bytes;
                }
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::Header(ValidationError::ElectionProof(_))),
        ),
        (
            "win count",
            Box::new(|n, b| {
                if let Some(ep) = b.header.election_proof.as_mut() {
                    ep.win_count += 1;
                }
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::Header(ValidationError::WinCount { .. })),
        ),
        (
            "block signature",
            Box::new(|_, b| {
                b.header.block_sig = None;
                let bytes = b.header.signing_bytes().expect("bytes");
                b.header.block_sig = Some(key(SignatureType::BLS, 11).sign(&bytes).expect("s"));
                0
            }),
            |e| matches!(e, BlockError::Header(ValidationError::BlockSignature(_))),
        ),
        (
            "beacon rounds",
            Box::new(|n, b| {
                b.header.beacon_entries.clear();
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::Header(ValidationError::BeaconRounds(_))),
        ),
        (
            "ticket",
            Box::new(|n, b| {
                b.header.ticket = Some(Ticket {
                    vrf_proof: n.worker.sign(b"not the ticket base").expect("s").bytes,
                });
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::Header(ValidationError::Ticket(_))),
        ),
        (
            "winning PoSt",
            Box::new(|n, b| {
                b.header.win_post_proof[0].proof_bytes[0] ^= 1;
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::WinningPost(_)),
        ),
        (
            "BLS aggregate",
            Box::new(|n, b| {
                b.header.bls_aggregate = Some(n.bls.sign(b"something else").expect("s"));
                resign(n, b);
                0
            }),
            |e| matches!(e, BlockError::BlsAggregate(_)),
        ),
        (
            "secp signature",
            Box::new(|n, b| {
                let s = &mut b.secp_messages[0];
                s.signature = key(SignatureType::Secp256k1, 12)
                    .sign(&message_cid(&s.message).expect("cid").to_bytes())
                    .expect("s");
                rebuild(n, b);
                0
            }),
            |e| matches!(e, BlockError::Signature { index: 1, .. }),
        ),
        (
            "inclusion",
            Box::new(|n, b| {
                let mut m = b.secp_messages[0].message.clone();
                m.gas_limit = 10;
                b.secp_messages[0] = sign(&n.secp, m);
                rebuild(n, b);
                0
            }),
            |e| matches!(e, BlockError::NotIncludable { index: 1, .. }),
        ),
        (
            "unknown sender",
            Box::new(move |n, b| {
                b.secp_messages.push(send(&stranger, 0, 1_000_000));
                rebuild(n, b);
                0
            }),
            |e| matches!(e, BlockError::Sender { index: 2, .. }),
        ),
        (
            "nonce",
            Box::new(|n, b| {
                b.secp_messages.push(send(&n.secp, 5, 1_000_000));
                rebuild(n, b);
                0
            }),
            |e| {
                matches!(
                    e,
                    BlockError::Nonce {
                        index: 2,
                        expected: 1,
                        got: 5,
                        ..
                    }
                )
            },
        ),
        (
            "block gas limit",
            Box::new(|n, b| {
                b.secp_messages = vec![
                    send(&n.secp, 0, 6_000_000_000),
                    send(&n.secp, 1, 6_000_000_000),
                ];
                rebuild(n, b);
                0
            }),
            |e| matches!(e, BlockError::GasLimit(_)),
        ),
        (
            "BLS sender without a key",
            Box::new(|n, b| {
                let mut m = b.bls_messages[0].clone();
                m.from = Address::new_id(9999);
                b.bls_messages[0] = m;
                rebuild(n, b);
                0
            }),
            |e| matches!(e, BlockError::Sender { index: 0, .. }),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_broken_in_one_way_is_refused_by_that_check() {
    let n = net();
    let g = n.chain.genesis().clone();
    let msgs = vec![send(&n.bls, 0, 1_000_000), send(&n.secp, 0, 1_000_000)];
    let good = mine(&n, &g, 1, msgs).await;
    check(&n, good.clone())
        .await
        .expect("the unbroken block passes");
    for (name, breaker, is_expected) in cases() {
        let mut b = good.clone();
        let back = breaker(&n, &mut b);
        let now = b.header.timestamp - back;
        let got = match n.consensus.validate_block(b, now).await {
            Ok(()) => panic!("{name}: a broken block passed"),
            Err(ChainError::InvalidBlock(e)) => *e,
            Err(e) => panic!("{name}: not a refusal but a failure: {e}"),
        };
        assert!(
            is_expected(&got),
            "{name}: refused for another reason: {got}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_beacon_entry_is_refused() {
    let n = net();
    let g = n.chain.genesis().clone();
    let b1 = mine(&n, &g, 1, vec![]).await;
    n.chain.add_block(&b1.header).expect("add");
    // From round 2 on the entries chain to a verified one.
    let mut b2 = mine(&n, &n.chain.head(), 2, vec![]).await;
    b2.header.beacon_entries[0].data[5] ^= 1;
    resign(&n, &mut b2);
    let err = check(&n, b2).await.expect_err("refused");
    assert!(
        matches!(err, BlockError::Header(ValidationError::BeaconEntry { .. })),
        "{err}"
    );
}

/// Changes the genesis miner's state.
fn with_miner_state(
    tree: &mut StateTree<&Bs>,
    change: impl FnOnce(&mut MinerState, &mut fil_actor_miner_state::v17::MinerInfo),
) {
    let mut actor = tree.actor(MINER_START).expect("miner");
    let mut st: MinerState = tree.read_state(&actor.state, "miner").expect("state");
    let mut info = st.get_info(*tree.store()).expect("info");
    change(&mut st, &mut info);
    st.info = tree.put_state(&info).expect("info");
    actor.state = tree.put_state(&st).expect("state");
    tree.set_actor(MINER_START, actor);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_miner_with_fee_debt_or_a_consensus_fault_may_not_mine() {
    let debt =
        net_with(|tree| with_miner_state(tree, |st, _| st.fee_debt = TokenAmount::from_atto(1)));
    let g = debt.chain.genesis().clone();
    let b = mine(&debt, &g, 1, vec![]).await;
    let err = check(&debt, b).await.expect_err("refused");
    assert_eq!(err, BlockError::Ineligible(Ineligible::FeeDebt));

    let faulted =
        net_with(|tree| with_miner_state(tree, |_, info| info.consensus_fault_elapsed = 100));
    let g = faulted.chain.genesis().clone();
    let info = faulted
        .consensus
        .mining_base_info(&faulted.miner, 1, &g, &faulted.beacon)
        .await
        .expect("info")
        .expect("sectors");
    assert!(!info.eligible_for_mining, "base info says so too");
    let b = mine(&faulted, &g, 1, vec![]).await;
    let err = check(&faulted, b).await.expect_err("refused");
    assert_eq!(err, BlockError::Ineligible(Ineligible::ConsensusFault(100)));
}
