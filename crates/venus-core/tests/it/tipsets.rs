//! Tipset validation and Lotus's block order.

use venus_core::encoding::from_cbor;
use venus_core::json;
use venus_core::types::{BlockHeader, Ticket, TipSet, TipSetKey};

use crate::vector;

fn header() -> BlockHeader {
    let case = &vector("serialization-vectors/block_headers.json")[0];
    json::from_value(case["block"].clone()).expect("header")
}

fn with_ticket(h: &BlockHeader, t: u8) -> BlockHeader {
    BlockHeader {
        ticket: Some(Ticket {
            vrf_proof: vec![t; 96],
        }),
        ..h.clone()
    }
}

#[test]
fn blocks_are_ordered_by_ticket_digest() {
    let h = header();
    let blocks: Vec<BlockHeader> = (1..=4).map(|t| with_ticket(&h, t)).collect();
    let ts = TipSet::new(blocks.clone()).expect("tipset");
    let digests: Vec<[u8; 32]> = ts
        .blocks()
        .iter()
        .map(|b| b.ticket.as_ref().expect("t").digest())
        .collect();
    assert!(digests.windows(2).all(|w| w[0] < w[1]));
    let reversed = TipSet::new(blocks.into_iter().rev().collect()).expect("tipset");
    assert_eq!(reversed.key(), ts.key());
    assert_eq!(ts.min_ticket(), ts.blocks()[0].ticket.as_ref());
    assert_eq!(ts.key().cids()[0], ts.blocks()[0].cid().expect("cid"));
}

#[test]
fn mismatched_blocks_are_rejected() {
    let h = header();
    let a = with_ticket(&h, 1);
    let other_height = BlockHeader {
        height: h.height + 1,
        ..with_ticket(&h, 2)
    };
    assert!(TipSet::new(vec![a.clone(), other_height]).is_err());
    let other_parents = BlockHeader {
        parents: vec![],
        ..with_ticket(&h, 2)
    };
    assert!(TipSet::new(vec![a.clone(), other_parents]).is_err());
    let other_state = BlockHeader {
        parent_state_root: h.messages,
        ..with_ticket(&h, 2)
    };
    assert!(TipSet::new(vec![a.clone(), other_state]).is_err());
    assert!(TipSet::new(vec![a.clone(), a]).is_err(), "duplicate");
    assert!(TipSet::new(vec![]).is_err());
}

#[test]
fn tipset_key_cbor_is_concatenated_cid_bytes() {
    let ts =
        TipSet::new(vec![with_ticket(&header(), 1), with_ticket(&header(), 2)]).expect("tipset");
    let cbor = venus_core::encoding::to_cbor(ts.key()).expect("cbor");
    let concat: Vec<u8> = ts.key().cids().iter().flat_map(|c| c.to_bytes()).collect();
    // CBOR byte string header (0x58, len) then the bytes.
    assert_eq!(&cbor[2..], concat.as_slice());
    assert_eq!(from_cbor::<TipSetKey>(&cbor).expect("decode"), *ts.key());
    assert!(TipSetKey::from_bytes(&[1, 2, 3]).is_err());
}
