//! `venus-sealer`: Groth parameters, pre-seal and a proof check (see `venus_sealer_lib::cli`).

use clap::Parser;
use venus_sealer_lib::cli::{main as run, Cli};

fn main() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    // Not #[tokio::main]: the parameter cache sets environment variables, which
    // must happen before the runtime's threads exist.
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
