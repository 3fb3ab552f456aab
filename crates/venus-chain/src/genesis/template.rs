//! Lotus's genesis JSON, read: the genesis template (`genesis.Template`,
//! `genesis/types.go`, as `lotus-seed genesis new` writes it) and the
//! pre-seal manifests (`pre-seal-t01000.json`, a map of miner address to
//! `genesis.Miner`, as `lotus-seed pre-seal` and venus-sealer write them).
//! What a genesis needs from them becomes a [`GenesisBuilder`]; the rest
//! (deal proposals, deal client keys, market and power balances, the
//! verified-registry root key, the remainder account) is read and left
//! aside, as our genesis does not use it.

use std::collections::BTreeMap;

use cid::Cid;
use fvm_shared::address::Address;
use fvm_shared::econ::TokenAmount;
use fvm_shared::sector::RegisteredSealProof;
use serde::Deserialize;
use venus_core::json::lotus_json;

use super::{GenesisBuilder, GenesisMiner, GenesisSector, MINER_START};
use crate::error::{ChainError, Result};

fn err(msg: impl Into<String>) -> ChainError {
    ChainError::Genesis(msg.into())
}

/// `genesis.Template`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Template {
    /// The accounts, in ID order from f0100.
    #[serde(default)]
    pub accounts: Vec<TemplateActor>,
    /// The miners, in ID order from f01000.
    #[serde(default)]
    pub miners: Vec<TemplateMiner>,
    /// The network's name.
    pub network_name: String,
    /// The genesis block's time (seconds).
    #[serde(default)]
    pub timestamp: u64,
}

/// `genesis.Actor` (only accounts are supported).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TemplateActor {
    /// `account` or `multisig`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Its balance, attoFIL.
    #[serde(with = "lotus_json")]
    pub balance: TokenAmount,
    /// `{"Owner": "t3…"}` for an account.
    pub meta: serde_json::Value,
}

/// `genesis.Miner`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TemplateMiner {
    /// Its address, `t01000` for the first.
    #[serde(rename = "ID", with = "lotus_json")]
    pub id: Address,
    /// The key that pays for it.
    #[serde(with = "lotus_json")]
    pub owner: Address,
    /// Its worker (and, as Lotus sets it, owner) key.
    #[serde(with = "lotus_json")]
    pub worker: Address,
    /// Its libp2p peer ID, base58btc.
    pub peer_id: String,
    /// Its sector size in bytes.
    pub sector_size: u64,
    /// Its pre-sealed sectors.
    pub sectors: Vec<TemplatePreSeal>,
}

/// `genesis.PreSeal`.
#[derive(Debug, Clone, Deserialize)]
pub struct TemplatePreSeal {
    /// CommR.
    #[serde(rename = "CommR", with = "lotus_json")]
    pub comm_r: Cid,
    /// CommD.
    #[serde(rename = "CommD", with = "lotus_json")]
    pub comm_d: Cid,
    /// The sector number.
    #[serde(rename = "SectorID")]
    pub sector_id: u64,
    /// The seal proof type, as its registered number.
    #[serde(rename = "ProofType")]
    pub proof_type: i64,
}

/// The miners of a pre-seal manifest (`{"t01000": {...}}`), in address order.
pub fn read_preseal_manifest(json: &[u8]) -> Result<Vec<TemplateMiner>> {
    let all: BTreeMap<String, TemplateMiner> =
        serde_json::from_slice(json).map_err(|e| err(format!("pre-seal manifest: {e}")))?;
    Ok(all.into_values().collect())
}

impl TryFrom<&TemplateMiner> for GenesisMiner {
    type Error = ChainError;

    fn try_from(m: &TemplateMiner) -> Result<Self> {
        let (_, peer_id) = cid::multibase::decode(format!("z{}", m.peer_id))
            .map_err(|e| err(format!("miner {}: peer ID {:?}: {e}", m.id, m.peer_id)))?;
        let sectors = m
            .sectors
            .iter()
            .map(|s| {
                let proof = RegisteredSealProof::from(s.proof_type);
                if let RegisteredSealProof::Invalid(n) = proof {
                    return Err(err(format!("miner {}: unknown seal proof type {n}", m.id)));
                }
                let size = proof
                    .sector_size()
                    .map_err(|e| err(format!("miner {}: {e}", m.id)))?;
                if size as u64 != m.sector_size {
                    return Err(err(format!(
                        "miner {}: sector {} is sealed for {} bytes, the miner's size is {}",
                        m.id, s.sector_id, size as u64, m.sector_size
                    )));
                }
                Ok(GenesisSector {
                    number: s.sector_id,
                    proof,
                    sealed_cid: s.comm_r,
                })
            })
            .collect::<Result<_>>()?;
        Ok(GenesisMiner {
            owner: m.owner,
            worker: m.worker,
            peer_id,
            sectors,
        })
    }
}

impl GenesisBuilder {
    /// A builder for Lotus's genesis template: its network name, time,
    /// accounts and miners (whose addresses must be f01000 onwards, in
    /// order, as Lotus requires).
    pub fn from_template(t: &Template) -> Result<Self> {
        let mut b = GenesisBuilder::new(t.network_name.clone()).timestamp(t.timestamp);
        for a in &t.accounts {
            if a.kind != "account" {
                return Err(err(format!(
                    "genesis actor of type {:?}: only accounts are supported",
                    a.kind
                )));
            }
            let owner = a
                .meta
                .get("Owner")
                .and_then(|o| o.as_str())
                .ok_or_else(|| err("an account without an Owner"))?;
            let owner = venus_core::address::parse(owner)
                .map_err(|e| err(format!("account owner {owner:?}: {e}")))?;
            b = b.account(owner, a.balance.clone());
        }
        b.add_template_miners(&t.miners)
    }

    /// Adds the miners of a template or manifest, checking their IDs.
    pub fn add_template_miners(mut self, miners: &[TemplateMiner]) -> Result<Self> {
        for (i, m) in miners.iter().enumerate() {
            let expected = Address::new_id(MINER_START + self.miners.len() as u64);
            if m.id != expected {
                return Err(err(format!("miner {i} is {}, expected {expected}", m.id)));
            }
            let miner = GenesisMiner::try_from(m)?;
            self = self.miner(miner);
        }
        Ok(self)
    }
}
