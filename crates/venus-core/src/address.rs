//! Addresses: `fvm_shared`'s [`Address`] with network-aware parsing and printing.
//!
//! `fvm_shared` parses only the prefix of the process-wide current network.
//! Tools that read data from both mainnet (`f`) and testnets (`t`) need to
//! accept either, and to print with an explicit prefix.

pub use fvm_shared::address::{
    current_network, set_current_network, Address, Network, Payload, Protocol,
};

use crate::Result;

/// Parses an address string with either network prefix (`f…` or `t…`).
///
/// Returns the address and the network its prefix named. The errors are those
/// of `fvm_shared`: unknown network or protocol, bad checksum, bad length,
/// bad payload and bad base32 (including non-zero trailing bits).
pub fn parse_address(s: &str) -> Result<(Address, Network)> {
    let network = match s.as_bytes().first() {
        Some(b'f') => Network::Mainnet,
        Some(b't') => Network::Testnet,
        Some(_) => return Err(fvm_shared::address::Error::UnknownNetwork.into()),
        None => return Err(fvm_shared::address::Error::InvalidLength.into()),
    };
    Ok((network.parse_address(s)?, network))
}

/// Parses an address string with either network prefix, dropping the network.
pub fn parse(s: &str) -> Result<Address> {
    parse_address(s).map(|(a, _)| a)
}

/// Formats an address with the prefix of `network`, whatever the current network is.
pub fn format_address(addr: &Address, network: Network) -> String {
    let s = addr.to_string();
    let prefix = match network {
        Network::Mainnet => 'f',
        Network::Testnet => 't',
    };
    // Display always writes a one-byte ASCII prefix, so slicing at 1 is on a char boundary.
    format!("{prefix}{}", &s[1..])
}

/// Decodes an address from its byte form (protocol byte followed by payload).
pub fn from_bytes(bytes: &[u8]) -> Result<Address> {
    Ok(Address::from_bytes(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_prefixes_parse_to_the_same_bytes() {
        let (f, nf) = parse_address("f01234").expect("mainnet id");
        let (t, nt) = parse_address("t01234").expect("testnet id");
        assert_eq!(f, t);
        assert_eq!((nf, nt), (Network::Mainnet, Network::Testnet));
        assert_eq!(format_address(&f, Network::Testnet), "t01234");
        assert!(parse_address("x01234").is_err());
        assert!(parse_address("").is_err());
    }
}
