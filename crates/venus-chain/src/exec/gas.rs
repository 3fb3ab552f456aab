//! Execution gas for what the executor models.
//!
//! Our executor runs builtin-actor methods natively, not as WASM, so it
//! cannot meter instructions. It charges the state operations a call
//! makes (calls, actor lookups and updates, address resolution, and every
//! block an actor reads or writes, which a metered store counts), at
//! ref-fvm's prices for network versions 25 to 28
//! (`fvm/src/gas/price_list.rs`, `WATERMELON_PRICES`, which `TEEP_PRICES`
//! keeps), and nothing for the actor code itself. A plain send is charged
//! what the FVM charges for one; a method call costs at least as much as
//! its state operations, and less than on Lotus by the WASM it would run.
//! The inclusion cost ([`on_chain_message_gas`]) is exact.
//!
//! [`on_chain_message_gas`]: venus_core::gas::on_chain_message_gas

/// Resolving a non-ID address through the init actor (`address_lookup`).
pub const ADDRESS_LOOKUP: u64 = 1_050_000;
/// Giving an address an ID (`address_assignment`).
pub const ADDRESS_ASSIGNMENT: u64 = 1_000_000;
/// Loading an actor that is not preloaded (`actor_lookup`).
pub const ACTOR_LOOKUP: u64 = 500_000;
/// Writing an actor's balance or state (`actor_update`).
pub const ACTOR_UPDATE: u64 = 475_000;
/// Storing a new actor (`actor_create_storage`).
pub const ACTOR_CREATE: u64 = 650_000;
/// Moving value (`send_transfer_funds`).
pub const TRANSFER_FUNDS: u64 = 6_000;
/// Invoking a method (`send_invoke_method`).
pub const INVOKE_METHOD: u64 = 75_000;
/// Storing a top-level return value on chain, per byte
/// (`on_chain_return_storage`).
pub const RETURN_PER_BYTE: u64 = 1_300;

/// Reading a block: `block_open` and the link check (ref-fvm
/// `on_block_open_base`).
pub const BLOCK_READ: u64 = 187_440 + 300;
/// Reading a block, per byte: its memory retention (`on_block_open`).
pub const BLOCK_READ_PER_BYTE: u64 = 10;
/// Writing a block: the link, its deferred compute and its storage
/// (`on_block_link`: 300 + 172,000 + 334,000).
pub const BLOCK_WRITE: u64 = 300 + 172_000 + 334_000;
/// Writing a block, per byte: storage (3,340) and memory retention (10).
pub const BLOCK_WRITE_PER_BYTE: u64 = 3_340 + 10;

/// Drawing randomness (`on_get_randomness`: the `lookback_cost` of
/// 5,800 × 19 + 15,000 + 21,000) ...
pub const RANDOMNESS: u64 = 5_800 * 19 + 15_000 + 21_000;
/// ... and per epoch looked back.
pub const RANDOMNESS_PER_EPOCH: u64 = 75;
/// Verifying one seal proof (`verify_seal_base`, nv25's `TEEP_PRICES`).
pub const VERIFY_SEAL: u64 = 42_000_000;
/// Verifying a window PoSt (`verify_post_lookup`; sizes the table lacks,
/// 2 KiB among them, cost what 512 MiB does).
pub const VERIFY_POST: u64 = 117_680_921;
/// Verifying a window PoSt, per challenged sector.
pub const VERIFY_POST_PER_SECTOR: u64 = 43_780;
/// Computing a CommD from pieces (`compute_unsealed_sector_cid_base`).
pub const COMPUTE_UNSEALED_CID: u64 = 98_647;

/// Actors the FVM keeps loaded (FIP-0055): no lookup charge.
pub fn preloaded(id: u64) -> bool {
    matches!(id, 0..=7 | 10 | 99)
}

/// Gas left to spend on one message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GasTracker {
    limit: u64,
    used: u64,
}

/// The message ran out of gas.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutOfGas;

impl GasTracker {
    pub(crate) fn new(limit: u64, used: u64) -> Self {
        GasTracker { limit, used }
    }

    pub(crate) fn charge(&mut self, gas: u64) -> Result<(), OutOfGas> {
        let used = self.used.saturating_add(gas);
        if used > self.limit {
            self.used = self.limit;
            return Err(OutOfGas);
        }
        self.used = used;
        Ok(())
    }

    pub(crate) fn used(&self) -> u64 {
        self.used
    }
}
