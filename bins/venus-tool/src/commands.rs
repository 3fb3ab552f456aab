//! The subcommands. Each returns the JSON to print, or an error that fails the run.

use std::io::Read;

use crate::args::*;
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use venus_core::address::{format_address, parse_address, Network, Payload};
use venus_core::crypto::{DrandNetwork, PrivateKey, WinCounter};
use venus_core::encoding::{cid_of_cbor_bytes, from_cbor};
use venus_core::json::{self as lotus, LotusJson};
use venus_core::types::{message_cid, BeaconEntry, BlockHeader, SignedMessage, Ticket};
use venus_core::{validate, Address, Message, SignatureType, TokenAmount};

/// Prints pretty JSON to stdout; a closed pipe (`| head`) is not an error.
pub fn emit(v: &Value) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{v:#}");
}

fn read_input(path: &str) -> Result<String> {
    let mut s = String::new();
    if path == "-" {
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading stdin")?;
    } else {
        s = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    }
    Ok(s)
}

fn parse_json<T: LotusJson>(text: &str, what: &str) -> Result<T> {
    lotus::from_str(text).with_context(|| format!("input is not a Lotus JSON {what}"))
}

fn hex_arg(s: &str, what: &str) -> Result<Vec<u8>> {
    hex::decode(s.trim_start_matches("0x")).with_context(|| format!("{what} is not hex"))
}

pub fn address(cmd: AddressCmd) -> Result<Value> {
    let AddressCmd::Decode { address } = cmd;
    let (addr, net) = parse_address(&address)?;
    let payload = match addr.payload() {
        Payload::ID(id) => json!({ "id": id }),
        Payload::Delegated(d) => {
            json!({ "namespace": d.namespace(), "subaddress": hex::encode(d.subaddress()) })
        }
        p => json!(hex::encode(p.to_raw_bytes())),
    };
    Ok(json!({
        "address": format_address(&addr, net),
        "network": if net == Network::Mainnet { "mainnet" } else { "testnet" },
        "protocol": addr.protocol() as u8,
        "payload": payload,
        "payload_hex": hex::encode(addr.payload().to_raw_bytes()),
        "bytes": hex::encode(addr.to_bytes()),
    }))
}

pub fn message(cmd: MessageCmd) -> Result<Value> {
    match cmd {
        MessageCmd::Cid(InputArgs {
            cbor_hex: Some(h), ..
        }) => {
            let bytes = hex_arg(&h, "--cbor-hex")?;
            // Decode first, so that garbage is refused rather than hashed.
            if from_cbor::<Message>(&bytes).is_err() {
                from_cbor::<SignedMessage>(&bytes)
                    .context("CBOR is neither a Message nor a SignedMessage")?;
            }
            Ok(cid_of_cbor_bytes(&bytes).to_lotus_json_value())
        }
        MessageCmd::Cid(InputArgs { input, .. }) => {
            let text = read_input(input.as_deref().unwrap_or("-"))?;
            let v: Value = serde_json::from_str(&text).context("input is not JSON")?;
            let cid = if v.get("Message").is_some() {
                lotus::from_value::<SignedMessage>(v)
                    .context("not a Lotus JSON SignedMessage")?
                    .cid()?
            } else {
                message_cid(&lotus::from_value::<Message>(v).context("not a Lotus JSON Message")?)?
            };
            Ok(cid.to_lotus_json_value())
        }
        MessageCmd::Verify { input } => {
            let sm: SignedMessage = parse_json(&read_input(&input)?, "SignedMessage")?;
            sm.verify()
                .with_context(|| format!("signature is not valid for {}", sm.message.from))?;
            Ok(
                json!({ "valid": true, "from": sm.message.from.to_string(), "cid": sm.cid()?.to_string() }),
            )
        }
    }
}

pub fn block(cmd: BlockCmd) -> Result<Value> {
    match cmd {
        BlockCmd::Cid(InputArgs {
            cbor_hex: Some(h), ..
        }) => {
            let bytes = hex_arg(&h, "--cbor-hex")?;
            from_cbor::<BlockHeader>(&bytes).context("CBOR is not a block header")?;
            Ok(cid_of_cbor_bytes(&bytes).to_lotus_json_value())
        }
        BlockCmd::Cid(InputArgs { input, .. }) => {
            let h: BlockHeader =
                parse_json(&read_input(input.as_deref().unwrap_or("-"))?, "BlockHeader")?;
            Ok(h.cid()?.to_lotus_json_value())
        }
        BlockCmd::Verify(args) => verify_block(args),
    }
}

fn verify_block(args: BlockVerifyArgs) -> Result<Value> {
    let h: BlockHeader = parse_json(&read_input(&args.input)?, "BlockHeader")?;
    let worker = venus_core::address::parse(&args.worker).context("--worker")?;
    let prev: Option<BeaconEntry> = args
        .prev_beacon
        .as_deref()
        .map(|s| parse_json(s, "BeaconEntry"))
        .transpose()?;
    let parent_ticket = args
        .parent_ticket
        .as_deref()
        .map(|s| hex_arg(s, "--parent-ticket").map(|vrf_proof| Ticket { vrf_proof }))
        .transpose()?;
    // The VRFs draw from the header's last entry, else from --prev-beacon.
    let vrf_beacon = || {
        h.last_beacon_entry()
            .or(prev.as_ref())
            .context("no beacon entry in the header; pass --prev-beacon")
    };

    let mut checks: Vec<(&str, Result<()>)> = vec![
        (
            "block_signature",
            validate::block_signature(&h, &worker).map_err(Into::into),
        ),
        (
            "election_proof_vrf",
            vrf_beacon().and_then(|b| Ok(validate::election_proof(&h, &worker, b)?)),
        ),
        (
            "ticket_vrf",
            vrf_beacon()
                .and_then(|b| Ok(validate::ticket(&h, &worker, b, parent_ticket.as_ref())?)),
        ),
    ];
    if let Some(choice) = args.drand {
        let entries = prev
            .as_ref()
            .context("--drand needs --prev-beacon")
            .and_then(|p| Ok(validate::beacon_entries(&h, &drand_network(choice), p)?));
        checks.push(("beacon_entries", entries));
    }
    let failed: Vec<String> = checks
        .iter()
        .filter_map(|(n, r)| r.as_ref().err().map(|e| format!("{n}: {e:#}")))
        .collect();
    let report: Value = checks
        .iter()
        .map(|(n, r)| {
            (
                n.to_string(),
                json!(r
                    .as_ref()
                    .map(|_| "ok".to_string())
                    .unwrap_or_else(|e| format!("FAILED: {e:#}"))),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    emit(&report);
    if !failed.is_empty() {
        bail!(
            "block {} failed {} check(s): {}",
            h.cid()?,
            failed.len(),
            failed.join("; ")
        );
    }
    Ok(json!({ "valid": true, "cid": h.cid()?.to_string() }))
}

fn drand_network(choice: DrandChoice) -> DrandNetwork {
    match choice {
        DrandChoice::Mainnet => DrandNetwork::mainnet(),
        DrandChoice::Quicknet => DrandNetwork::quicknet(),
    }
}

pub fn beacon(cmd: BeaconCmd) -> Result<Value> {
    let BeaconCmd::Verify {
        network,
        round,
        signature,
        prev_signature,
    } = cmd;
    let net = drand_network(network);
    let entry = BeaconEntry {
        round,
        data: hex_arg(&signature, "--signature")?,
    };
    let prev = prev_signature
        .map(|p| {
            hex_arg(&p, "--prev-signature").map(|data| BeaconEntry {
                round: round.saturating_sub(1),
                data,
            })
        })
        .transpose()?;
    net.verify_entry(&entry, prev.as_ref())?;
    Ok(json!({ "valid": true, "round": round }))
}

pub fn wincount(a: WinCountArgs) -> Result<Value> {
    let power = a.power.parse().context("--power is not an integer")?;
    let total = a
        .network_power
        .parse()
        .context("--network-power is not an integer")?;
    let vrf = hex_arg(&a.vrf_proof, "--vrf-proof")?;
    Ok(json!({ "win_count": WinCounter::new(&power, &total).win_count(&vrf) }))
}

pub fn demo() -> Result<Value> {
    let mut out = serde_json::Map::new();
    for t in [SignatureType::Secp256k1, SignatureType::BLS] {
        let key = PrivateKey::generate(t);
        let message = Message {
            version: 0,
            from: key.address()?,
            to: Address::new_id(1000),
            sequence: 0,
            value: TokenAmount::from_whole(1),
            method_num: 0,
            params: Default::default(),
            gas_limit: 1_000_000,
            gas_fee_cap: TokenAmount::from_atto(100_000),
            gas_premium: TokenAmount::from_atto(1_000),
        };
        let signature = key.sign(&message_cid(&message)?.to_bytes())?;
        let signed = SignedMessage { message, signature };
        signed.verify().context("demo signature did not verify")?;
        let mut tampered = signed.clone();
        tampered.message.sequence += 1;
        if tampered.verify().is_ok() {
            bail!("a tampered message verified; this build is broken");
        }
        out.insert(format!("{t:?}").to_lowercase(), json!({ "cid": signed.cid()?.to_string(), "signed_message": lotus::to_value(&signed)?, "verified": true }));
    }
    Ok(out.into())
}

/// Lotus JSON of a value as a `serde_json::Value`.
trait ToJsonValue {
    fn to_lotus_json_value(&self) -> Value;
}

impl<T: LotusJson> ToJsonValue for T {
    fn to_lotus_json_value(&self) -> Value {
        serde_json::to_value(self.to_lotus_json()).unwrap_or(Value::Null)
    }
}

/// Runs one command and returns what to print.
pub fn run(cli: Cli) -> Result<Value> {
    if cli.testnet {
        venus_core::address::set_current_network(venus_core::address::Network::Testnet);
    }
    match cli.command {
        Command::Address(c) => address(c),
        Command::Message(c) => message(c),
        Command::Block(c) => block(c),
        Command::Beacon(c) => beacon(c),
        Command::Wincount(a) => wincount(a),
        Command::Demo => demo(),
    }
}
