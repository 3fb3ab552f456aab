//! [`Sealer`]: the pipeline and the window PoSt scheduler of one miner on
//! one store, run on the chain's head; [`sealer_module`]: its API.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use venus_api::sealer::*;
use venus_core::types::TipSet;
use venus_core::Address;
use venus_rpc::{codes, RpcError, RpcModule};

use super::chain::SealingApi;
use super::fsm::{Pipeline, PipelineConfig};
use super::state::SectorInfo;
use super::store::SealingStore;
use super::wdpost::{PostConfig, WindowPoster};
use super::worker::{LocalTasks, TaskSource};
use crate::store::SectorStore;
use crate::{Prover, Result, SealerError};

/// Builds a [`Sealer`].
pub struct SealerBuilder {
    store: SealingStore,
    api: SealingApi,
    prover: Prover,
    sectors: Arc<dyn SectorStore>,
    miner: Address,
    pipeline: PipelineConfig,
    post: PostConfig,
    owner: String,
    poll: Duration,
    task_lease_ms: u64,
}

impl SealerBuilder {
    /// The pipeline's settings.
    pub fn pipeline(mut self, c: PipelineConfig) -> Self {
        self.pipeline = c;
        self
    }

    /// The window PoSt scheduler's settings.
    pub fn post(mut self, c: PostConfig) -> Self {
        self.post = c;
        self
    }

    /// This instance's name among sealers sharing the store (default:
    /// host and process id).
    pub fn owner(mut self, name: impl Into<String>) -> Self {
        self.owner = name.into();
        self
    }

    /// How often the head is read (default 1 s).
    pub fn poll(mut self, d: Duration) -> Self {
        self.poll = d;
        self
    }

    /// How long a worker holds a task without a heartbeat (default 60 s).
    pub fn task_lease(mut self, d: Duration) -> Self {
        self.task_lease_ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// The sealer.
    pub fn build(self) -> Result<Sealer> {
        let api = Arc::new(self.api);
        let pipeline = Pipeline::new(self.store.clone(), api.clone(), self.miner, self.pipeline)?;
        let poster = WindowPoster::new(
            self.store.clone(),
            api.clone(),
            self.prover,
            self.sectors,
            self.miner,
            self.owner,
            self.post,
        )?;
        Ok(Sealer {
            store: self.store,
            api,
            pipeline,
            poster,
            poll: self.poll,
            task_lease_ms: self.task_lease_ms,
        })
    }
}

/// One miner's sealer.
pub struct Sealer {
    store: SealingStore,
    api: Arc<SealingApi>,
    pipeline: Pipeline,
    poster: WindowPoster,
    poll: Duration,
    task_lease_ms: u64,
}

impl Sealer {
    /// A sealer of `miner`'s sectors, in `sectors`, proven by `prover`.
    pub fn builder(
        store: SealingStore,
        api: SealingApi,
        prover: Prover,
        sectors: Arc<dyn SectorStore>,
        miner: Address,
    ) -> SealerBuilder {
        SealerBuilder {
            store,
            api,
            prover,
            sectors,
            miner,
            pipeline: PipelineConfig::default(),
            post: PostConfig::default(),
            owner: default_owner(),
            poll: Duration::from_secs(1),
            task_lease_ms: 60_000,
        }
    }

    /// The miner.
    pub fn miner(&self) -> Address {
        self.pipeline.miner()
    }

    /// The store.
    pub fn store(&self) -> &SealingStore {
        &self.store
    }

    /// The pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// A task source over this sealer's store, for a worker in this process.
    pub fn local_tasks(&self) -> Arc<dyn TaskSource> {
        Arc::new(LocalTasks::new(self.store.clone(), self.task_lease_ms))
    }

    /// Starts one committed-capacity sector.
    pub async fn pledge(&self) -> Result<SectorInfo> {
        self.pipeline.pledge().await
    }

    /// Runs the pipeline and the window PoSt scheduler on each new head
    /// until `stop` resolves. The two run side by side: a long proof does
    /// not hold sealing back, nor sealing a proof.
    pub async fn run(self: Arc<Self>, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        let (tx, rx) = tokio::sync::watch::channel::<Option<TipSet>>(None);
        let seal = {
            let (me, mut rx) = (self.clone(), rx.clone());
            tokio::spawn(async move {
                while rx.changed().await.is_ok() {
                    let head = rx.borrow_and_update().clone();
                    if let Some(head) = head {
                        if let Err(e) = me.pipeline.pass(&head).await {
                            tracing::warn!(target: "venus::sealer::pipeline", error = %e, "pipeline pass");
                        }
                    }
                }
            })
        };
        let post = {
            let (me, mut rx) = (self.clone(), rx);
            tokio::spawn(async move {
                while rx.changed().await.is_ok() {
                    let head = rx.borrow_and_update().clone();
                    if let Some(head) = head {
                        if let Err(e) = me.poster.pass(&head).await {
                            tracing::warn!(target: "venus::sealer::wdpost", error = %e, "window PoSt pass");
                        }
                    }
                }
            })
        };
        // Every poll, even on the same head: tasks finish and messages land between heads.
        loop {
            match self.api.head().await {
                Ok(head) => {
                    let _ = tx.send(Some(head));
                }
                Err(e) => tracing::warn!(target: "venus::sealer", error = %e, "reading the head"),
            }
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
        seal.abort();
        post.abort();
    }
}

fn default_owner() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "sealer".into());
    format!(
        "{host}/{}/{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

impl From<SealerError> for RpcError {
    fn from(e: SealerError) -> Self {
        match e {
            SealerError::UnknownSector(_) => RpcError::new(codes::NOT_FOUND, e.to_string()),
            SealerError::InvalidInput(_) => RpcError::invalid_params(e),
            other => RpcError::method(other),
        }
    }
}

/// The sealer's API: the worker methods (`Sealer.WorkerClaim`,
/// `WorkerHeartbeat`, `WorkerFinish`) and the operator's (`SectorsList`,
/// `SectorsStatus`, `Pledge`, `SectorRetry`, `SectorAbort`,
/// `WorkersList`, `PostsList`).
pub fn sealer_module(sealer: Arc<Sealer>) -> RpcModule {
    let mut m = RpcModule::new();
    let s = &sealer;
    m.register_with::<WorkerClaim, _, _, _>(s, |s, _, (req,)| async move {
        if req.worker.is_empty() || req.worker.len() > 128 || req.free.len() > 16 {
            return Err(RpcError::invalid_params(
                "a worker name has 1 to 128 characters, and at most 16 kinds",
            ));
        }
        Ok(s.store.claim(&req, s.task_lease_ms).await?)
    });
    m.register_with::<WorkerHeartbeat, _, _, _>(s, |s, _, (id, worker)| async move {
        Ok(s.store.heartbeat(&id, &worker, s.task_lease_ms).await?)
    });
    m.register_with::<WorkerFinish, _, _, _>(s, |s, _, (id, worker, result)| async move {
        Ok(s.store.finish(&id, &worker, &result).await?)
    });
    m.register_with::<SectorsList, _, _, _>(s, |s, _, _| async move {
        Ok(s.store
            .sectors(false)
            .await?
            .iter()
            .map(SectorInfo::view)
            .collect())
    });
    m.register_with::<SectorsStatus, _, _, _>(s, |s, _, (n,)| async move {
        Ok(s.pipeline.sector(n).await?.view())
    });
    m.register_with::<Pledge, _, _, _>(s, |s, _, _| async move { Ok(s.pledge().await?.view()) });
    m.register_with::<SectorRetry, _, _, _>(s, |s, _, (n,)| async move {
        Ok(s.pipeline.retry(n).await?.view())
    });
    m.register_with::<SectorAbort, _, _, _>(s, |s, _, (n,)| async move {
        Ok(s.pipeline.abort(n).await?.view())
    });
    m.register_with::<WorkersList, _, _, _>(s, |s, _, _| async move {
        Ok(s.store.workers(venus_sql::now_ms() - 600_000).await?)
    });
    m.register_with::<PostsList, _, _, _>(s, |s, _, _| async move {
        Ok(s.store.posts(200).await?.iter().map(|p| p.view()).collect())
    });
    m
}
