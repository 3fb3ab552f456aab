//! `venus`: the pool's devnet chain node and its CLI (see `venus_node::cli`).

use std::sync::Arc;

use clap::Parser;
use venus_node::cli::{run, Cli};
use venus_sealer_lib::params::ParamCache;
use venus_sealer_lib::{PostVerifier, ProofPool, Prover};

fn main() {
    venus_daemon::init_tracing("info");
    let cli = Cli::parse();
    // The parameter cache is opened before the runtime starts threads.
    let result = ParamCache::from_env()
        .map_err(|e| e.to_string())
        .and_then(|params| {
            let prover = Prover::new(Arc::new(params), ProofPool::default());
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let post = Arc::new(PostVerifier::new(prover.clone()));
            runtime
                .block_on(run(cli, Arc::new(prover), post))
                .map_err(|e| e.to_string())
        });
    venus_daemon::exit(result)
}
