//! Helpers shared by the executor tests: a genesis with an owner, a BLS
//! worker and a secp256k1 key, messages, and a miner made through
//! `CreateMiner`.

#![allow(dead_code, missing_docs)]

use fil_actor_power_state::v17::{CreateMinerParams, CreateMinerReturn, State as PowerState};
use fvm_ipld_blockstore::MemoryBlockstore;
use fvm_ipld_encoding::RawBytes;
use fvm_shared::error::ExitCode;
use fvm_shared::sector::RegisteredPoStProof;
use venus_chain::exec::actors::CREATE_MINER;
use venus_chain::exec::{ApplyRet, ExecEnv, Vm};
use venus_chain::genesis::POWER_ID;
use venus_chain::{GenesisBuilder, Manifest, StateTree};
use venus_core::crypto::PrivateKey;
use venus_core::{Address, Message, SignatureType, TokenAmount};

/// The epoch the tests' messages run in.
pub const EPOCH: i64 = 5;

pub struct Net {
    pub store: MemoryBlockstore,
    pub root: cid::Cid,
    pub owner: Address,
    pub bls: Address,
    pub secp: Address,
}

pub fn net() -> Net {
    let store = MemoryBlockstore::new();
    let key = |t| PrivateKey::generate(t).address().expect("address");
    let (owner, bls, secp) = (
        key(SignatureType::Secp256k1),
        key(SignatureType::BLS),
        key(SignatureType::Secp256k1),
    );
    let root = GenesisBuilder::new("test")
        .account(owner, TokenAmount::from_whole(1000))
        .account(bls, TokenAmount::from_whole(1))
        .account(secp, TokenAmount::from_whole(1))
        .build(&store)
        .expect("genesis")
        .state_root;
    Net {
        store,
        root,
        owner,
        bls,
        secp,
    }
}

pub fn vm(n: &Net) -> Vm<&MemoryBlockstore> {
    let tree = StateTree::load(&n.store, &n.root).expect("load");
    Vm::new(
        tree,
        Manifest::devnet(),
        ExecEnv::devnet(EPOCH, TokenAmount::from_atto(100)),
    )
}

pub fn create_params(owner: Address, worker: Address, proof: RegisteredPoStProof) -> RawBytes {
    RawBytes::serialize(CreateMinerParams {
        owner,
        worker,
        window_post_proof_type: proof,
        peer: b"peer".to_vec(),
        multiaddrs: vec![],
    })
    .expect("params")
}

pub fn msg(
    from: Address,
    to: Address,
    nonce: u64,
    method: u64,
    params: RawBytes,
    value: TokenAmount,
) -> Message {
    Message {
        version: 0,
        from,
        to,
        sequence: nonce,
        value,
        method_num: method,
        params,
        gas_limit: 200_000_000,
        gas_fee_cap: TokenAmount::from_atto(1_000),
        gas_premium: TokenAmount::from_atto(10),
    }
}

pub fn apply(vm: &mut Vm<&MemoryBlockstore>, m: &Message) -> ApplyRet {
    let len = fvm_ipld_encoding::to_vec(m).expect("cbor").len();
    vm.apply_message(m, len).expect("apply")
}

pub fn power(vm: &Vm<&MemoryBlockstore>) -> PowerState {
    let a = vm.tree().actor(POWER_ID).expect("power");
    vm.tree()
        .read_state(&a.state, "power")
        .expect("power state")
}

/// `owner`'s `CreateMiner` message (nonce `nonce`) for a miner worked by
/// `worker` with `proof`, sending `value`.
pub fn create_miner_msg(
    owner: Address,
    worker: Address,
    proof: RegisteredPoStProof,
    nonce: u64,
    value: TokenAmount,
) -> Message {
    msg(
        owner,
        Address::new_id(POWER_ID),
        nonce,
        CREATE_MINER,
        create_params(owner, worker, proof),
        value,
    )
}

/// A miner made by `n.owner` with `n.bls` as worker and 10 FIL; returns
/// the VM after it and the miner's ID address.
pub fn with_miner(n: &Net) -> (Vm<&MemoryBlockstore>, Address) {
    let mut vm = vm(n);
    let m = msg(
        n.owner,
        Address::new_id(POWER_ID),
        0,
        CREATE_MINER,
        create_params(
            n.owner,
            n.bls,
            RegisteredPoStProof::StackedDRGWindow2KiBV1P1,
        ),
        TokenAmount::from_whole(10),
    );
    let r = apply(&mut vm, &m);
    assert_eq!(r.receipt.exit_code, ExitCode::OK, "{:?}", r.error);
    let ret: CreateMinerReturn =
        fvm_ipld_encoding::from_slice(r.receipt.return_data.bytes()).expect("return");
    (vm, ret.id_address)
}

/// The cron events queued in `power` for `epoch`: each one's miner and
/// the event type its payload carries.
pub fn cron_events(
    store: &impl fvm_ipld_blockstore::Blockstore,
    power: &PowerState,
    epoch: i64,
) -> Vec<(Address, i64)> {
    let queue = fil_actors_shared::v17::Multimap::from_root(
        store,
        &power.cron_event_queue,
        fil_actor_power_state::v17::CRON_QUEUE_HAMT_BITWIDTH,
        fil_actor_power_state::v17::CRON_QUEUE_AMT_BITWIDTH,
    )
    .expect("cron queue");
    let mut out = Vec::new();
    queue
        .for_each(
            &fil_actor_power_state::v17::epoch_key(epoch),
            |_, e: &fil_actor_power_state::v17::CronEvent| {
                let payload: fil_actor_miner_state::v17::CronEventPayload =
                    e.callback_payload.deserialize().expect("payload");
                out.push((e.miner_addr, payload.event_type));
                Ok(())
            },
        )
        .expect("walk");
    out
}

/// All the FIL in the state at `root`: every actor's balance, summed.
pub fn total(store: &MemoryBlockstore, root: &cid::Cid) -> TokenAmount {
    let tree = StateTree::load(store, root).expect("load");
    let mut sum = TokenAmount::default();
    tree.for_each(|_, a| {
        sum += &a.balance;
        Ok(())
    })
    .expect("walk");
    sum
}

/// A miner for genesis owned and worked by `key`, with one 2 KiB sector
/// whose CommR is made up (nothing here verifies its proof).
pub fn one_sector_miner(key: Address) -> venus_chain::GenesisMiner {
    let comm_r = cid::Cid::new_v1(
        0xf102,
        cid::multihash::Multihash::wrap(0xb401, &[1; 32]).expect("multihash"),
    );
    venus_chain::GenesisMiner {
        owner: key,
        worker: key,
        peer_id: vec![],
        sectors: vec![venus_chain::GenesisSector {
            number: 0,
            proof: fvm_shared::sector::RegisteredSealProof::StackedDRG2KiBV1P1,
            sealed_cid: comm_r,
        }],
    }
}
