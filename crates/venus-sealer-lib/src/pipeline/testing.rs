//! A scripted node and messager for testing and measuring the window PoSt
//! scheduler over real RPC without a chain (feature `test-utils`).
//!
//! [`MockChain`] answers the Lotus and messager methods [`WindowPoster`]
//! calls from fixed values: one head, one proving deadline, the same
//! partitions for every deadline, the sectors, a worker key. It accepts
//! every push, records its id, and reports each pushed message in the
//! state the test sets ([`MockChain::set_state`]; pending until then).
//!
//! [`WindowPoster`]: super::WindowPoster

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use venus_api::lotus::{
    BeneficiaryTerm, Bytes, ChainHead, DeadlineInfo, MinerInfo, Partition, SectorOnChainInfo,
    StateGetRandomnessFromBeacon, StateGetRandomnessFromTickets, StateMinerInfo,
    StateMinerPartitions, StateMinerProvingDeadline, StateMinerSectors,
};
use venus_api::messager::{GetMessageByUid, Message, MessageState, PushMessageWithId};
use venus_core::json::Lotus;
use venus_core::types::TipSet;
use venus_core::{Address, TokenAmount};
use venus_rpc::{codes, RpcError, RpcModule};

/// What the mock node answers, and what the mock messager was sent.
pub struct MockChain {
    /// The chain head.
    pub head: TipSet,
    /// The miner's proving deadline.
    pub deadline: DeadlineInfo,
    /// The partitions of every deadline.
    pub partitions: Vec<Partition>,
    /// The sectors `StateMinerSectors` returns (whatever is asked).
    pub sectors: Vec<SectorOnChainInfo>,
    /// The miner's worker (a key address).
    pub worker: Address,
    pushed: Mutex<Vec<(String, venus_core::Message)>>,
    states: Mutex<HashMap<String, (MessageState, i64)>>,
}

impl MockChain {
    /// A chain at `head` whose miner is in `deadline`.
    pub fn new(head: TipSet, deadline: DeadlineInfo, worker: Address) -> Self {
        MockChain {
            head,
            deadline,
            partitions: vec![],
            sectors: vec![],
            worker,
            pushed: Mutex::default(),
            states: Mutex::default(),
        }
    }

    /// The ids pushed so far, in order (a repeated id once per push).
    pub fn pushed(&self) -> Vec<String> {
        let p = self.pushed.lock().unwrap_or_else(|e| e.into_inner());
        p.iter().map(|(id, _)| id.clone()).collect()
    }

    /// Reports the message `id` in `state`, with `exit_code` once on chain.
    pub fn set_state(&self, id: &str, state: MessageState, exit_code: i64) {
        self.states
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), (state, exit_code));
    }

    fn message(&self, id: &str) -> Option<Message> {
        let pushed = self.pushed.lock().unwrap_or_else(|e| e.into_inner());
        let (_, m) = pushed.iter().find(|(i, _)| i == id)?;
        let (state, code) = self
            .states
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .copied()
            .unwrap_or((MessageState::Unfilled, 0));
        let receipt =
            (state == MessageState::OnChain).then(|| venus_core::shared::receipt::Receipt {
                exit_code: venus_core::shared::error::ExitCode::new(code as u32),
                return_data: Default::default(),
                gas_used: 0,
                events_root: None,
            });
        Some(Message {
            id: id.to_string(),
            unsigned_cid: None,
            signed_cid: None,
            version: 0,
            to: m.to,
            from: m.from,
            nonce: 0,
            value: m.value.clone(),
            gas_limit: 0,
            gas_fee_cap: TokenAmount::default(),
            gas_premium: TokenAmount::default(),
            method: m.method_num,
            params: m.params.clone(),
            signature: None,
            height: 0,
            confidence: 0,
            receipt,
            tip_set_key: Default::default(),
            meta: None,
            wallet_name: String::new(),
            state,
            error_msg: if state == MessageState::Failed {
                "scripted failure".into()
            } else {
                String::new()
            },
            created_at: 0,
            updated_at: 0,
        })
    }

    fn miner_info(&self) -> MinerInfo {
        MinerInfo {
            owner: self.worker,
            worker: self.worker,
            new_worker: None,
            control_addresses: vec![],
            worker_change_epoch: -1,
            peer_id: None,
            multiaddrs: vec![],
            window_po_st_proof_type: 5,
            sector_size: 2048,
            window_po_st_partition_sectors: 2,
            consensus_fault_elapsed: -1,
            pending_owner_address: None,
            beneficiary: self.worker,
            beneficiary_term: BeneficiaryTerm {
                quota: TokenAmount::default(),
                used_quota: TokenAmount::default(),
                expiration: 0,
            },
            pending_beneficiary_term: None,
        }
    }

    /// A proven sector as `StateMinerSectors` shows it: `number`, sealed
    /// with `seal` into `sealed_cid`, active from genesis.
    pub fn sector(number: u64, seal: i64, sealed_cid: cid::Cid) -> SectorOnChainInfo {
        SectorOnChainInfo {
            sector_number: number,
            seal_proof: seal,
            sealed_cid,
            activation: 0,
            expiration: 1_000_000,
            deal_weight: 0.into(),
            verified_deal_weight: 0.into(),
            initial_pledge: TokenAmount::default(),
            expected_day_reward: TokenAmount::default(),
            expected_storage_pledge: TokenAmount::default(),
            power_base_epoch: 0,
            replaced_day_reward: TokenAmount::default(),
            sector_key_cid: None,
            flags: 0,
            daily_fee: TokenAmount::default(),
        }
    }

    /// Serves [`MockChain::module`] on a loopback port; its URL is the
    /// node's and the messager's.
    pub async fn serve(self: &Arc<Self>) -> venus_rpc::Result<venus_rpc::ServerHandle> {
        venus_rpc::RpcServer::builder(self.module())
            .insecure_allow_all()
            .build()
            .start(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
    }

    /// The node's and the messager's methods in one module (serve it and
    /// give its URL as both).
    pub fn module(self: &Arc<Self>) -> RpcModule {
        let mut m = RpcModule::new();
        m.register_with::<ChainHead, _, _, _>(
            self,
            |c, _, _| async move { Ok(Lotus(c.head.clone())) },
        );
        m.register_with::<StateMinerProvingDeadline, _, _, _>(self, |c, _, _| async move {
            Ok(c.deadline.clone())
        });
        m.register_with::<StateMinerPartitions, _, _, _>(self, |c, _, _| async move {
            Ok(c.partitions.clone())
        });
        m.register_with::<StateMinerSectors, _, _, _>(self, |c, _, _| async move {
            Ok(c.sectors.clone())
        });
        m.register::<StateGetRandomnessFromBeacon, _, _>(|_, _| async { Ok(Bytes(vec![7; 32])) });
        m.register::<StateGetRandomnessFromTickets, _, _>(|_, _| async { Ok(Bytes(vec![9; 32])) });
        m.register_with::<StateMinerInfo, _, _, _>(
            self,
            |c, _, _| async move { Ok(c.miner_info()) },
        );
        m.register_with::<PushMessageWithId, _, _, _>(self, |c, _, (id, msg, _)| async move {
            c.pushed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((id.clone(), msg.0));
            Ok(id)
        });
        m.register_with::<GetMessageByUid, _, _, _>(self, |c, _, (id,)| async move {
            c.message(&id)
                .ok_or_else(|| RpcError::new(codes::NOT_FOUND, format!("not found: {id}")))
        });
        m
    }
}
