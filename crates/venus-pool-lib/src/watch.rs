//! Watching the devnet's chain: a live status line (epoch, head, winners,
//! blocks per member, messages landed, power per member) and the
//! [`Summary`] a run ends with, both read from the node over the Lotus API.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use serde::Serialize;
use venus_api::lotus::{LotusClient, StateAccountKey, StateMinerInfo, StateMinerPower};
use venus_core::json::Lotus;
use venus_core::traits::ChainRead;
use venus_core::types::{TipSet, TipSetKey};
use venus_core::{Address, ChainEpoch};

use crate::{Member, PoolError, Result};

/// The file in the repo that holds the head the last run ended at.
pub(crate) const LAST_HEAD: &str = "last-head";

/// How the run shows its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// One status line, redrawn in place (a terminal).
    Live,
    /// One log line per new head (not a terminal).
    Plain,
    /// Nothing until the summary.
    Quiet,
}

/// What a run did, read from the node's chain: the tipsets after `from`
/// up to and including `head`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// The head's height when mining started (not counted).
    pub from: ChainEpoch,
    /// The final head's height.
    pub to: ChainEpoch,
    /// The final head's block CIDs.
    pub head: Vec<String>,
    /// Tipsets in `(from, to]`.
    pub tipsets: u64,
    /// Epochs in `(from, to]` without a tipset.
    pub null_rounds: u64,
    /// Blocks per member miner (every member listed, 0 if it won none).
    pub blocks: BTreeMap<String, u64>,
    /// Distinct messages included in those tipsets.
    pub messages: u64,
    /// Raw-byte power per member at the final head.
    pub power: BTreeMap<String, u64>,
    /// Component restarts (with `--processes`).
    pub restarts: BTreeMap<String, u64>,
}

fn watch_err(e: impl std::fmt::Display) -> PoolError {
    PoolError::Watch(e.to_string())
}

/// Counts of some tipsets.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Counts {
    tipsets: u64,
    blocks: BTreeMap<String, u64>,
    messages: u64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.tipsets += other.tipsets;
        self.messages += other.messages;
        for (m, n) in &other.blocks {
            *self.blocks.entry(m.clone()).or_default() += n;
        }
    }

    fn remove(&mut self, other: &Counts) {
        self.tipsets = self.tipsets.saturating_sub(other.tipsets);
        self.messages = self.messages.saturating_sub(other.messages);
        for (m, n) in &other.blocks {
            let e = self.blocks.entry(m.clone()).or_default();
            *e = e.saturating_sub(*n);
        }
    }
}

/// The chain, read through the node's Lotus API.
pub(crate) struct Watcher {
    node: LotusClient,
    members: Vec<Address>,
}

impl Watcher {
    pub async fn connect(node: &str, members: &[String]) -> Result<Watcher> {
        let members = members
            .iter()
            .map(|m| venus_core::address::parse(m).map_err(watch_err))
            .collect::<Result<Vec<_>>>()?;
        Ok(Watcher {
            node: LotusClient::connect(node).await.map_err(watch_err)?,
            members,
        })
    }

    /// Checks that the node's chain holds each member as a miner whose
    /// worker is the member's key: an outside node must run the devnet's
    /// chain (`--node`).
    pub async fn check_members(&self, members: &[Member]) -> Result<()> {
        let wrong = |why: String| {
            PoolError::Invalid(format!(
                "--node: {why}; the node must hold this pool's chain: start it on the repo's genesis.json"
            ))
        };
        let empty = || Lotus(TipSetKey::default());
        self.node
            .head()
            .await
            .map_err(|e| PoolError::Invalid(format!("--node: the node does not answer: {e}")))?;
        for m in members {
            let miner = venus_core::address::parse(&m.miner).map_err(watch_err)?;
            let info = self
                .node
                .rpc()
                .call::<StateMinerInfo>((Lotus(miner), empty()))
                .await
                .map_err(|e| wrong(format!("{} is not a miner there ({e})", m.miner)))?;
            let key = self
                .node
                .rpc()
                .call::<StateAccountKey>((Lotus(info.worker), empty()))
                .await
                .map_err(|e| wrong(format!("{}'s worker {}: {e}", m.miner, info.worker)))?;
            if key.0.to_string() != m.worker {
                return Err(wrong(format!(
                    "{}'s worker there is {}, but the member's wallet holds {}",
                    m.miner, key.0, m.worker
                )));
            }
        }
        Ok(())
    }

    /// Checks that the node's token lets the pool work there: the miner
    /// makes and submits blocks and the messager pushes messages, which
    /// need `write` (a read-only token would otherwise show only as a chain
    /// that does not move). See [`LotusClient::require`].
    pub async fn check_token(&self) -> Result<()> {
        self.node
            .require(
                venus_rpc::Permission::Write,
                "the pool's miner (MinerCreateBlock, SyncSubmitBlock) and messager (MpoolPush)",
            )
            .await
            .map_err(|why| PoolError::Invalid(format!("--node: {why}")))
    }

    /// Checks that the node holds the head the last run on `repo` ended
    /// at (its `last-head`, if any): a node started anew on the genesis
    /// would strand what the members did on the old chain (the messager's
    /// nonces, the sealers' sectors).
    pub async fn check_last_head(&self, repo: &Path) -> Result<()> {
        let path = repo.join(LAST_HEAD);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(PoolError::io("reading", &path)(e)),
        };
        let cids: Vec<String> = serde_json::from_str(&text)
            .map_err(|e| PoolError::Invalid(format!("{}: {e}", path.display())))?;
        let cids = cids
            .iter()
            .map(|c| c.parse())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| PoolError::Invalid(format!("{}: {e}", path.display())))?;
        self.node
            .tipset(&TipSetKey::new(cids))
            .await
            .map(drop)
            .map_err(|e| {
                PoolError::Invalid(format!(
                    "the node does not hold this pool's chain: the head the last run ended at ({}) is not there ({e}); \
                     a node started anew on the genesis would strand the members' messages and sectors: \
                     run on the node of the last run, or make a new --repo",
                    path.display()
                ))
            })
    }

    pub async fn head(&self) -> Result<TipSet> {
        self.node.head().await.map_err(watch_err)
    }

    /// One tipset's counts: its blocks per miner and distinct messages.
    async fn count_one(&self, ts: &TipSet) -> Result<Counts> {
        let mut c = Counts {
            tipsets: 1,
            ..Counts::default()
        };
        let mut seen = BTreeSet::new();
        for b in ts.blocks() {
            *c.blocks.entry(b.miner.to_string()).or_default() += 1;
            let cid = b.cid().map_err(watch_err)?;
            let msgs = self.node.block_messages(&cid).await.map_err(watch_err)?;
            seen.extend(msgs.cids);
        }
        c.messages = seen.len() as u64;
        Ok(c)
    }

    async fn parent(&self, ts: &TipSet) -> Result<TipSet> {
        self.node.tipset(&ts.parents()).await.map_err(watch_err)
    }

    /// Tipsets, blocks per miner and distinct messages from `head` back to
    /// (not including) height `from`.
    async fn count(&self, head: &TipSet, from: ChainEpoch) -> Result<Counts> {
        let mut c = Counts::default();
        let mut ts = head.clone();
        while ts.height() > from {
            c.add(&self.count_one(&ts).await?);
            ts = self.parent(&ts).await?;
        }
        Ok(c)
    }

    async fn power(&self) -> Result<BTreeMap<String, u64>> {
        let mut out = BTreeMap::new();
        for m in &self.members {
            let p = self
                .node
                .rpc()
                .call::<StateMinerPower>((Lotus(*m), Lotus(TipSetKey::default())))
                .await
                .map_err(watch_err)?;
            let raw = u64::try_from(p.miner_power.raw_byte_power).unwrap_or(u64::MAX);
            out.insert(m.to_string(), raw);
        }
        Ok(out)
    }

    /// The summary of `(from, head]`.
    pub async fn summary(&self, head: &TipSet, from: ChainEpoch) -> Result<Summary> {
        let c = self.count(head, from).await?;
        let mut blocks: BTreeMap<String, u64> =
            self.members.iter().map(|m| (m.to_string(), 0)).collect();
        for (m, n) in c.blocks {
            *blocks.entry(m).or_default() += n;
        }
        let epochs = u64::try_from(head.height() - from).unwrap_or(0);
        Ok(Summary {
            from,
            to: head.height(),
            head: head.key().cids().iter().map(|c| c.to_string()).collect(),
            tipsets: c.tipsets,
            null_rounds: epochs.saturating_sub(c.tipsets),
            blocks,
            messages: c.messages,
            power: self.power().await?,
            restarts: BTreeMap::new(),
        })
    }
}

/// The live view: running totals since the start, one line per new head.
pub(crate) struct Status {
    display: Display,
    from: ChainEpoch,
    /// The last [`KEEP`] tipsets counted in `totals`, up to the last head
    /// seen: a new head is counted back to the first of them it builds on,
    /// and those it replaced (a late block at the same height makes a new
    /// tipset there; a reorg replaces several) are taken out again.
    counted: Vec<(TipSetKey, ChainEpoch, Counts)>,
    /// The height of the last tipset counted and no longer kept (final).
    settled: ChainEpoch,
    totals: Counts,
}

/// How many counted tipsets the status keeps to take a reorg back: the
/// chain's finality (900 epochs), so that a pool running for months holds
/// a bounded list.
const KEEP: usize = 900;

fn kib(bytes: u64) -> String {
    format!("{} KiB", bytes / 1024)
}

impl Status {
    pub fn new(display: Display, from: ChainEpoch) -> Status {
        Status {
            display,
            from,
            counted: Vec::new(),
            settled: from,
            totals: Counts::default(),
        }
    }

    /// Counts `new` (oldest first) in place of the tipsets counted after
    /// the first `keep`, and forgets all but the last [`KEEP`].
    fn apply(&mut self, keep: usize, new: Vec<(TipSetKey, ChainEpoch, Counts)>) {
        for (_, _, c) in self.counted.drain(keep..) {
            self.totals.remove(&c);
        }
        for (k, h, c) in new {
            self.totals.add(&c);
            self.counted.push((k, h, c));
        }
        let over = self.counted.len().saturating_sub(KEEP);
        if let Some((_, h, _)) = self.counted.drain(..over).next_back() {
            self.settled = h;
        }
    }

    /// Takes in a new head (no-op if it is the last one seen, or not
    /// above the start).
    pub async fn update(&mut self, w: &Watcher, head: &TipSet) -> Result<()> {
        if self.display == Display::Quiet
            || head.height() <= self.from
            || self.counted.last().is_some_and(|(k, _, _)| k == head.key())
        {
            return Ok(());
        }
        // Back from the head to a tipset already counted (or the start, or
        // the last one forgotten).
        let mut new = Vec::new();
        let mut ts = head.clone();
        let keep = loop {
            if ts.height() <= self.settled {
                break 0;
            }
            if let Some(i) = self.counted.iter().rposition(|(k, _, _)| k == ts.key()) {
                break i + 1;
            }
            let c = w.count_one(&ts).await?;
            let parent = w.parent(&ts).await?;
            new.push((ts.key().clone(), ts.height(), c));
            ts = parent;
        };
        new.reverse();
        self.apply(keep, new);
        let winners: Vec<String> = head.blocks().iter().map(|b| b.miner.to_string()).collect();
        let blocks: Vec<String> = w
            .members
            .iter()
            .map(|m| {
                format!(
                    "{m}={}",
                    self.totals.blocks.get(&m.to_string()).unwrap_or(&0)
                )
            })
            .collect();
        let power: Vec<String> = w
            .power()
            .await?
            .iter()
            .map(|(m, p)| format!("{m}={}", kib(*p)))
            .collect();
        let key = head
            .key()
            .cids()
            .first()
            .map(|c| c.to_string())
            .unwrap_or_default();
        let short = key.get(key.len().saturating_sub(8)..).unwrap_or(&key);
        let line = format!(
            "epoch {} (+{}) | head …{short} | winners {} | blocks {} | messages {} | power {}",
            head.height(),
            head.height() - self.from,
            if winners.is_empty() {
                "-".into()
            } else {
                winners.join(",")
            },
            blocks.join(" "),
            self.totals.messages,
            power.join(" "),
        );
        let mut out = std::io::stdout().lock();
        let _ = match self.display {
            Display::Live => write!(out, "\r\x1b[2K{line}"),
            _ => writeln!(out, "{line}"),
        };
        let _ = out.flush();
        Ok(())
    }

    /// Ends the live line.
    pub fn finish(&self) {
        if self.display == Display::Live && !self.counted.is_empty() {
            println!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(miner: &str) -> Counts {
        Counts {
            tipsets: 1,
            blocks: BTreeMap::from([(miner.to_string(), 1)]),
            messages: 2,
        }
    }

    /// A long run keeps the last `KEEP` tipsets and the totals of all;
    /// a reorg among the kept ones is taken back exactly.
    #[test]
    fn the_status_keeps_a_bounded_window_and_whole_totals() {
        let mut s = Status::new(Display::Quiet, 10);
        for h in 11..=2_010 {
            s.apply(
                s.counted.len(),
                vec![(TipSetKey::default(), h, one("f01000"))],
            );
        }
        assert_eq!(s.counted.len(), KEEP);
        assert_eq!(s.settled, 2_010 - KEEP as ChainEpoch);
        assert_eq!(s.totals.tipsets, 2_000);
        assert_eq!(s.totals.messages, 4_000);
        // The last two tipsets replaced by three of another miner.
        let keep = s.counted.len() - 2;
        let new = (2_009..=2_011)
            .map(|h| (TipSetKey::default(), h, one("f01001")))
            .collect();
        s.apply(keep, new);
        assert_eq!(s.counted.len(), KEEP);
        assert_eq!(s.totals.tipsets, 2_001);
        assert_eq!(s.totals.blocks["f01000"], 1_998);
        assert_eq!(s.totals.blocks["f01001"], 3);
    }

    /// An outside node (`--node`) must hold the members as the pool's
    /// genesis made them: a miner missing there, or one whose worker is
    /// another key than the member's wallet holds, is refused by name.
    #[tokio::test]
    async fn an_outside_node_without_the_members_is_refused() {
        let net = venus_node::testing::net();
        let server = venus_rpc::RpcServer::builder(venus_node::rpc::lotus_module(net.node.clone()))
            .insecure_allow_all()
            .build()
            .start("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("serve");
        let info = format!("any:/ip4/127.0.0.1/tcp/{}/http", server.local_addr().port());
        let w = Watcher::connect(&info, &[]).await.expect("connect");
        let worker = net.worker.address().expect("worker").to_string();
        let member = |miner: &str, worker: &str| Member {
            miner: miner.into(),
            worker: worker.into(),
        };

        w.check_members(&[member("f01000", &worker)])
            .await
            .expect("the node's own miner and worker");
        let other = net.secp.address().expect("address").to_string();
        let e = w
            .check_members(&[member("f01000", &worker), member("f01000", &other)])
            .await
            .expect_err("another worker");
        assert!(
            e.to_string().contains(&format!(
                "f01000's worker there is {worker}, but the member's wallet holds {other}"
            )),
            "{e}"
        );
        let e = w
            .check_members(&[member("f01007", &worker)])
            .await
            .expect_err("no such miner");
        assert!(e.to_string().contains("f01007 is not a miner there"), "{e}");
        assert!(e.to_string().contains("genesis.json"), "{e}");
        server.stop().await;
        let e = w
            .check_members(&[member("f01000", &worker)])
            .await
            .expect_err("no node");
        assert!(e.to_string().contains("the node does not answer"), "{e}");
    }
}
