//! The type-mismatch attack: bytes of one type sent as another are refused, for every MsgType.

use std::collections::BTreeMap;

use venus_core::crypto::{draw_randomness, DomainSeparationTag, PrivateKey};
use venus_core::encoding::{to_cbor, RawBytes};
use venus_core::types::{message_cid, BlockHeader, DrawRandomParams, MsgMeta, MsgType};
use venus_core::{json, Address, Message, SignatureType, TokenAmount};
use venus_wallet_lib::{Caller, Policy, PolicyGroup};

use crate::*;

/// VerifyAddress signs sha256 of the challenge.
fn sha256(b: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(b).to_vec()
}

/// A valid (MsgMeta, bytes to sign) for each type, signed by `signer`.
fn samples(signer: Address) -> Vec<(MsgMeta, Vec<u8>)> {
    let msg = Message {
        version: 0,
        from: signer,
        to: Address::new_id(1000),
        sequence: 1,
        value: TokenAmount::from_atto(1),
        method_num: 0,
        params: RawBytes::default(),
        gas_limit: 1_000_000,
        gas_fee_cap: TokenAmount::from_atto(100),
        gas_premium: TokenAmount::from_atto(1),
    };
    let header: BlockHeader =
        json::from_value(vector("serialization-vectors/block_headers.json")[0]["block"].clone())
            .expect("header");
    let drp = DrawRandomParams {
        rbase: vec![1; 96],
        pers: 2,
        round: 10,
        entropy: to_cbor(&Address::new_id(1000)).expect("cbor"),
    };
    let drawn = draw_randomness(
        &drp.rbase,
        DomainSeparationTag::ElectionProofProduction,
        10,
        &drp.entropy,
    )
    .to_vec();
    let cid = header.messages;
    let ta = |n: u64| TokenAmount::from_atto(n);
    let deal = to_cbor(&(
        cid,
        2048u64,
        false,
        signer,
        Address::new_id(1000),
        "label",
        10i64,
        100i64,
        ta(1),
        ta(2),
        ta(3),
    ))
    .expect("deal");
    let voucher = |sig: Option<venus_core::Signature>| {
        let extra: Option<(Address, u64, RawBytes)> = None;
        let merges: Vec<(u64, u64)> = vec![];
        to_cbor(&(
            Address::new_id(1001),
            0i64,
            0i64,
            RawBytes::default(),
            extra,
            1u64,
            2u64,
            ta(5),
            0i64,
            merges,
            sig,
        ))
        .expect("voucher")
    };
    let signed_voucher = voucher(Some(venus_core::Signature::new_secp256k1(vec![1; 65])));
    let ask = to_cbor(&(
        ta(1),
        ta(1),
        256u64,
        2048u64,
        Address::new_id(1000),
        5i64,
        50i64,
        1u64,
    ))
    .expect("ask");
    let map = |keys: &[&str]| {
        to_cbor(
            &keys
                .iter()
                .map(|k| (k.to_string(), 1u64))
                .collect::<BTreeMap<_, _>>(),
        )
        .expect("map")
    };
    let challenge = b"prove you control this address".to_vec();
    let meta = |t, extra: Vec<u8>| MsgMeta { msg_type: t, extra };
    vec![
        (meta(MsgType::Unknown, vec![]), b"raw".to_vec()),
        (
            MsgMeta::message(&msg).expect("meta"),
            message_cid(&msg).expect("cid").to_bytes(),
        ),
        (
            MsgMeta::block(&header).expect("meta"),
            header.signing_bytes().expect("bytes"),
        ),
        (meta(MsgType::DealProposal, deal.clone()), deal),
        (
            meta(MsgType::DrawRandomParam, to_cbor(&drp).expect("cbor")),
            drawn,
        ),
        (meta(MsgType::SignedVoucher, signed_voucher), voucher(None)),
        (meta(MsgType::StorageAsk, ask.clone()), ask),
        (meta(MsgType::AskResponse, map(&["Ask"])), map(&["Ask"])),
        (
            meta(MsgType::NetworkResponse, map(&["Response", "Signature"])),
            map(&["Response", "Signature"]),
        ),
        (
            meta(
                MsgType::ClientDeal,
                map(&["ClientDealProposal", "ProposalCid", "State"]),
            ),
            map(&["ClientDealProposal", "ProposalCid", "State"]),
        ),
        (
            meta(
                MsgType::ProviderDealState,
                map(&["Proposal", "ProposalCid", "State"]),
            ),
            map(&["Proposal", "ProposalCid", "State"]),
        ),
        (
            meta(MsgType::VerifyAddress, challenge.clone()),
            sha256(&challenge),
        ),
        (meta(MsgType::F3, vec![]), f3_vote()),
    ]
}

#[tokio::test]
async fn bytes_of_one_type_sent_as_another_are_refused() {
    let w = wallet().await;
    let signer = w.new_key(SignatureType::Secp256k1).await.expect("key");
    // A caller allowed every type but raw bytes.
    let all_but_unknown: Vec<MsgType> = MsgType::ALL
        .into_iter()
        .filter(|t| *t != MsgType::Unknown)
        .collect();
    w.db()
        .put_policy(&Policy {
            name: "typed".into(),
            addresses: vec![],
            msg_types: all_but_unknown,
            methods: vec![],
        })
        .await
        .expect("policy");
    w.db()
        .put_group(&PolicyGroup {
            name: "g".into(),
            policies: vec!["typed".into()],
        })
        .await
        .expect("group");
    w.db().bind("miner", "g").await.expect("bind");
    let caller = Caller::named("miner");

    let samples = samples(signer);
    assert_eq!(samples.len(), MsgType::ALL.len(), "one sample per type");
    for (meta_a, bytes_a) in &samples {
        if meta_a.msg_type != MsgType::Unknown {
            // Positive control: the honest request signs.
            w.sign_as(&caller, &signer, bytes_a, meta_a)
                .await
                .unwrap_or_else(|e| panic!("{:?} should sign: {e}", meta_a.msg_type));
        }
        for (meta_b, _) in &samples {
            if meta_b.msg_type == meta_a.msg_type {
                continue;
            }
            // A's bytes and object, labelled B.
            let relabelled = MsgMeta {
                msg_type: meta_b.msg_type,
                extra: meta_a.extra.clone(),
            };
            let r = w.sign_as(&caller, &signer, bytes_a, &relabelled).await;
            assert!(
                r.is_err(),
                "{:?} bytes accepted as {:?}",
                meta_a.msg_type,
                meta_b.msg_type
            );
            // A's bytes with B's genuine object.
            let r = w.sign_as(&caller, &signer, bytes_a, meta_b).await;
            assert!(
                r.is_err(),
                "{:?} bytes accepted with a {:?} object",
                meta_a.msg_type,
                meta_b.msg_type
            );
        }
    }
}

#[tokio::test]
async fn a_message_from_someone_else_is_refused() {
    let w = wallet().await;
    let signer = w.new_key(SignatureType::BLS).await.expect("key");
    let other = PrivateKey::generate(SignatureType::Secp256k1)
        .address()
        .expect("addr");
    let (meta, bytes) = samples(other).swap_remove(1);
    let err = venus_core::traits::RemoteSigner::sign(&w, &signer, &bytes, &meta)
        .await
        .expect_err("not the signer's message");
    assert!(err.to_string().contains("is not the signer"), "{err}");
}

/// A go-f3 vote payload as `MarshalPayloadForSigning` lays it out.
pub(crate) fn f3_vote() -> Vec<u8> {
    let mut b = b"GPBFT:devnet:".to_vec();
    b.push(3); // phase
    b.extend(7u64.to_be_bytes()); // round
    b.extend(42u64.to_be_bytes()); // instance
    b.extend([1u8; 32]); // commitments
    b.extend([2u8; 32]); // chain key
    b.extend(venus_core::encoding::cid_of_cbor_bytes(&[0x80]).to_bytes()); // power table
    b
}
