//! Applying a tipset: 5 blocks × 2,000 sends (BLS messages, signatures
//! already checked), against the raw HAMT work the same messages need (a
//! get and a put of the sender and of the receiver, and one flush).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use fvm_ipld_blockstore::MemoryBlockstore;
use fvm_ipld_hamt::{BytesKey, Hamt};
use fvm_shared::state::ActorState;
use venus_chain::exec::{apply_messages, BlockToApply, ExecEnv};
use venus_chain::{GenesisBuilder, Manifest, StateTree};
use venus_core::types::BlockMessages;
use venus_core::{Address, Message, TokenAmount};

const BLOCKS: usize = 5;
const PER_BLOCK: usize = 2_000;
const SENDERS: usize = 2_000;

fn key(i: usize) -> Address {
    let mut pk = [0u8; 48];
    pk[..8].copy_from_slice(&(i as u64).to_be_bytes());
    pk[8] = 1;
    Address::new_bls(&pk).expect("48 bytes")
}

fn setup() -> (MemoryBlockstore, cid::Cid, Vec<BlockMessages>) {
    let store = MemoryBlockstore::new();
    let mut g = GenesisBuilder::new("bench");
    for i in 0..SENDERS {
        g = g.account(key(i), TokenAmount::from_whole(1_000));
    }
    let root = g.build(&store).expect("genesis").state_root;
    // Each sender sends one message per block (nonce = block), to another sender.
    let blocks = (0..BLOCKS)
        .map(|b| BlockMessages {
            bls_messages: (0..PER_BLOCK)
                .map(|i| Message {
                    version: 0,
                    from: key(i),
                    to: key((i * 7 + b + 1) % SENDERS),
                    sequence: b as u64,
                    value: TokenAmount::from_atto(1_000),
                    method_num: 0,
                    params: Default::default(),
                    gas_limit: 5_000_000,
                    gas_fee_cap: TokenAmount::from_atto(1_000),
                    gas_premium: TokenAmount::from_atto(10),
                })
                .collect(),
            secpk_messages: Vec::new(),
            cids: Vec::new(),
        })
        .collect();
    (store, root, blocks)
}

fn apply(c: &mut Criterion) {
    let (store, root, blocks) = setup();
    let env = ExecEnv::devnet(1, TokenAmount::from_atto(100));
    let manifest = Manifest::devnet();
    let miner = Address::new_id(1000);
    let apply: Vec<BlockToApply> = blocks
        .iter()
        .map(|messages| BlockToApply {
            miner,
            win_count: 1,
            messages,
        })
        .collect();
    let mut g = c.benchmark_group(format!(
        "apply a tipset, {BLOCKS} blocks × {PER_BLOCK} sends"
    ));
    g.throughput(Throughput::Elements((BLOCKS * PER_BLOCK) as u64));
    g.sample_size(10);
    g.bench_function("venus-chain apply_messages, memory blockstore", |b| {
        b.iter(|| {
            let out = apply_messages(&store, &root, &manifest, &env, &apply).expect("apply");
            assert_eq!(out.receipts.len(), BLOCKS * PER_BLOCK);
        })
    });
    // The same on RocksDB, the node's store: the genesis blocks copied in,
    // then each tipset applied and written in one batch.
    #[cfg(feature = "rocksdb")]
    rocks(&mut g, &root, &manifest, &env, &apply);
    // The raw HAMT work per message: get and put the sender and the receiver.
    let tree = StateTree::load(&store, &root).expect("load");
    let mut t = tree;
    let ids: Vec<u64> = (0..SENDERS)
        .map(|i| t.lookup_id(&key(i)).expect("lookup").expect("known"))
        .collect();
    let actors_root: cid::Cid = {
        let r: fvm_shared::state::StateRoot = fvm_ipld_encoding::CborStore::get_cbor(&store, &root)
            .expect("root")
            .expect("present");
        r.actors
    };
    let k = |id: u64| BytesKey(Address::new_id(id).to_bytes());
    g.bench_function("raw HAMT get+put of sender and receiver, one flush", |b| {
        b.iter_batched(
            || Hamt::<_, ActorState>::load_with_bit_width(&actors_root, &store, 5).expect("hamt"),
            |mut h| {
                for blk in 0..BLOCKS {
                    for i in 0..PER_BLOCK {
                        for id in [ids[i], ids[(i * 7 + blk + 1) % SENDERS]] {
                            let mut a = h.get(&k(id)).expect("get").expect("actor").clone();
                            a.sequence += 1;
                            h.set(k(id), a).expect("set");
                        }
                    }
                }
                h.flush().expect("flush")
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// [`apply`] on a RocksDB blockstore.
#[cfg(feature = "rocksdb")]
fn rocks(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    root: &cid::Cid,
    manifest: &Manifest,
    env: &ExecEnv,
    apply: &[BlockToApply<'_>],
) {
    use venus_chain::store::RocksBlockstore;
    let root = *root;
    let dir = tempfile::tempdir().expect("tempdir");
    let rocks = RocksBlockstore::open(dir.path()).expect("rocksdb");
    {
        let mut g2 = GenesisBuilder::new("bench");
        for i in 0..SENDERS {
            g2 = g2.account(key(i), TokenAmount::from_whole(1_000));
        }
        let r = g2.build(&rocks).expect("genesis on rocksdb").state_root;
        assert_eq!(r, root, "the same genesis");
    }
    g.bench_function("venus-chain apply_messages, RocksDB blockstore", |b| {
        b.iter(|| {
            let out = apply_messages(&rocks, &root, manifest, env, apply).expect("apply");
            assert_eq!(out.receipts.len(), BLOCKS * PER_BLOCK);
        })
    });
}

criterion_group!(benches, apply);
criterion_main!(benches);
