//! `venus-worker`: runs a sealer's tasks (see `venus_sealer_lib::cli::pipeline`).

use clap::Parser;
use venus_sealer_lib::cli::pipeline::{worker_main, WorkerCli};

fn main() {
    venus_daemon::init_tracing("info");
    // Not #[tokio::main]: the parameter cache sets environment variables, which
    // must happen before the runtime's threads exist.
    if let Err(e) = worker_main(WorkerCli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
