//! `venus-wallet`: the miner-side wallet daemon and its CLI (see `venus_wallet_lib::cli`).

use clap::Parser;
use venus_wallet_lib::cli::{run, Cli};

#[tokio::main]
async fn main() {
    venus_daemon::init_tracing("info");
    venus_daemon::exit(run(Cli::parse()).await)
}
