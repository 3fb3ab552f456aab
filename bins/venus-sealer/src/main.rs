//! `venus-sealer`: Groth parameters, pre-seal, a proof check, and the sealer daemon with its client commands (see `venus_sealer_lib::cli`).

use clap::Parser;
use venus_sealer_lib::cli::{main as run, Cli};

fn main() {
    venus_daemon::init_tracing("warn");
    // Not #[tokio::main]: the parameter cache sets environment variables, which
    // must happen before the runtime's threads exist.
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
