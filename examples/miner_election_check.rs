//! A miner talking to a node by its Lotus API info: for each of the last
//! epochs, the election the pool's miner runs for a member (base info from
//! the node, ticket and election VRFs signed by the member's own wallet,
//! WinCount), set beside the blocks the chain holds. It makes no block, so
//! it runs beside a live pool (or against a Lotus or Venus node) without
//! mining anything twice; `venus_miner_lib::Miner` is the same election
//! with the winning PoSt, the block, the slash filter and the submit.
//!
//! ```sh
//! set -a && . ~/.venus-pool/api-info.env && set +a   # from `venus-pool devnet`
//! # A token of the member's wallet whose caller may sign tickets and
//! # election proofs (the devnet's wallets allow `venus-pool-miner`), at the
//! # wallet's address (PORT as in WALLET_API_INFO_f01000):
//! cargo run -q -p venus-wallet -- --repo ~/.venus-pool/members/f01000/wallet \
//!     api-info --name venus-pool-miner --listen 127.0.0.1:PORT
//! export WALLET_API_INFO=…                            # what it printed
//! cargo run -p venus-examples --example miner_election_check -- f01000 [EPOCHS]
//! ```
//! The node is reached by `FULLNODE_API_INFO`; any token that reads it
//! will do (a member's `MEMBER_TOKEN_<miner>`, say). It exits non-zero if
//! the chain holds a block of the miner at an epoch the election says it
//! lost, which no valid chain does.

use std::collections::BTreeSet;
use std::sync::Arc;

use venus_api::lotus::LotusClient;
use venus_api::wallet::WalletClient;
use venus_core::traits::ChainRead;
use venus_core::Address;
use venus_pool_lib::miner::round::{elect, OneSigner};
use venus_rpc::RpcClient;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [miner, rest @ ..] = args.as_slice() else {
        return Err("usage: miner_election_check MINER [EPOCHS]".into());
    };
    let miner: Address = miner.parse().map_err(|e| format!("MINER {miner:?}: {e}"))?;
    let epochs: i64 = rest.first().map_or(Ok(10), |v| v.parse())?;
    let var = |name: &str| {
        std::env::var(name).map_err(|_| format!("set {name} (see this example's doc)"))
    };
    let (node, wallet) = (var("FULLNODE_API_INFO")?, var("WALLET_API_INFO")?);
    tokio::runtime::Runtime::new()?.block_on(check(&node, &wallet, miner, epochs.max(1)))
}

async fn check(node: &str, wallet: &str, miner: Address, epochs: i64) -> Result<(), Error> {
    let node = LotusClient::connect(node).await?;
    let signer = OneSigner(Arc::new(WalletClient::new(
        RpcClient::connect(wallet).await?,
    )));
    let head = node.head().await?;
    let last = head.height();
    let first = (last - epochs + 1).max(1);
    let (mut won, mut mined) = (BTreeSet::new(), BTreeSet::new());
    for round in first..=last {
        // The base a block of `round` builds on: the tipset below it.
        let base = node.tipset_by_height(round - 1, head.key()).await?;
        if let Some((_, _, proof, _)) = elect(&node, &signer, &miner, &base, round).await? {
            println!("{miner} won epoch {round} (WinCount {})", proof.win_count);
            won.insert(round);
        }
        let at = node.tipset_by_height(round, head.key()).await?;
        if at.height() == round && at.blocks().iter().any(|b| b.miner == miner) {
            mined.insert(round);
        }
    }
    let missed: Vec<_> = won.difference(&mined).collect();
    println!(
        "{miner} over epochs {first}..={last}: won {} epochs, has {} blocks on chain; won but no block on chain: {missed:?}",
        won.len(),
        mined.len()
    );
    let invalid: Vec<_> = mined.difference(&won).collect();
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(format!("blocks of {miner} on chain at epochs its election lost: {invalid:?}").into())
    }
}
