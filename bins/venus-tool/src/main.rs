//! `venus-tool`: decode, hash and verify what you see on chain.
//!
//! Input and output are Lotus JSON (or CBOR hex where a flag says so). The
//! exit code is non-zero when a check fails, and the error says why.

mod args;
mod commands;

use clap::Parser;

fn main() {
    match commands::run(args::Cli::parse()) {
        Ok(out) => commands::emit(&out),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
