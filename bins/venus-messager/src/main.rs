//! `venus-messager`: the pool's message manager and its CLI (see
//! `venus_messager_lib::cli`).

use clap::Parser;
use venus_messager_lib::cli::{run, Cli};

#[tokio::main]
async fn main() {
    venus_daemon::init_tracing("info");
    venus_daemon::exit(run(Cli::parse()).await)
}
