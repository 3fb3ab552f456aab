//! `venus-pool`: the whole pool on one command (see `venus_pool_lib::cli`).

use clap::Parser;
use venus_pool_lib::cli::{main as run, Cli};

fn main() {
    // Not #[tokio::main]: the wallet password and the parameter cache set
    // environment variables, which must happen before the runtime's threads exist.
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
