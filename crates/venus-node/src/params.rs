//! Answers built from the network's parameters and actor state in Lotus's
//! shapes: `StateGetNetworkParams`, `StateGetBeaconEntry`, `StateMinerInfo`.

use fil_actor_miner_state::v17::MinerInfo as ActorMinerInfo;
use fvm_ipld_blockstore::Blockstore;
use venus_api::lotus::{BeneficiaryTerm, Bytes, MinerInfo, NetworkParams};
use venus_core::types::BeaconEntry;
use venus_core::ChainEpoch;

use crate::error::{NodeError, Result};
use crate::node::Node;

/// Lotus's 2k devnet EVM chain id (`build/buildconstants/params_2k.go`).
pub const DEVNET_EIP155_CHAIN_ID: u64 = 31415926;

/// Lotus's upgrade names, in order. A devnet starts at its network
/// version, so every upgrade stands at -1 as a Lotus devnet writes them
/// when they are active from genesis.
const UPGRADES: &[&str] = &[
    "UpgradeSmokeHeight",
    "UpgradeBreezeHeight",
    "UpgradeIgnitionHeight",
    "UpgradeLiftoffHeight",
    "UpgradeAssemblyHeight",
    "UpgradeRefuelHeight",
    "UpgradeTapeHeight",
    "UpgradeKumquatHeight",
    "BreezeGasTampingDuration",
    "UpgradeCalicoHeight",
    "UpgradePersianHeight",
    "UpgradeOrangeHeight",
    "UpgradeClausHeight",
    "UpgradeTrustHeight",
    "UpgradeNorwegianHeight",
    "UpgradeTurboHeight",
    "UpgradeHyperdriveHeight",
    "UpgradeChocolateHeight",
    "UpgradeOhSnapHeight",
    "UpgradeSkyrHeight",
    "UpgradeSharkHeight",
    "UpgradeHyggeHeight",
    "UpgradeLightningHeight",
    "UpgradeThunderHeight",
    "UpgradeWatermelonHeight",
    "UpgradeDragonHeight",
    "UpgradePhoenixHeight",
    "UpgradeWaffleHeight",
    "UpgradeTuktukHeight",
    "UpgradeTeepHeight",
    "UpgradeTockHeight",
    "UpgradeGoldenWeekHeight",
    "UpgradeFireHorseHeight",
    "UpgradeXxHeight",
];

/// `StateGetNetworkParams` for the node's network.
pub fn network_params<BS: Blockstore + Send + Sync + 'static>(n: &Node<BS>) -> NetworkParams {
    let p = n.consensus().params();
    let fork_upgrade_params = UPGRADES
        .iter()
        .map(|name| {
            // Lotus's devnet writes 0 for the gas tamping duration.
            let v = if *name == "BreezeGasTampingDuration" {
                0
            } else {
                -1
            };
            (name.to_string(), serde_json::Value::from(v))
        })
        .collect();
    NetworkParams {
        network_name: n.network_name().to_string(),
        block_delay_secs: p.clock.block_delay,
        consensus_miner_min_power: p.policy.minimum_consensus_power.clone(),
        pre_commit_challenge_delay: p.policy.pre_commit_challenge_delay,
        fork_upgrade_params,
        eip155_chain_id: DEVNET_EIP155_CHAIN_ID,
        genesis_timestamp: p.clock.genesis_time,
    }
}

/// `StateGetBeaconEntry`: the last beacon round a block at `epoch`
/// carries. As Lotus waits for a round drand has not published yet, a
/// round whose time has not come is waited for (up to 10 minutes); the
/// devnet beacon could sign it at once, but that would hand out
/// randomness before its time.
pub async fn beacon_entry<BS: Blockstore + Send + Sync + 'static>(
    n: &Node<BS>,
    epoch: ChainEpoch,
) -> Result<BeaconEntry> {
    let params = n.consensus().params();
    let drand = n.beacon().network();
    let round = params.clock.max_beacon_round(drand, epoch);
    let due = drand
        .genesis_time
        .saturating_add(round.saturating_sub(1).saturating_mul(drand.period));
    let now = n.now();
    if due > now {
        let wait = due - now;
        if wait > 600 {
            return Err(NodeError::Invalid(format!(
                "beacon round {round} for epoch {epoch} is {wait} s away"
            )));
        }
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    }
    Ok(n.beacon().entry(round)?)
}

/// `StateMinerInfo` from the actor's info.
pub fn miner_info(info: &ActorMinerInfo) -> MinerInfo {
    let peer_id = (!info.peer_id.is_empty()).then(|| {
        // A libp2p peer id is the base58btc of its multihash bytes.
        let z = multibase::encode(multibase::Base::Base58Btc, &info.peer_id);
        z.trim_start_matches('z').to_string()
    });
    MinerInfo {
        owner: info.owner,
        worker: info.worker,
        new_worker: info.pending_worker_key.as_ref().map(|k| k.new_worker),
        control_addresses: info.control_addresses.clone(),
        worker_change_epoch: info
            .pending_worker_key
            .as_ref()
            .map_or(-1, |k| k.effective_at),
        peer_id,
        multiaddrs: info
            .multi_address
            .iter()
            .map(|a| Bytes(a.0.clone()))
            .collect(),
        window_po_st_proof_type: i64::from(info.window_post_proof_type),
        sector_size: info.sector_size as u64,
        window_po_st_partition_sectors: info.window_post_partition_sectors,
        consensus_fault_elapsed: info.consensus_fault_elapsed,
        pending_owner_address: info.pending_owner_address,
        beneficiary: info.beneficiary,
        beneficiary_term: BeneficiaryTerm {
            quota: info.beneficiary_term.quota.clone(),
            used_quota: info.beneficiary_term.used_quota.clone(),
            expiration: info.beneficiary_term.expiration,
        },
        pending_beneficiary_term: info.pending_beneficiary_term.as_ref().map(|p| {
            serde_json::json!({
                "NewBeneficiary": p.new_beneficiary.to_string(),
                "NewQuota": p.new_quota.atto().to_string(),
                "NewExpiration": p.new_expiration,
                "ApprovedByBeneficiary": p.approved_by_beneficiary,
                "ApprovedByNominee": p.approved_by_nominee,
            })
        }),
    }
}
