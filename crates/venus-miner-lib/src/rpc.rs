//! The miner's API (`venus_api::miner`, sophon-miner's methods and JSON)
//! over the miner's members, switches, slash filter and records.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use futures::stream::{self, StreamExt};
use venus_api::miner::*;
use venus_core::json::Lotus;
use venus_core::traits::ChainApi;
use venus_core::{Address, ChainEpoch};
use venus_rpc::{RpcError, RpcModule};

use crate::members::MemberStore;
use crate::records::{MiningRecords, Outcome, RecordQuery};
use crate::round::{elect, MinerResult, Signers};
use crate::slash::{BlockState, BlocksQuery, SlashFilter};
use crate::{Members, MinerError};

/// Errors kept per miner for `StatesForMining`, as sophon-miner keeps them.
const KEPT_ERRORS: usize = 20;

/// The most epochs one `CountWinners` covers (a day of epochs): each is an
/// election per miner, with two wallet signatures.
pub const MAX_COUNT_EPOCHS: i64 = 2880;

/// The most elections (miners × epochs) one `CountWinners` runs: each
/// asks a wallet for two signatures, and the wallets serve live mining.
pub const MAX_COUNT_ELECTIONS: usize = 20_000;

/// Elections `CountWinners` runs at once (sophon-miner runs 100; fewer
/// here, so that live mining keeps most of the wallets' time).
const COUNT_CONCURRENCY: usize = 16;

/// What the miner's API reads and switches.
pub struct MinerService {
    /// Every member, switched on or not.
    pub members: Arc<dyn Members>,
    /// The switches.
    pub switches: Arc<dyn MemberStore>,
    /// The claimed blocks.
    pub slash: Arc<dyn SlashFilter>,
    /// The round records.
    pub records: Arc<dyn MiningRecords>,
    /// The node and wallets `CountWinners` runs elections with.
    election: Option<(Arc<dyn ChainApi>, Arc<dyn Signers>)>,
    /// One `CountWinners` at a time.
    counting: tokio::sync::Semaphore,
    errors: Mutex<HashMap<Address, VecDeque<String>>>,
}

impl MinerService {
    /// The service over these parts.
    pub fn new(
        members: Arc<dyn Members>,
        switches: Arc<dyn MemberStore>,
        slash: Arc<dyn SlashFilter>,
        records: Arc<dyn MiningRecords>,
    ) -> Self {
        MinerService {
            members,
            switches,
            slash,
            records,
            election: None,
            counting: tokio::sync::Semaphore::new(1),
            errors: Mutex::default(),
        }
    }

    /// Serves `CountWinners` with elections on `chain` through `signers`
    /// (without, it answers that it cannot).
    pub fn with_election(mut self, chain: Arc<dyn ChainApi>, signers: Arc<dyn Signers>) -> Self {
        self.election = Some((chain, signers));
        self
    }

    /// `CountWinners`: each miner's wins at the rounds after `start..=end`
    /// (sophon-miner's epochs: the election of round `e + 1` on the tipset
    /// at `e`), by election only.
    pub async fn count_winners(
        &self,
        asked: Vec<Address>,
        start: ChainEpoch,
        end: ChainEpoch,
    ) -> Result<Vec<CountWinners>, MinerError> {
        let Some((chain, signers)) = &self.election else {
            return Err(MinerError::Config(
                "this miner service has no node and wallets to count winners with".into(),
            ));
        };
        let head = chain
            .head()
            .await
            .map_err(|e| MinerError::Node(format!("head: {e}")))?;
        if start > head.height() || end > head.height() {
            return Err(MinerError::Config(format!(
                "start or end greater than cur tipset height: {}",
                head.height()
            )));
        }
        if start < 0 || end < start || end - start >= MAX_COUNT_EPOCHS {
            return Err(MinerError::Config(format!(
                "the range must be 0 <= start <= end, at most {MAX_COUNT_EPOCHS} epochs"
            )));
        }
        let _counting = self.counting.try_acquire().map_err(|_| {
            MinerError::Busy("another CountWinners is running; ask again when it is done".into())
        })?;
        let mut asked = asked;
        asked.sort_by_key(|a| a.to_bytes());
        asked.dedup();
        let members = self.members.miners().await?;
        let mut out = Vec::new();
        let miners: Vec<Address> = if asked.is_empty() {
            members
        } else {
            let (known, unknown): (Vec<_>, Vec<_>) =
                asked.into_iter().partition(|a| members.contains(a));
            out.extend(unknown.into_iter().map(|miner| CountWinners {
                miner,
                total_win_count: 0,
                msg: "miner not exist".into(),
                win_epoch_list: None,
            }));
            known
        };
        let epochs = usize::try_from(end - start + 1).unwrap_or(usize::MAX);
        if miners.len().saturating_mul(epochs) > MAX_COUNT_ELECTIONS {
            return Err(MinerError::Config(format!(
                "{} miners over {epochs} epochs is more than {MAX_COUNT_ELECTIONS} elections: \
                 ask for fewer miners or a shorter range",
                miners.len()
            )));
        }
        // The bases once, shared by every miner's elections.
        let mut bases = Vec::new();
        for epoch in start..=end {
            let base = chain
                .tipset_by_height(epoch, head.key())
                .await
                .map_err(|e| MinerError::Node(format!("tipset at {epoch}: {e}")))?;
            bases.push((epoch, Arc::new(base)));
        }
        let mut jobs = Vec::with_capacity(miners.len() * bases.len());
        for m in &miners {
            for (e, b) in &bases {
                jobs.push((*m, *e, b.clone()));
            }
        }
        let results: Vec<(Address, Option<WinInfo>)> = stream::iter(jobs)
            .map(|(miner, epoch, base)| async move {
                let round = epoch + 1;
                let won = elect(&**chain, &**signers, &miner, &base, round).await;
                let info = match won {
                    Ok(Some((_, _, eproof, _))) => Some(WinInfo {
                        epoch: round,
                        win_count: eproof.win_count,
                        msg: String::new(),
                    }),
                    Ok(None) => None,
                    Err(e) => Some(WinInfo {
                        epoch: round,
                        win_count: 0,
                        msg: e.to_string(),
                    }),
                };
                (miner, info)
            })
            .buffer_unordered(COUNT_CONCURRENCY)
            .collect()
            .await;
        let mut wins: HashMap<Address, Vec<WinInfo>> =
            miners.iter().map(|m| (*m, Vec::new())).collect();
        for (miner, info) in results {
            if let Some(info) = info {
                wins.entry(miner).or_default().push(info);
            }
        }
        for miner in miners {
            let mut list = wins.remove(&miner).unwrap_or_default();
            list.sort_by_key(|w| w.epoch);
            out.push(CountWinners {
                miner,
                total_win_count: list.iter().map(|w| w.win_count).sum(),
                msg: String::new(),
                win_epoch_list: Some(list),
            });
        }
        Ok(out)
    }

    /// Keeps the errors of a round's results (pass it `Miner::run`'s
    /// results).
    pub fn observe(&self, results: &[MinerResult]) {
        let mut errors = self.errors.lock().unwrap_or_else(|e| e.into_inner());
        for r in results {
            if matches!(r.outcome, Outcome::Error | Outcome::Timeout) {
                let kept = errors.entry(r.miner).or_default();
                kept.push_back(format!("{:?}: {}", r.outcome, r.reason));
                while kept.len() > KEPT_ERRORS {
                    kept.pop_front();
                }
            }
        }
    }

    async fn infos(&self) -> Result<Vec<MinerInfo>, MinerError> {
        let off: HashMap<Address, bool> = self.switches.switches().await?.into_iter().collect();
        let owners = self.members.owners().await?;
        Ok(self
            .members
            .miners()
            .await?
            .into_iter()
            .map(|addr| MinerInfo {
                addr,
                id: String::new(),
                name: owners.get(&addr).cloned().unwrap_or_default(),
                open_mining: off.get(&addr).copied().unwrap_or(true),
            })
            .collect())
    }
}

impl From<MinerError> for RpcError {
    fn from(e: MinerError) -> Self {
        match e {
            MinerError::NotFound(m) => RpcError::from(venus_core::Error::NotFound(m)),
            other => RpcError::from(venus_core::Error::Backend(other.to_string())),
        }
    }
}

/// sophon-miner's `MineState` of a claimed block: 0 mining, 1 success,
/// 2 timeout, 4 error.
fn state_code(state: BlockState, reason: &str) -> i64 {
    match state {
        BlockState::Claimed | BlockState::Signed => 0,
        BlockState::Submitted => 1,
        BlockState::Failed if reason == crate::round::TIMED_OUT => 2,
        BlockState::Failed => 4,
    }
}

/// The miner's API on `service`.
pub fn miner_module(service: Arc<MinerService>) -> RpcModule {
    let mut m = RpcModule::new();
    let s = &service;
    m.register_with::<ListAddress, _, _, _>(s, |s, _, _| async move { Ok(s.infos().await?) });
    // The members are read afresh on every call; this answers the ones
    // mined for, paged as sophon-miner pages them (a limit of 0: all).
    m.register_with::<UpdateAddress, _, _, _>(s, |s, _, (skip, limit)| async move {
        let limit = if limit <= 0 {
            usize::MAX
        } else {
            usize::try_from(limit).unwrap_or(usize::MAX)
        };
        Ok(s.infos()
            .await?
            .into_iter()
            .filter(|i| i.open_mining)
            .skip(usize::try_from(skip).unwrap_or(0))
            .take(limit)
            .collect::<Vec<_>>())
    });
    m.register_with::<StatesForMining, _, _, _>(s, |s, _, (asked,)| async move {
        let infos = s.infos().await?;
        let asked: Vec<Address> = asked.unwrap_or_default().into_iter().map(|a| a.0).collect();
        let errors = s.errors.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let state = |addr: Address, is_mining: bool| MinerState {
            addr,
            is_mining,
            err: errors.get(&addr).map(|e| e.iter().cloned().collect()),
        };
        if asked.is_empty() {
            return Ok(infos
                .into_iter()
                .map(|i| state(i.addr, i.open_mining))
                .collect());
        }
        // As sophon-miner: an asked miner that is not a member is not mining.
        Ok(asked
            .into_iter()
            .map(|a| {
                let on = infos.iter().any(|i| i.addr == a && i.open_mining);
                state(a, on)
            })
            .collect())
    });
    m.register_with::<CountWinnersMethod, _, _, _>(s, |s, _, (miners, start, end)| async move {
        let miners = miners
            .unwrap_or_default()
            .into_iter()
            .map(|a| a.0)
            .collect();
        s.count_winners(miners, start, end)
            .await
            .map_err(|e| match e {
                MinerError::Config(m) => RpcError::invalid_params(m),
                other => other.into(),
            })
    });
    m.register_with::<Start, _, _, _>(s, |s, _, (miners,)| switch(s, miners, true));
    m.register_with::<Stop, _, _, _>(s, |s, _, (miners,)| switch(s, miners, false));
    m.register_with::<ListBlocks, _, _, _>(s, |s, _, (q,)| async move {
        let blocks = s
            .slash
            .list(&BlocksQuery {
                miners: q
                    .miners
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| a.0)
                    .collect(),
                limit: usize::try_from(q.limit).unwrap_or(usize::MAX),
                offset: usize::try_from(q.offset).unwrap_or(usize::MAX),
            })
            .await?;
        Ok(blocks
            .into_iter()
            .map(|b| MinedBlock {
                parent_epoch: b.parent_epoch,
                // venus's TipSetKey.String(): `{ cid cid }`.
                parent_key: format!(
                    "{{ {} }}",
                    b.parents
                        .cids()
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                epoch: b.epoch,
                miner: b.miner.to_string(),
                cid: b.cid.map(|c| c.to_string()).unwrap_or_default(),
                winning_at: venus_api::time::format_rfc3339_ms(b.claimed_at_ms),
                mine_state: state_code(b.state, &b.reason),
                consuming: 0,
            })
            .collect())
    });
    m.register_with::<QueryRecord, _, _, _>(s, |s, _, (q,)| async move {
        if q.limit > MAX_RECORD_EPOCHS {
            return Err(RpcError::invalid_params(format!(
                "query exceed MaxRecordPerQuery({MAX_RECORD_EPOCHS})"
            )));
        }
        let records = s
            .records
            .query(&RecordQuery {
                miner: q.miner,
                from: q.epoch,
                limit: usize::try_from(q.limit.max(1)).unwrap_or(usize::MAX),
            })
            .await?;
        Ok(records
            .into_iter()
            .map(|r| {
                let mut out = BTreeMap::new();
                out.insert("miner".to_string(), r.miner.to_string());
                out.insert("epoch".to_string(), r.epoch.to_string());
                out.insert("instance".to_string(), r.instance);
                out.insert("outcome".to_string(), format!("{:?}", r.outcome));
                if !r.reason.is_empty() {
                    out.insert("error".to_string(), r.reason);
                }
                for (stage, took) in r.stages {
                    out.insert(format!("{stage:?}"), format!("{took:?}"));
                }
                out
            })
            .collect())
    });
    m
}

/// `Start` and `Stop`: the switches, kept in storage.
async fn switch(
    s: Arc<MinerService>,
    miners: Option<Vec<Lotus<Address>>>,
    on: bool,
) -> Result<(), RpcError> {
    for a in miners.unwrap_or_default() {
        s.switches.set_enabled(&a.0, on).await?;
    }
    Ok(())
}
