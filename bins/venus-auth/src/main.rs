//! `venus-auth`: the pool's auth daemon and its CLI (see `venus_auth_lib::cli`).

use clap::Parser;
use venus_auth_lib::cli::{run, Cli};

#[tokio::main]
async fn main() {
    venus_daemon::init_tracing("info");
    venus_daemon::exit(run(Cli::parse()).await)
}
