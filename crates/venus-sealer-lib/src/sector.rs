//! [`SectorRef`]: which sector of which miner.
//!
//! It sits apart from the other [`types`](crate::types) because
//! [`SealerError`](crate::SealerError) names sectors: the error imports it, and
//! the fallible helpers in `types` import the error, so the arrows go one way.

use std::fmt;

use serde::{Deserialize, Serialize};
use venus_core::shared::sector::SectorNumber;
use venus_core::shared::ActorID;

/// One sector of one miner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SectorRef {
    /// The miner's actor id (`1000` for `t01000`).
    pub miner: ActorID,
    /// The sector number.
    pub number: SectorNumber,
}

impl SectorRef {
    /// The sector `number` of miner `miner`.
    pub fn new(miner: ActorID, number: SectorNumber) -> Self {
        Self { miner, number }
    }
}

/// Lotus's file name for a sector: `s-t01000-1`.
impl fmt::Display for SectorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s-t0{}-{}", self.miner, self.number)
    }
}
