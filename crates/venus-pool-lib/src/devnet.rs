//! The devnet's repo: [`Devnet::prepare`] pre-seals each member's sectors,
//! makes each member's wallet with its worker key, a funded key and the
//! genesis, once; every run reads it back ([`PoolFile`]).
//!
//! ```text
//! REPO/pool.json            members, sectors, block time (written last)
//! REPO/genesis.json         the devnet's genesis
//! REPO/funded.key           a funded secp256k1 key, in Lotus's export format
//! REPO/wallet-password      the members' wallet password
//! REPO/api-info.env         every service's API info, once running
//! REPO/last-head            the head the last run ended at (a later run's node must hold it)
//! REPO/node/ messager/ miner/          the shared services' repos
//! REPO/members/f01000/{wallet,sealer,sectors}/   each member's own
//! REPO/logs/                each component's log (with --processes)
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use venus_core::crypto::{KeyInfo, PrivateKey};
use venus_core::traits::ComputeProof;
use venus_core::{RegisteredSealProof, SignatureType};
use venus_miner_lib::slash::SlashFilter;
use venus_node::cli::ProvingPeriod;
use venus_sealer_lib::{preseal, LocalSectorStore, PreSealConfig, PreSealMiner, Prover};
use venus_wallet_lib::service::WalletRepo;
use venus_wallet_lib::KdfParams;

use crate::launch::Mode;
use crate::{PoolError, Result};

/// The file that marks a directory as a venus-pool repo.
const MARKER: &str = ".venus-pool";
/// The first member's actor ID; the others follow.
const FIRST_MINER: u64 = 1000;
/// FIL in genesis for the funded key and for each worker.
const FUNDED_FIL: u64 = 1_000_000;
const WORKER_FIL: u64 = 100_000;
/// The devnet's default proving period: deadlines × epochs per deadline,
/// short enough that window PoSts come round within minutes.
const PROVING_PERIOD: ProvingPeriod = ProvingPeriod {
    deadlines: 4,
    challenge_window: 10,
};
const SEAL: RegisteredSealProof = RegisteredSealProof::StackedDRG2KiBV1P1;

/// One member miner of the devnet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Member {
    /// Its ID address (`f01000`).
    pub miner: String,
    /// Its worker key's address, which only its wallet holds.
    pub worker: String,
}

/// What `pool.json` records of a prepared devnet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PoolFile {
    /// The members, in actor-ID order.
    pub members: Vec<Member>,
    /// Pre-sealed sectors per member.
    pub sectors: u64,
    /// Seconds per epoch.
    pub block_time: u64,
    /// The funded key's address (`funded.key`).
    pub funded: String,
    /// Where the shared messager, miner and auth keep their databases: absent,
    /// SQLite files in their repos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mysql: Option<SharedDb>,
    /// The proving period in the genesis (absent in a repo made before it
    /// was recorded: the default, the only one then).
    #[serde(default = "default_period")]
    pub proving_period: ProvingPeriod,
}

fn default_period() -> ProvingPeriod {
    PROVING_PERIOD
}

/// The shared services' databases on one MySQL server (`--mysql`): one
/// database per service, under a prefix with a random part made with the
/// devnet, so two devnets on one server do not share tables. They are
/// made when the devnet is (so a bad URL fails before any pre-sealing);
/// a run that finds the messager's or the miner's dropped refuses to start
/// (venus-auth's it makes again: the pool registers its members at every
/// run). Its `Debug` shows no password.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SharedDb {
    /// The server's URL as given (`mysql://user[:password]@host:port[/db]`).
    pub server: String,
    /// The databases' common prefix: `PREFIX_auth`, `PREFIX_messager`,
    /// `PREFIX_miner`.
    pub prefix: String,
}

impl std::fmt::Debug for SharedDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedDb")
            .field("server", &venus_sql::redact_url(&self.server))
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl SharedDb {
    /// For a new devnet on `server`: the URL's database name (or
    /// `venus_pool`) and a random suffix as the prefix.
    fn new(server: &str) -> Result<SharedDb> {
        let backend = venus_sql::SqlBackend::from_url(server)
            .map_err(|e| PoolError::Invalid(format!("--mysql: {e}")))?;
        if backend != venus_sql::SqlBackend::MySql {
            return Err(PoolError::Invalid(
                "--mysql takes a MySQL/MariaDB server URL: mysql://user[:password]@host:port[/prefix]".into(),
            ));
        }
        let base = venus_sql::database_name(server).unwrap_or("venus_pool");
        if base.len() > 40 || !base.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(PoolError::Invalid(format!(
                "--mysql: the database {base:?} in the URL must be letters, digits and _ (at most 40): it prefixes the services' databases"
            )));
        }
        Ok(SharedDb {
            server: server.to_string(),
            prefix: format!("{base}_{}", hex::encode(rand::random::<[u8; 3]>())),
        })
    }

    /// `service`'s database on the server, which must be there: one gone
    /// (dropped) is not made again empty, which would lose the records a
    /// service keeps across runs (the miner's slash filter, the messager's
    /// nonces). Its URL.
    pub async fn existing(&self, service: &str) -> Result<String> {
        let name = format!("{}_{service}", self.prefix);
        let found = venus_sql::existing_mysql_database(&self.server, &name)
            .await
            .map_err(|e| PoolError::Component {
                name: service.into(),
                reason: format!("its MySQL database: {e}"),
            })?;
        found.ok_or_else(|| PoolError::Component {
            name: service.into(),
            reason: format!(
                "its MySQL database {name} is not on the server (dropped?): an empty one would lose what it kept (the miner's slash filter, the messager's nonces); make it yourself (CREATE DATABASE {name}) to start it empty, or use a new --repo"
            ),
        })
    }

    /// `service`'s database on the server, made if missing; its URL.
    pub async fn database(&self, service: &str) -> Result<String> {
        venus_sql::mysql_database(&self.server, &format!("{}_{service}", self.prefix))
            .await
            .map_err(|e| PoolError::Component {
                name: service.into(),
                reason: format!("its MySQL database: {e}"),
            })
    }
}

/// A prepared devnet: its repo and what it holds.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The repo directory.
    pub repo: PathBuf,
    /// `pool.json`.
    pub pool: PoolFile,
}

impl Layout {
    /// The genesis file.
    pub fn genesis(&self) -> PathBuf {
        self.repo.join("genesis.json")
    }

    /// A shared service's repo (`node`, `messager`, `miner`).
    pub fn service(&self, name: &str) -> PathBuf {
        self.repo.join(name)
    }

    /// A member's own directory.
    pub fn member(&self, miner: &str) -> PathBuf {
        self.repo.join("members").join(miner)
    }
}

/// The devnet pool: how many members, how fast, run how. Its `Debug`
/// shows no token or password.
#[derive(Clone)]
pub struct Devnet {
    pub(crate) repo: PathBuf,
    pub(crate) members: Option<u32>,
    pub(crate) sectors: Option<u64>,
    pub(crate) block_time: Option<u64>,
    pub(crate) proving_period: Option<ProvingPeriod>,
    pub(crate) mysql: Option<String>,
    pub(crate) mode: Mode,
    /// In process, members' sealers prove in child processes
    /// ([`DevnetBuilder::post_child`]).
    pub(crate) post_child: bool,
    pub(crate) winning_prover: Option<WinningProver>,
    /// The integrator's slash filter, handed to the in-process miner.
    pub(crate) slash_filter: Option<CustomSlash>,
    /// An outside node's API info, used in place of the pool's own.
    pub(crate) node: Option<OutsideNode>,
}

impl std::fmt::Debug for Devnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devnet")
            .field("repo", &self.repo)
            .field("members", &self.members)
            .field("sectors", &self.sectors)
            .field("block_time", &self.block_time)
            .field("proving_period", &self.proving_period)
            .field("mysql", &self.mysql.as_deref().map(venus_sql::redact_url))
            .field("mode", &self.mode)
            .field("post_child", &self.post_child)
            .field("winning_prover", &self.winning_prover)
            .field("slash_filter", &self.slash_filter)
            .field("node", &self.node)
            .finish()
    }
}

/// An outside node's API info ([`DevnetBuilder::node`]); it holds a token,
/// so `Debug` does not show it.
#[derive(Clone)]
pub(crate) struct OutsideNode(pub String);

impl std::fmt::Debug for OutsideNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutsideNode(..)")
    }
}

/// The integrator's slash filter ([`DevnetBuilder::slash_filter`]).
#[derive(Clone)]
pub(crate) struct CustomSlash(Arc<dyn SlashFilter>);

impl std::fmt::Debug for CustomSlash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CustomSlash(..)")
    }
}

impl Devnet {
    /// The miner's parts that the integrator swapped ([`DevnetBuilder::slash_filter`]).
    pub(crate) fn miner_slots(&self) -> venus_miner_lib::cli::Slots {
        venus_miner_lib::cli::Slots {
            slash_filter: self.slash_filter.as_ref().map(|s| s.0.clone()),
        }
    }
}

/// The integrator's winning-PoSt prover, served to the pool's miner in
/// place of the members' sealers ([`DevnetBuilder::winning_prover`]).
#[derive(Clone)]
pub(crate) struct WinningProver(pub Arc<dyn ComputeProof>);

impl std::fmt::Debug for WinningProver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WinningProver(..)")
    }
}

/// Builds a [`Devnet`]; unset options take the repo's (on a second run)
/// or the defaults: 2 members × 2 sectors, 30 s epochs, in one process.
#[derive(Debug, Clone)]
pub struct DevnetBuilder(Devnet);

impl Devnet {
    /// A devnet whose repo is `repo`.
    pub fn builder(repo: impl Into<PathBuf>) -> DevnetBuilder {
        DevnetBuilder(Devnet {
            repo: repo.into(),
            members: None,
            sectors: None,
            block_time: None,
            proving_period: None,
            mysql: None,
            mode: Mode::InProcess,
            post_child: false,
            winning_prover: None,
            slash_filter: None,
            node: None,
        })
    }

    /// The repo directory.
    pub fn repo(&self) -> &Path {
        &self.repo
    }
}

impl DevnetBuilder {
    /// Member miners (default 2).
    pub fn members(mut self, n: u32) -> Self {
        self.0.members = Some(n);
        self
    }

    /// Pre-sealed 2 KiB sectors per member (default 2).
    pub fn sectors(mut self, n: u64) -> Self {
        self.0.sectors = Some(n);
        self
    }

    /// Seconds per epoch (default 30, as on mainnet: a real 2 KiB winning
    /// PoSt takes 7–15 s on 2 cores when two members prove at once).
    pub fn block_time(mut self, secs: u64) -> Self {
        self.0.block_time = Some(secs);
        self
    }

    /// The proving period: `deadlines` deadlines of `challenge_window`
    /// epochs each (default 4 × 10). Each member's sectors are proven once
    /// per period, in their deadline's window, and a new sector's power
    /// comes with its first proof, so a shorter period brings it sooner;
    /// every window must still fit a window PoSt and its message landing
    /// at the block time. A setting of this devnet's genesis (Lotus's
    /// devnets keep the day-long period): chosen when the devnet is made,
    /// kept by a later run.
    pub fn proving_period(mut self, deadlines: u64, challenge_window: i64) -> Self {
        self.0.proving_period = Some(ProvingPeriod {
            deadlines,
            challenge_window,
        });
        self
    }

    /// The shared messager, miner and auth on this MySQL server, each in a
    /// database of its own made there (default: SQLite in their repos).
    /// Chosen when the devnet is made; a later run keeps it.
    pub fn mysql(mut self, server: impl Into<String>) -> Self {
        self.0.mysql = Some(server.into());
        self
    }

    /// The slot for winning PoSts: the pool's miner asks `prover` for
    /// every member's winning PoSt instead of the member's sealer (it is
    /// served to the miner over RPC, as a sealer is, so it works in both
    /// modes). Its proofs go on chain and the node verifies them, so it
    /// must prove from the members' sectors (`REPO/members/<miner>/sectors`):
    /// wrap a `PostProver` to time, log or route proofs, or bring your own
    /// proving hardware. With [`Mode::Processes`] the components are this
    /// binary run as `BIN component KIND …`: a binary of your own must hand
    /// that command to [`crate::cli::main`].
    pub fn winning_prover(mut self, prover: Arc<dyn ComputeProof>) -> Self {
        self.0.winning_prover = Some(WinningProver(prover));
        self
    }

    /// The slot for the slash filter: the pool's miner claims every block
    /// in `filter` before a member's wallet signs it, and records its
    /// signature there, instead of in the miner's own database. Wrap a
    /// [`SqlSlashFilter`](venus_miner_lib::slash::SqlSlashFilter) to audit
    /// or mirror claims, or keep them in storage the pool already runs; it
    /// must keep the [`SlashFilter`] contract (a claim exclusive and durable
    /// before it returns), or members can be slashed. The miner uses it in
    /// this process, so it needs [`Mode::InProcess`]: [`build`](Self::build)
    /// refuses it with [`Mode::Processes`].
    pub fn slash_filter(mut self, filter: Arc<dyn SlashFilter>) -> Self {
        self.0.slash_filter = Some(CustomSlash(filter));
        self
    }

    /// The slot for the chain node: a node the pool does not start,
    /// reached by its API info (`TOKEN:/ip4/…/tcp/…/http`, with a token
    /// that may write: the miner submits blocks and the messager pushes
    /// messages) through the Lotus API only. The pool then starts no node
    /// of its own: its miner, messager, sealers and status line all use
    /// this one, with the token in `info` (an outside node verifies its own
    /// tokens, not venus-auth's).
    ///
    /// The node must hold the devnet's chain: start it after
    /// [`Devnet::prepare`] on [`Layout::genesis`]. Today that is our
    /// `venus daemon --genesis REPO/genesis.json` run apart (on a host of its
    /// own, say); a Lotus or Venus node would need this genesis in its own
    /// format and the builtin-actors bundle. [`Devnet::run`] checks first
    /// that every member is a miner there whose worker key is the one in
    /// the member's wallet, and that the node holds the last run's head,
    /// and refuses to start otherwise.
    pub fn node(mut self, info: impl Into<String>) -> Self {
        self.0.node = Some(OutsideNode(info.into()));
        self
    }

    /// In one process, or each component as its own process.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.0.mode = mode;
        self
    }

    /// With [`Mode::InProcess`], members' sealers prove winning PoSts in
    /// child processes of this binary (`BIN component sealer venus-sealer
    /// post-child`, see `venus_sealer_lib::child`), killed when the miner
    /// gives up on a round, so that an abandoned proof does not hold the
    /// member's cores into the next round. Off by default: it needs this
    /// binary to hand `component` to [`crate::cli::main`], as the
    /// venus-pool binary does (a test binary does not). With
    /// [`Mode::Processes`] the sealers always prove in children.
    pub fn post_child(mut self, yes: bool) -> Self {
        self.0.post_child = yes;
        self
    }

    /// Checks the options.
    pub fn build(self) -> Result<Devnet> {
        let d = self.0;
        if d.members == Some(0) || d.members.is_some_and(|m| m > 100) {
            return Err(PoolError::Invalid("--members must be 1 to 100".into()));
        }
        if d.sectors == Some(0) || d.sectors.is_some_and(|s| s > 64) {
            return Err(PoolError::Invalid("--sectors must be 1 to 64".into()));
        }
        if d.slash_filter.is_some() && d.mode == Mode::Processes {
            return Err(PoolError::Invalid(
                "a custom slash filter lives in this process, so the miner must too: \
                 it needs the in-process mode, not --processes"
                    .into(),
            ));
        }
        if let Some(p) = d.proving_period {
            // Fewer than 3 deadlines leave none that a new sector may be
            // assigned to (one a challenge window or more from opening).
            if !(3..=48).contains(&p.deadlines) || !(3..=2880).contains(&p.challenge_window) {
                return Err(PoolError::Invalid(format!(
                    "a proving period of {} deadlines of {} epochs: need 3 to 48 deadlines (new sectors go to one that is not about to open) of 3 to 2880 epochs",
                    p.deadlines, p.challenge_window
                )));
            }
        }
        if let Some(OutsideNode(info)) = &d.node {
            // With a token, so `TOKEN:/multiaddr` or `TOKEN:URL` (a bare
            // URL parses without one). The error does not quote it: it
            // holds the token.
            let with_token = info
                .parse::<venus_rpc::Endpoint>()
                .is_ok_and(|e| e.token.is_some_and(|t| !t.is_empty()));
            if !with_token {
                return Err(PoolError::Invalid(
                    "--node takes a node's API info with a token that may write: TOKEN:/ip4/HOST/tcp/PORT/http (as Lotus's FULLNODE_API_INFO)".into(),
                ));
            }
        }
        if d.block_time.is_some_and(|t| !(2..=600).contains(&t)) {
            return Err(PoolError::Invalid(
                "--block-time must be 2 to 600 seconds".into(),
            ));
        }
        Ok(d)
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Writes `contents` readable by the owner only.
pub(crate) fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(PoolError::io("writing", path))?;
    // An existing file keeps its mode through `open`: tighten it.
    #[cfg(unix)]
    f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .map_err(PoolError::io("writing", path))?;
    f.write_all(contents)
        .map_err(PoolError::io("writing", path))
}

/// Writes `contents` readable by the owner only, whole or not at all: to
/// a file beside it, then renamed over it, so a reader never sees half.
pub(crate) fn write_private_whole(path: &Path, contents: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    write_private(&tmp, contents)?;
    std::fs::rename(&tmp, path).map_err(PoolError::io("writing", path))
}

/// The wallet callers (token names) of the pool's shared services.
pub(crate) const MINER_CALLER: &str = "venus-pool-miner";
pub(crate) const MESSAGER_CALLER: &str = "venus-pool-messager";

/// Binds the pool's miner to tickets, election proofs and blocks, and its
/// messager to chain messages, in a member's wallet: each signs only what
/// its service asks for, checked against the object.
async fn allow_pool(wallet: &venus_wallet_lib::LocalWallet) -> venus_wallet_lib::Result<()> {
    use venus_core::types::MsgType;
    use venus_wallet_lib::{Policy, PolicyGroup};
    for (caller, types) in [
        (MINER_CALLER, vec![MsgType::DrawRandomParam, MsgType::Block]),
        (MESSAGER_CALLER, vec![MsgType::ChainMsg]),
    ] {
        wallet
            .db()
            .put_policy(&Policy {
                name: caller.into(),
                addresses: Vec::new(),
                msg_types: types,
                methods: Vec::new(),
            })
            .await?;
        wallet
            .db()
            .put_group(&PolicyGroup {
                name: caller.into(),
                policies: vec![caller.into()],
            })
            .await?;
        wallet.db().bind(caller, caller).await?;
    }
    Ok(())
}

/// The members' wallet password: made at the first run, kept in the repo
/// (a devnet's; a real member keeps its own).
pub fn wallet_password(repo: &Path) -> Result<String> {
    let path = repo.join("wallet-password");
    match std::fs::read_to_string(&path) {
        Ok(s) => Ok(s.trim().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(repo).map_err(PoolError::io("creating", repo))?;
            let pw = hex::encode(rand::random::<[u8; 16]>());
            write_private(&path, pw.as_bytes())?;
            Ok(pw)
        }
        Err(e) => Err(PoolError::io("reading", &path)(e)),
    }
}

impl Devnet {
    /// Reads the repo's devnet, or makes it: pre-seals each member's
    /// sectors, puts each worker key in its member's wallet, writes a
    /// funded key and the genesis. `pool.json` is written last, so an
    /// interrupted preparation starts over at the next run.
    pub async fn prepare(&self, prover: &Prover) -> Result<Layout> {
        let file = self.repo.join("pool.json");
        if file.exists() {
            let text = std::fs::read(&file).map_err(PoolError::io("reading", &file))?;
            let pool: PoolFile = serde_json::from_slice(&text)
                .map_err(|e| PoolError::Invalid(format!("{}: {e}", file.display())))?;
            self.check_matches(&pool)?;
            return Ok(Layout {
                repo: self.repo.clone(),
                pool,
            });
        }
        let members = self.members.unwrap_or(2);
        let sectors = self.sectors.unwrap_or(2);
        let block_time = self.block_time.unwrap_or(30);
        let proving_period = self.proving_period.unwrap_or(PROVING_PERIOD);
        let mysql = self.mysql.as_deref().map(SharedDb::new).transpose()?;
        if let Some(m) = &mysql {
            // Reached and writable before minutes of pre-sealing.
            for service in ["auth", "messager", "miner"] {
                m.database(service).await?;
            }
        }
        let mk = |p: &Path| std::fs::create_dir_all(p).map_err(PoolError::io("creating", p));
        mk(&self.repo)?;
        self.claim_repo()?;
        // Left by an interrupted preparation: made again from scratch (a
        // stale miner or messager database would not match the new chain).
        for stale in [
            "members",
            "auth",
            "node",
            "miner",
            "messager",
            "logs",
            "genesis.json",
            "funded.key",
            "api-info.env",
        ] {
            let p = self.repo.join(stale);
            if p.is_dir() {
                std::fs::remove_dir_all(&p).map_err(PoolError::io("removing", &p))?;
            } else if p.exists() {
                std::fs::remove_file(&p).map_err(PoolError::io("removing", &p))?;
            }
        }
        let password = wallet_password(&self.repo)?;
        let prep = |e: &dyn std::fmt::Display| PoolError::Prepare(e.to_string());
        let mut manifests = Vec::new();
        let mut accounts = Vec::new();
        let mut list = Vec::new();
        for i in 0..u64::from(members) {
            let id = FIRST_MINER + i;
            let miner = venus_core::Address::new_id(id).to_string();
            let dir = self.repo.join("members").join(&miner);
            let sectors_dir = dir.join("sectors");
            mk(&sectors_dir)?;
            tracing::info!(target: "venus::pool", %miner, sectors, "pre-sealing");
            let store = LocalSectorStore::new(&sectors_dir);
            let sealed = preseal(
                prover,
                &store,
                &PreSealConfig::new(id, SEAL, sectors),
                &|_, _| {},
            )
            .await
            .map_err(|e| prep(&e))?;
            let key = PrivateKey::generate(SignatureType::BLS);
            let worker = key.address().map_err(|e| prep(&e))?;
            manifests.push(
                PreSealMiner::new(id, &key, SEAL, sealed)
                    .and_then(|m| m.write(&sectors_dir, id))
                    .map_err(|e| prep(&e))?,
            );
            // The worker key goes into the member's wallet, the only
            // service that signs with it.
            let wallet = WalletRepo::open(dir.join("wallet"))
                .map_err(|e| prep(&e))?
                .wallet(KdfParams::PRODUCTION)
                .await
                .map_err(|e| prep(&e))?;
            wallet
                .set_password(None, &password)
                .await
                .map_err(|e| prep(&e))?;
            wallet.add_key(key).await.map_err(|e| prep(&e))?;
            allow_pool(&wallet).await.map_err(|e| prep(&e))?;
            accounts.push(format!("{worker}={WORKER_FIL}"));
            list.push(Member {
                miner,
                worker: worker.to_string(),
            });
        }
        let funded = PrivateKey::generate(SignatureType::Secp256k1);
        let funded_addr = funded.address().map_err(|e| prep(&e))?;
        let export = KeyInfo::from_private_key(&funded)
            .to_lotus_export()
            .map_err(|e| prep(&e))?;
        write_private(&self.repo.join("funded.key"), export.as_bytes())?;
        accounts.push(format!("{funded_addr}={FUNDED_FIL}"));
        let genesis = self.repo.join("genesis.json");
        venus_node::cli::write_genesis_with(
            &genesis,
            &manifests,
            &accounts,
            "venus-pool-devnet".into(),
            block_time,
            // The first epoch is due as soon as the services are up.
            Some(now().saturating_sub(block_time)),
            Some(proving_period),
        )
        .map_err(|e| prep(&e))?;
        // It holds the devnet beacon's secret.
        #[cfg(unix)]
        std::fs::set_permissions(
            &genesis,
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .map_err(PoolError::io("writing", &genesis))?;
        let pool = PoolFile {
            members: list,
            sectors,
            block_time,
            funded: funded_addr.to_string(),
            mysql,
            proving_period,
        };
        let text = serde_json::to_vec_pretty(&pool).map_err(|e| prep(&e))?;
        // Private: the MySQL URL may hold a password.
        write_private_whole(&file, &text)?;
        Ok(Layout {
            repo: self.repo.clone(),
            pool,
        })
    }

    /// Marks the repo as a venus-pool devnet's, refusing a directory that
    /// holds anything else: an interrupted preparation is cleaned up, and
    /// that must never touch files that are not ours.
    fn claim_repo(&self) -> Result<()> {
        let marker = self.repo.join(MARKER);
        if marker.exists() {
            return Ok(());
        }
        let entries =
            std::fs::read_dir(&self.repo).map_err(PoolError::io("reading", &self.repo))?;
        let foreign: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "wallet-password")
            .collect();
        if !foreign.is_empty() {
            return Err(PoolError::Invalid(format!(
                "{} is not empty and is not a venus-pool repo (it holds {}): give an empty or new --repo",
                self.repo.display(),
                foreign.join(", ")
            )));
        }
        std::fs::write(&marker, b"venus-pool devnet\n").map_err(PoolError::io("writing", &marker))
    }

    /// A second run continues the repo's devnet: options that disagree
    /// with it are refused rather than silently ignored.
    fn check_matches(&self, pool: &PoolFile) -> Result<()> {
        let differs = |what: &str, given: Option<u64>, kept: u64| {
            match given {
            Some(g) if g != kept => Err(PoolError::Invalid(format!(
                "{} holds a devnet with {what} {kept}, not {g}: leave the option out to continue it, or use another --repo",
                self.repo.display()
            ))),
            _ => Ok(()),
        }
        };
        differs(
            "members",
            self.members.map(u64::from),
            pool.members.len() as u64,
        )?;
        differs("sectors", self.sectors, pool.sectors)?;
        differs("block time", self.block_time, pool.block_time)?;
        if let Some(p) = self.proving_period.filter(|p| *p != pool.proving_period) {
            return Err(PoolError::Invalid(format!(
                "{} holds a devnet with a proving period of {}x{}, not {}x{}: leave the option out to continue it, or use another --repo",
                self.repo.display(),
                pool.proving_period.deadlines,
                pool.proving_period.challenge_window,
                p.deadlines,
                p.challenge_window
            )));
        }
        // The URL may hold a password: not repeated.
        match (&self.mysql, &pool.mysql) {
            (Some(_), None) => Err(PoolError::Invalid(format!(
                "{} holds a devnet whose services keep SQLite databases: leave --mysql out to continue it, or use another --repo",
                self.repo.display()
            ))),
            (Some(given), Some(kept)) if *given != kept.server => Err(PoolError::Invalid(format!(
                "{} holds a devnet on another MySQL server URL: leave --mysql out to continue it on its own, or use another --repo",
                self.repo.display()
            ))),
            _ => Ok(()),
        }
    }
}
