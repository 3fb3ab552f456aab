//! Command-line arguments of the subcommands.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `address …`
#[derive(Subcommand)]
pub enum AddressCmd {
    /// Protocol, payload and bytes of an address (f… or t…).
    Decode {
        /// The address.
        address: String,
    },
}

/// `message …`
#[derive(Subcommand)]
pub enum MessageCmd {
    /// CID of a Message or SignedMessage (Lotus JSON from FILE or -), or of `--cbor-hex`.
    Cid(InputArgs),
    /// Whether a SignedMessage's signature is valid for its From.
    Verify {
        /// Lotus JSON file, or - for stdin.
        input: String,
    },
}

/// `block …`
#[derive(Subcommand)]
pub enum BlockCmd {
    /// CID of a BlockHeader (Lotus JSON from FILE or -), or of `--cbor-hex`.
    Cid(InputArgs),
    /// Check a header's block signature, election proof VRF and ticket VRF
    /// (and, with `--drand`, its beacon entries).
    Verify(BlockVerifyArgs),
}

/// A JSON input, or CBOR hex instead.
#[derive(Args)]
pub struct InputArgs {
    /// Lotus JSON file, or - for stdin.
    #[arg(required_unless_present = "cbor_hex")]
    pub input: Option<String>,
    /// The object's DAG-CBOR as hex, instead of JSON.
    #[arg(long, conflicts_with = "input")]
    pub cbor_hex: Option<String>,
}

/// `block verify` arguments.
#[derive(Args)]
pub struct BlockVerifyArgs {
    /// Lotus JSON file of the header, or - for stdin.
    pub input: String,
    /// The miner's worker key (an f3 address).
    #[arg(long)]
    pub worker: String,
    /// The beacon entry before this block (Lotus JSON), used when the header carries none.
    #[arg(long)]
    pub prev_beacon: Option<String>,
    /// The parent tipset's minimum ticket (hex), appended to the ticket entropy.
    #[arg(long)]
    pub parent_ticket: Option<String>,
    /// Also check that the header's beacon entries verify on this drand
    /// chain, following `--prev-beacon`.
    #[arg(long, value_enum, requires = "prev_beacon")]
    pub drand: Option<DrandChoice>,
}

/// `beacon …`
#[derive(Subcommand)]
pub enum BeaconCmd {
    /// Verify one drand round's signature.
    Verify {
        /// Which drand chain.
        #[arg(long, value_enum)]
        network: DrandChoice,
        /// The round.
        #[arg(long)]
        round: u64,
        /// The round's signature (hex).
        #[arg(long)]
        signature: String,
        /// The previous round's signature (hex); required for mainnet's chained scheme.
        #[arg(long)]
        prev_signature: Option<String>,
    },
}

/// drand chains.
#[derive(Clone, Copy, ValueEnum)]
pub enum DrandChoice {
    /// drand mainnet, chained scheme.
    Mainnet,
    /// drand quicknet, unchained G1 scheme.
    Quicknet,
}

/// `wincount` arguments.
#[derive(Args)]
pub struct WinCountArgs {
    /// The election proof's VRF output (hex).
    #[arg(long)]
    pub vrf_proof: String,
    /// The miner's power.
    #[arg(long)]
    pub power: String,
    /// The network's power.
    #[arg(long)]
    pub network_power: String,
}

/// Operator's toolbox for Filecoin chain data (compare `lotus-shed`).
#[derive(Parser)]
#[command(name = "venus-tool", version, about)]
pub struct Cli {
    /// Print addresses with the testnet prefix (t) instead of mainnet (f).
    #[arg(long, global = true)]
    pub testnet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
