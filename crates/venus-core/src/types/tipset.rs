//! Tipsets and their keys.

use std::fmt;

use cid::Cid;
use fvm_shared::clock::ChainEpoch;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{BlockHeader, Ticket};
use crate::json::{lotus_json, CidJson, LotusJson};
use crate::{Error, Result};

/// The ordered CIDs of a tipset's blocks.
///
/// In JSON it is a CID array; in CBOR, as in Lotus, one byte string holding
/// the CIDs' bytes back to back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct TipSetKey(Vec<Cid>);

impl TipSetKey {
    /// A key from block CIDs, in tipset order.
    pub fn new(cids: Vec<Cid>) -> Self {
        TipSetKey(cids)
    }

    /// The block CIDs.
    pub fn cids(&self) -> &[Cid] {
        &self.0
    }

    /// Whether the key is empty (Lotus's "current head" in API calls).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The CIDs' bytes back to back, Lotus's CBOR payload for a key.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|c| c.to_bytes()).collect()
    }

    /// Parses concatenated CID bytes.
    pub fn from_bytes(mut bytes: &[u8]) -> Result<Self> {
        let mut cids = Vec::new();
        while !bytes.is_empty() {
            let cid = Cid::read_bytes(&mut bytes)?;
            cids.push(cid);
        }
        Ok(TipSetKey(cids))
    }
}

impl fmt::Display for TipSetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|c| c.to_string()).collect();
        write!(f, "{{{}}}", parts.join(","))
    }
}

impl Serialize for TipSetKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_bytes::Bytes::new(&self.to_bytes()).serialize(s)
    }
}

impl<'de> Deserialize<'de> for TipSetKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = serde_bytes::ByteBuf::deserialize(d)?;
        TipSetKey::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

impl LotusJson for TipSetKey {
    type Json = Option<Vec<CidJson>>;
    fn to_lotus_json(&self) -> Self::Json {
        self.0.to_lotus_json()
    }
    fn from_lotus_json(json: Self::Json) -> Result<Self, String> {
        Vec::<Cid>::from_lotus_json(json).map(TipSetKey)
    }
}

/// A set of blocks at one height with the same parents, ordered as Lotus orders them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipSet {
    blocks: Vec<BlockHeader>,
    key: TipSetKey,
}

impl TipSet {
    /// Builds a tipset, checking that the blocks share height, parents and
    /// parent state root, and sorting them by ticket digest (ties by CID bytes).
    pub fn new(mut blocks: Vec<BlockHeader>) -> Result<Self> {
        let first = blocks
            .first()
            .ok_or_else(|| Error::InvalidTipSet("no blocks".into()))?
            .clone();
        for b in &blocks[1..] {
            if b.height != first.height {
                return Err(Error::InvalidTipSet(format!(
                    "heights differ: {} and {}",
                    first.height, b.height
                )));
            }
            if b.parents != first.parents {
                return Err(Error::InvalidTipSet("parents differ".into()));
            }
            if b.parent_state_root != first.parent_state_root {
                return Err(Error::InvalidTipSet("parent state roots differ".into()));
            }
        }
        let mut keyed = blocks
            .drain(..)
            .map(|b| Ok((sort_key(&b)?, b)))
            .collect::<Result<Vec<_>>>()?;
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        if keyed.windows(2).any(|w| w[0].0 .1 == w[1].0 .1) {
            return Err(Error::InvalidTipSet("duplicate block".into()));
        }
        let key = TipSetKey(keyed.iter().map(|(k, _)| k.2).collect());
        let blocks = keyed.into_iter().map(|(_, b)| b).collect();
        Ok(TipSet { blocks, key })
    }

    /// The blocks, in tipset order.
    pub fn blocks(&self) -> &[BlockHeader] {
        &self.blocks
    }

    /// The key (block CIDs in order).
    pub fn key(&self) -> &TipSetKey {
        &self.key
    }

    /// The epoch.
    pub fn height(&self) -> ChainEpoch {
        self.blocks[0].height
    }

    /// The parents' key.
    pub fn parents(&self) -> TipSetKey {
        self.blocks[0].parents_key()
    }

    /// The parent state root.
    pub fn parent_state(&self) -> Cid {
        self.blocks[0].parent_state_root
    }

    /// The smallest ticket, which seeds the next epoch's tickets.
    pub fn min_ticket(&self) -> Option<&Ticket> {
        self.blocks[0].ticket.as_ref()
    }

    /// The smallest timestamp of the tipset's blocks.
    pub fn min_timestamp(&self) -> u64 {
        self.blocks.iter().map(|b| b.timestamp).min().unwrap_or(0)
    }
}

/// (ticket digest, CID bytes, CID): Lotus's `tipsetSortFunc` order.
fn sort_key(b: &BlockHeader) -> Result<([u8; 32], Vec<u8>, Cid)> {
    let digest = b.ticket.as_ref().map(Ticket::digest).unwrap_or_default();
    let cid = b.cid()?;
    Ok((digest, cid.to_bytes(), cid))
}

/// Lotus JSON of a [`TipSet`]: `{Cids, Blocks, Height}`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TipSetJson {
    #[serde(with = "lotus_json")]
    cids: TipSetKey,
    #[serde(with = "lotus_json")]
    blocks: Vec<BlockHeader>,
    height: ChainEpoch,
}

impl LotusJson for TipSet {
    type Json = TipSetJson;
    fn to_lotus_json(&self) -> TipSetJson {
        TipSetJson {
            cids: self.key.clone(),
            blocks: self.blocks.clone(),
            height: self.height(),
        }
    }
    fn from_lotus_json(j: TipSetJson) -> Result<Self, String> {
        let ts = TipSet::new(j.blocks).map_err(|e| e.to_string())?;
        if ts.key != j.cids {
            return Err(format!(
                "tipset Cids {} do not match its blocks {}",
                j.cids, ts.key
            ));
        }
        if ts.height() != j.height {
            return Err(format!(
                "tipset Height {} does not match its blocks",
                j.height
            ));
        }
        Ok(ts)
    }
}
