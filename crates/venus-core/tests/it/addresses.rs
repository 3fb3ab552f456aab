//! addresses.json: valid strings round-trip to bytes; invalid ones fail with the right kind.

use venus_core::address::{format_address, from_bytes, parse_address, Network};
use venus_core::crypto::secp_address;
use venus_core::shared::address::Error as AddrError;
use venus_core::Error;

use crate::vector;

#[test]
fn valid_addresses_round_trip() {
    let v = vector("addresses.json");
    for case in v["valid"].as_array().expect("array") {
        let s = case["string"].as_str().expect("string");
        let (addr, net) = parse_address(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(
            hex::encode(addr.to_bytes()),
            case["bytes_hex"].as_str().expect("hex"),
            "{s}"
        );
        assert_eq!(format_address(&addr, net), s, "{s} prints back");
        let expected_net = if s.starts_with('t') {
            Network::Testnet
        } else {
            Network::Mainnet
        };
        assert_eq!(net, expected_net);
        assert_eq!(from_bytes(&addr.to_bytes()).expect("bytes decode"), addr);
    }
}

fn kind_matches(expected: &str, err: &Error) -> bool {
    let Error::Address(e) = err else { return false };
    match expected {
        "unknown network" => *e == AddrError::UnknownNetwork,
        "unknown protocol" => *e == AddrError::UnknownProtocol,
        "invalid checksum" => *e == AddrError::InvalidChecksum,
        "invalid length" => *e == AddrError::InvalidLength,
        "invalid payload" => *e == AddrError::InvalidPayload,
        x if x.starts_with("base32 corrupt") || x.starts_with("invalid encoding") => {
            matches!(e, AddrError::Base32Decoding(_))
        }
        _ => false,
    }
}

#[test]
fn invalid_addresses_fail_with_the_right_kind() {
    let v = vector("addresses.json");
    let cases = v["invalid"].as_array().expect("array");
    assert!(cases
        .iter()
        .any(|c| c["error"].as_str().unwrap_or("").contains("trailing")));
    for case in cases {
        let s = case["string"].as_str().expect("string");
        let expected = case["error"].as_str().expect("error");
        let err = parse_address(s).expect_err(s);
        assert!(
            kind_matches(expected, &err),
            "{s}: expected {expected}, got {err:?}"
        );
    }
}

#[test]
fn secp_public_key_gives_its_address() {
    let v = vector("addresses.json");
    for case in v["secp_pubkey_to_address"].as_array().expect("array") {
        let pk = hex::decode(case["pubkey_hex"].as_str().expect("hex")).expect("hex");
        let (expected, _) = parse_address(case["address"].as_str().expect("addr")).expect("addr");
        assert_eq!(secp_address(&pk).expect("address"), expected);
    }
    assert!(secp_address(&[4u8; 10]).is_err());
}
