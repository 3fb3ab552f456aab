//! `venus-miner`: the pool's block producer and its CLI (see `venus_miner_lib::cli`).

use clap::Parser;
use venus_miner_lib::cli::{run, Cli};

#[tokio::main]
async fn main() {
    venus_daemon::init_tracing("info");
    venus_daemon::exit(run(Cli::parse()).await)
}
