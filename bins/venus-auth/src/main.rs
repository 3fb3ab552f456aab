//! `venus-auth`: the pool's auth daemon and its CLI (see `venus_auth_lib::cli`).

use clap::Parser;
use venus_auth_lib::cli::{run, Cli};

#[tokio::main]
async fn main() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(serde_json::Value::Null) => {}
        Ok(out) => println!("{out:#}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
