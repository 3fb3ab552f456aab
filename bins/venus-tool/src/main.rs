//! `venus-tool`: decode, hash and verify what you see on chain.
//!
//! Input and output are Lotus JSON (or CBOR hex where a flag says so). The
//! exit code is non-zero when a check fails, and the error says why.

mod args;
mod commands;

use args::{AddressCmd, BeaconCmd, BlockCmd, MessageCmd, WinCountArgs};
use clap::{Parser, Subcommand};

/// Operator's toolbox for Filecoin chain data (compare `lotus-shed`).
#[derive(Parser)]
#[command(name = "venus-tool", version, about)]
struct Cli {
    /// Print addresses with the testnet prefix (t) instead of mainnet (f).
    #[arg(long, global = true)]
    testnet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Address inspection.
    #[command(subcommand)]
    Address(AddressCmd),
    /// Message CIDs and signatures.
    #[command(subcommand)]
    Message(MessageCmd),
    /// Block CIDs and the signatures and VRFs a header carries.
    #[command(subcommand)]
    Block(BlockCmd),
    /// drand beacon entries.
    #[command(subcommand)]
    Beacon(BeaconCmd),
    /// Lotus's WinCount for a VRF proof and a power ratio.
    Wincount(WinCountArgs),
    /// Build, sign and verify a message with fresh keys: a self-check of the install.
    Demo,
}

fn main() {
    let cli = Cli::parse();
    if cli.testnet {
        venus_core::address::set_current_network(venus_core::address::Network::Testnet);
    }
    let result = match cli.command {
        Command::Address(c) => commands::address(c),
        Command::Message(c) => commands::message(c),
        Command::Block(c) => commands::block(c),
        Command::Beacon(c) => commands::beacon(c),
        Command::Wincount(a) => commands::wincount(a),
        Command::Demo => commands::demo(),
    };
    match result {
        Ok(out) => commands::emit(&out),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
