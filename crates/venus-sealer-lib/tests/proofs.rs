//! Real 2 KiB proofs through filecoin-proofs-api: pre-seal, seal proof, winning
//! and window PoSt, and the inputs that must make each fail.
//!
//! Parameters come from the shared cache (`venus-sealer params` generates them
//! ahead of time; otherwise the first test to need them generates them, which
//! takes 7-10 minutes for PoRep on 2 cores).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use tokio::sync::OnceCell;
use venus_core::crypto::PrivateKey;
use venus_core::shared::address::Address;
use venus_core::shared::sector::{RegisteredPoStProof, RegisteredSealProof};
use venus_core::traits::{ComputeProof, ProofVerifier};
use venus_core::types::ExtendedSectorInfo;
use venus_core::SignatureType;
use venus_sealer_lib::params::ParamCache;
use venus_sealer_lib::types::{comm_d, comm_r, prover_id};
use venus_sealer_lib::{
    preseal, LocalSectorStore, PostProver, PostSector, PostVerifier, PreCommit, PreSealConfig,
    PreSealMiner, ProofPool, Prover, SealedSector, SealerError, SectorRef, SectorStore,
};

const MINER: u64 = 1000;
const SEAL: RegisteredSealProof = RegisteredSealProof::StackedDRG2KiBV1P1;

fn prover() -> Prover {
    static PROVER: OnceLock<Prover> = OnceLock::new();
    PROVER
        .get_or_init(|| {
            let params = ParamCache::from_env().expect("parameter cache");
            Prover::new(Arc::new(params), ProofPool::new(2))
        })
        .clone()
}

struct Presealed {
    root: PathBuf,
    store: LocalSectorStore,
    sectors: Vec<SealedSector>,
}

/// Two pre-sealed sectors of t01000, shared by the tests of this binary.
async fn presealed() -> &'static Presealed {
    static FIXTURE: OnceCell<Presealed> = OnceCell::const_new();
    FIXTURE
        .get_or_init(|| async {
            let root = tempfile::tempdir().expect("tempdir").keep();
            let store = LocalSectorStore::new(&root);
            let config = PreSealConfig::new(MINER, SEAL, 2);
            let sectors = preseal(&prover(), &store, &config, &|_, _| {})
                .await
                .expect("pre-seal");
            Presealed {
                root,
                store,
                sectors,
            }
        })
        .await
}

fn post_sector(s: &SealedSector) -> PostSector {
    PostSector::try_from(s).expect("CommR")
}

fn flip(mut c: [u8; 32]) -> [u8; 32] {
    c[0] ^= 1;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preseal_writes_lotus_seed_style_metadata() {
    let fx = presealed().await;
    assert_eq!(
        fx.sectors.iter().map(|s| s.number).collect::<Vec<_>>(),
        [0, 1]
    );
    for s in &fx.sectors {
        assert_eq!(s.sealed_cid.codec(), 0xf102, "fil-commitment-sealed");
        assert_eq!(
            s.sealed_cid.hash().code(),
            0xb401,
            "poseidon-bls12_381-a2-fc1"
        );
        assert_eq!(s.unsealed_cid.codec(), 0xf101, "fil-commitment-unsealed");
        assert_eq!(
            s.unsealed_cid.hash().code(),
            0x1012,
            "sha2-256-trunc254-padded"
        );
        let paths = fx.store.paths(SectorRef::new(MINER, s.number));
        paths
            .check_sealed(2048)
            .expect("sealed file and cache in place");
    }
    assert_ne!(fx.sectors[0].sealed_cid, fx.sectors[1].sealed_cid);

    let key = PrivateKey::generate(SignatureType::BLS);
    let entry = PreSealMiner::new(MINER, &key, SEAL, fx.sectors.clone()).expect("entry");
    assert_eq!(entry.sector_size, 2048);
    assert_eq!(entry.sealed(), fx.sectors);
    let path = entry.write(&fx.root, MINER).expect("write");
    assert!(path.ends_with("pre-seal-t01000.json"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    let first = &json["t01000"]["Sectors"][0];
    assert_eq!(first["SectorID"], 0);
    assert_eq!(first["ProofType"], 5, "StackedDrg2KiBV1_1");
    assert!(
        first["CommR"]["/"]
            .as_str()
            .is_some_and(|c| c.starts_with("bagboea4b5abc")),
        "{first}"
    );
    assert!(
        first["CommD"]["/"]
            .as_str()
            .is_some_and(|c| c.starts_with("baga6ea4seaq")),
        "{first}"
    );
    assert_eq!(
        PreSealMiner::read(&fx.root, MINER).expect("read back"),
        entry
    );
    // The fields Lotus's genesis reads, as lotus-seed fills them.
    let miner = &json["t01000"];
    let addr = key.address().expect("address").to_string();
    assert_eq!(miner["Owner"], addr.as_str());
    assert_eq!(miner["Worker"], addr.as_str());
    assert_eq!(miner["MarketBalance"], "0");
    assert_eq!(miner["PowerBalance"], "0");
    assert!(
        miner["PeerId"]
            .as_str()
            .is_some_and(|p| p.starts_with("12D3KooW")),
        "an Ed25519 peer id: {miner}"
    );
    let deal = &first["Deal"];
    assert_eq!(deal["PieceCID"], first["CommD"]);
    assert_eq!(deal["PieceSize"], 2048);
    assert_eq!(deal["Client"], addr.as_str());
    assert_eq!(deal["Provider"], "t01000");
    assert_eq!(deal["Label"], "0");
    assert_eq!(deal["StartEpoch"], 0);
    assert_eq!(deal["EndEpoch"], 9001);
    assert_eq!(deal["StoragePricePerEpoch"], "0");
    assert_eq!(json["t01000"]["Sectors"][1]["Deal"]["Label"], "1");
    assert_eq!(first["DealClientKey"]["Type"], "bls");
    // The key file is Lotus's export of the same key, readable only by its owner.
    let key_path = fx.root.join("pre-seal-t01000.key");
    let exported = std::fs::read_to_string(&key_path).expect("key file");
    let back = venus_core::crypto::KeyInfo::from_lotus_export(&exported).expect("lotus export");
    assert_eq!(
        back.address().expect("address"),
        key.address().expect("address")
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key_path)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "key file mode {mode:o}");

    // Same miner and sector, same data and ticket: the same commitments.
    let again_root = tempfile::tempdir().expect("tempdir");
    let again = preseal(
        &prover(),
        &LocalSectorStore::new(again_root.path()),
        &PreSealConfig::new(MINER, SEAL, 1),
        &|_, _| {},
    )
    .await
    .expect("pre-seal again");
    assert_eq!(again[0], fx.sectors[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seal_proof_verifies_and_wrong_inputs_fail() {
    let p = prover();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalSectorStore::new(dir.path());
    let sector = SectorRef::new(MINER, 7);
    let paths = store.prepare(sector).expect("prepare");
    let data: Vec<u8> = (0..2032u32).map(|i| (i * 7 % 256) as u8).collect();
    let piece = p
        .add_piece(
            SEAL,
            std::io::Cursor::new(data),
            2032,
            paths.unsealed.clone(),
            vec![],
        )
        .await
        .expect("add piece");
    let (ticket, seed) = ([3u8; 32], [5u8; 32]);
    let pc1 = p
        .pc1(SEAL, &paths, ticket, vec![piece.clone()])
        .await
        .expect("pc1");
    let pre = p.pc2(pc1, &paths).await.expect("pc2");
    assert_eq!(
        std::fs::metadata(&paths.sealed).expect("sealed").len(),
        2048
    );
    let c1 = p
        .c1(&paths, ticket, seed, pre, vec![piece])
        .await
        .expect("c1");
    let proof = p.c2(c1, sector).await.expect("c2");
    assert_eq!(proof.len(), 192, "one partition of a 2KiB Groth16 proof");

    let verify = |comm_r, sector, ticket, seed| {
        p.verify_seal(
            PreCommit { comm_r, ..pre },
            sector,
            ticket,
            seed,
            proof.clone(),
        )
    };
    assert!(
        verify(pre.comm_r, sector, ticket, seed)
            .await
            .expect("verify"),
        "valid seal"
    );
    assert!(
        !verify(pre.comm_r, sector, ticket, [6u8; 32])
            .await
            .expect("verify"),
        "wrong seed (interactive randomness)"
    );
    assert!(
        !verify(pre.comm_r, sector, [4u8; 32], seed)
            .await
            .expect("verify"),
        "wrong ticket"
    );
    assert!(
        !verify(flip(pre.comm_r), sector, ticket, seed)
            .await
            .expect("verify"),
        "wrong CommR"
    );
    assert!(
        !verify(pre.comm_r, SectorRef::new(MINER + 1, 7), ticket, seed)
            .await
            .expect("verify"),
        "wrong prover id"
    );
    assert!(
        !verify(pre.comm_r, SectorRef::new(MINER, 8), ticket, seed)
            .await
            .expect("verify"),
        "wrong sector number"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn winning_post_verifies_and_wrong_inputs_fail() {
    let fx = presealed().await;
    let p = prover();
    let randomness = [0xabu8; 32];
    let challenged = p
        .winning_challenge(
            RegisteredPoStProof::StackedDRGWinning2KiBV1,
            MINER,
            &randomness,
            2,
        )
        .await
        .expect("challenge");
    assert_eq!(challenged.len(), 1);
    let index = challenged[0] as usize;
    assert!(index < 2);
    let sectors = [post_sector(&fx.sectors[index])];
    let proofs = p
        .generate_winning_post(&fx.store, MINER, &sectors, &randomness)
        .await
        .expect("winning post");
    assert_eq!(proofs.len(), 1);
    assert_eq!(
        proofs[0].post_proof,
        RegisteredPoStProof::StackedDRGWinning2KiBV1
    );

    let ok = |miner, sectors: Vec<PostSector>, randomness: [u8; 32]| {
        let (p, proofs) = (p.clone(), proofs.clone());
        async move {
            p.verify_winning_post(miner, &sectors, &randomness, &proofs)
                .await
                .expect("verify")
        }
    };
    assert!(
        ok(MINER, sectors.to_vec(), randomness).await,
        "valid winning PoSt"
    );
    assert!(
        !ok(MINER, sectors.to_vec(), [0xacu8; 32]).await,
        "wrong randomness"
    );
    let other = post_sector(&fx.sectors[1 - index]);
    let wrong_comm_r = PostSector {
        comm_r: other.comm_r,
        ..sectors[0]
    };
    assert!(
        !ok(MINER, vec![wrong_comm_r], randomness).await,
        "wrong CommR"
    );
}

/// The PoSt SNARK has no prover-id input; the miner's identity enters through
/// the chain randomness (drawn with the miner address as entropy) and, for
/// winning PoSt, through the sector challenge. Both are checked here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn winning_post_for_the_wrong_prover_fails() {
    let fx = presealed().await;
    let p = prover();
    let eligible: Vec<PostSector> = fx.sectors.iter().map(post_sector).collect();
    let (mine, theirs) = (
        post_randomness(Tag::WinningPoStChallengeSeed, MINER),
        post_randomness(Tag::WinningPoStChallengeSeed, MINER + 1),
    );
    let challenged = p
        .winning_sectors(MINER, &eligible, &mine)
        .await
        .expect("challenge");
    let proofs = p
        .generate_winning_post(&fx.store, MINER, &challenged, &mine)
        .await
        .expect("prove");
    assert!(p
        .verify_winning_post_eligible(MINER, &eligible, &mine, &proofs)
        .await
        .expect("verify"));
    assert!(
        !p.verify_winning_post_eligible(MINER + 1, &eligible, &theirs, &proofs)
            .await
            .expect("verify"),
        "claimed by another miner: its randomness differs"
    );

    // Same randomness, different prover id: the challenge picks another sector.
    let mut differ = None;
    for b in 0..=255u8 {
        let r = [b; 32];
        let a = p
            .winning_sectors(MINER, &eligible, &r)
            .await
            .expect("challenge");
        let o = p
            .winning_sectors(MINER + 1, &eligible, &r)
            .await
            .expect("challenge");
        if a != o {
            differ = Some((r, a));
            break;
        }
    }
    let (r, challenged) =
        differ.expect("two prover ids challenge different sectors for some randomness");
    let proofs = p
        .generate_winning_post(&fx.store, MINER, &challenged, &r)
        .await
        .expect("prove");
    assert!(p
        .verify_winning_post_eligible(MINER, &eligible, &r, &proofs)
        .await
        .expect("verify"));
    assert!(
        !p.verify_winning_post_eligible(MINER + 1, &eligible, &r, &proofs)
            .await
            .expect("verify"),
        "wrong prover id"
    );
}

use venus_core::crypto::DomainSeparationTag as Tag;

/// PoSt randomness as Lotus draws it: the miner address (CBOR) is the entropy.
fn post_randomness(tag: Tag, miner: u64) -> [u8; 32] {
    let entropy = venus_core::encoding::to_cbor(&Address::new_id(miner)).expect("cbor");
    venus_core::crypto::draw_randomness(b"drand round 1000 signature", tag, 1000, &entropy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compute_proof_and_verifier_traits_use_the_real_proofs() {
    let fx = presealed().await;
    let miner = Address::new_id(MINER);
    let store: Arc<dyn SectorStore> = Arc::new(fx.store.clone());
    let computer = PostProver::new(prover(), store);
    let verifier = PostVerifier::new(prover());
    let info: Vec<ExtendedSectorInfo> = fx.sectors[..1]
        .iter()
        .map(SealedSector::sector_info)
        .collect();
    let randomness = [0x11u8; 32];
    let proofs = computer
        .compute_winning_post(&miner, &info, &randomness)
        .await
        .expect("compute");
    assert!(verifier
        .verify_winning_post(&miner, &info, &randomness, &proofs)
        .await
        .expect("verify"));
    assert!(!verifier
        .verify_winning_post(&miner, &info, &[0x12u8; 32], &proofs)
        .await
        .expect("verify"));

    // Malformed requests are errors, not panics.
    let key = Address::new_secp256k1(&[4u8; 65]).expect("address");
    let err = computer
        .compute_winning_post(&key, &info, &randomness)
        .await
        .expect_err("non-ID miner");
    assert!(err.to_string().contains("not an ID address"), "{err}");
    let err = computer
        .compute_winning_post(&miner, &[], &randomness)
        .await
        .expect_err("no sectors");
    assert!(err.to_string().contains("no sectors"), "{err}");
    let mut unsealed = info.clone();
    unsealed[0].sealed_cid = fx.sectors[0].unsealed_cid;
    let err = verifier
        .verify_winning_post(&miner, &unsealed, &randomness, &proofs)
        .await
        .expect_err("CommD as CommR");
    assert!(err.to_string().contains("sealed CID"), "{err}");
    let err = verifier
        .verify_winning_post(&miner, &info, &randomness, &[])
        .await
        .expect_err("no proof");
    assert!(err.to_string().contains("exactly one proof"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_post_verifies_and_wrong_inputs_fail() {
    let fx = presealed().await;
    let p = prover();
    let randomness = [0x5au8; 32];
    let sectors: Vec<PostSector> = fx.sectors.iter().map(post_sector).collect();
    let proofs = p
        .generate_window_post(&fx.store, MINER, &sectors, &randomness)
        .await
        .expect("window post");
    assert_eq!(proofs.len(), 1);
    assert_eq!(
        proofs[0].post_proof,
        RegisteredPoStProof::StackedDRGWindow2KiBV1P1
    );

    let ok = |miner, sectors: Vec<PostSector>, randomness: [u8; 32]| {
        let (p, proofs) = (p.clone(), proofs.clone());
        async move {
            p.verify_window_post(miner, &sectors, &randomness, &proofs)
                .await
                .expect("verify")
        }
    };
    assert!(
        ok(MINER, sectors.clone(), randomness).await,
        "valid window PoSt"
    );
    assert!(
        !ok(MINER, sectors.clone(), [0x5bu8; 32]).await,
        "wrong randomness"
    );
    let mut swapped = sectors.clone();
    swapped[0].comm_r = sectors[1].comm_r;
    assert!(!ok(MINER, swapped, randomness).await, "wrong CommR");

    // Another miner's claim: the chain draws its randomness with its address.
    let (mine, theirs) = (
        post_randomness(Tag::WindowedPoStChallengeSeed, MINER),
        post_randomness(Tag::WindowedPoStChallengeSeed, MINER + 1),
    );
    let proofs = p
        .generate_window_post(&fx.store, MINER, &sectors, &mine)
        .await
        .expect("window post");
    assert!(p
        .verify_window_post(MINER, &sectors, &mine, &proofs)
        .await
        .expect("verify"));
    assert!(
        !p.verify_window_post(MINER + 1, &sectors, &theirs, &proofs)
            .await
            .expect("verify"),
        "wrong prover id"
    );
    // filecoin-proofs' window PoSt has no prover-id input: with the same
    // randomness the prover id alone changes nothing. If this starts failing,
    // filecoin-proofs began binding it; update the docs of verify_winning_post_eligible.
    assert!(p
        .verify_window_post(MINER + 1, &sectors, &mine, &proofs)
        .await
        .expect("verify"));
}

/// 2 KiB window PoSt partitions hold 2 sectors: 3 sectors take 2 partitions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_post_over_two_partitions() {
    let p = prover();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalSectorStore::new(dir.path());
    let sealed = preseal(
        &p,
        &store,
        &PreSealConfig::new(MINER + 5, SEAL, 3),
        &|_, _| {},
    )
    .await
    .expect("pre-seal");
    let sectors: Vec<PostSector> = sealed.iter().map(post_sector).collect();
    let randomness = post_randomness(Tag::WindowedPoStChallengeSeed, MINER + 5);
    let proofs = p
        .generate_window_post(&store, MINER + 5, &sectors, &randomness)
        .await
        .expect("window post");
    assert_eq!(proofs.len(), 1);
    assert_eq!(proofs[0].proof_bytes.len(), 2 * 192, "two partition proofs");
    assert!(p
        .verify_window_post(MINER + 5, &sectors, &randomness, &proofs)
        .await
        .expect("verify"));
    // Dropping a sector from the claim changes the partitions: refused (false or
    // an error about the proof's length), never accepted.
    let short = p
        .verify_window_post(MINER + 5, &sectors[..2], &randomness, &proofs)
        .await;
    assert!(!matches!(short, Ok(true)), "{short:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_truncated_sealed_files_are_clear_errors() {
    let fx = presealed().await;
    let p = prover();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalSectorStore::new(dir.path());
    let sector = SectorRef::new(MINER, 0);
    let (src, dst) = (
        fx.store.paths(sector),
        store.prepare(sector).expect("prepare"),
    );
    for entry in std::fs::read_dir(&src.cache).expect("cache") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dst.cache.join(entry.file_name())).expect("copy cache");
    }
    let sectors = [post_sector(&fx.sectors[0])];
    let randomness = [1u8; 32];

    let err = p
        .generate_winning_post(&store, MINER, &sectors, &randomness)
        .await
        .expect_err("missing");
    assert!(
        matches!(err, SealerError::SealedFileMissing { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("s-t01000-0") && msg.contains("missing"),
        "{msg}"
    );

    let sealed = std::fs::read(&src.sealed).expect("sealed");
    std::fs::write(&dst.sealed, &sealed[..1000]).expect("truncated copy");
    let err = p
        .generate_window_post(&store, MINER, &sectors, &randomness)
        .await
        .expect_err("truncated");
    assert!(
        matches!(
            err,
            SealerError::SealedFileWrongSize {
                expected: 2048,
                found: 1000,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("truncated"), "{err}");

    std::fs::write(&dst.sealed, &sealed).expect("full copy");
    std::fs::remove_file(dst.cache.join("p_aux")).expect("remove p_aux");
    let err = p
        .generate_winning_post(&store, MINER, &sectors, &randomness)
        .await
        .expect_err("no p_aux");
    assert!(err.to_string().contains("p_aux missing"), "{err}");

    // With everything back in place the copy proves like the original.
    std::fs::copy(src.cache.join("p_aux"), dst.cache.join("p_aux")).expect("restore");
    let proofs = p
        .generate_winning_post(&store, MINER, &sectors, &randomness)
        .await
        .expect("proves");
    assert!(p
        .verify_winning_post(MINER, &sectors, &randomness, &proofs)
        .await
        .expect("verify"));
}

/// A block from another node claiming 32 GiB sectors must not start hours of
/// parameter generation: only 2 KiB is made on demand.
#[tokio::test]
async fn verifying_a_size_without_parameters_is_a_clear_error() {
    let big = PostSector {
        number: 1,
        proof: RegisteredSealProof::StackedDRG32GiBV1P1,
        comm_r: [1u8; 32],
    };
    let proof = venus_core::shared::sector::PoStProof {
        post_proof: RegisteredPoStProof::StackedDRGWinning32GiBV1,
        proof_bytes: vec![0u8; 192],
    };
    let err = prover()
        .verify_winning_post(MINER, &[big], &[0u8; 32], &[proof])
        .await
        .expect_err("no 32GiB parameters here");
    let msg = err.to_string();
    assert!(
        msg.contains("winning-post 32GiB") && msg.contains("run `venus-sealer params`"),
        "{msg}"
    );

    // Proof bytes that cannot be a Groth16 proof are an input error, checked
    // before any parameters are touched.
    let garbage = venus_core::shared::sector::PoStProof {
        post_proof: RegisteredPoStProof::StackedDRGWinning2KiBV1,
        proof_bytes: vec![0u8; 100],
    };
    let small = PostSector { proof: SEAL, ..big };
    let err = prover()
        .on_demand(false)
        .verify_winning_post(MINER, &[small], &[0u8; 32], &[garbage])
        .await
        .expect_err("100 bytes is no Groth16 proof");
    assert!(
        err.to_string().contains("not a whole number of 192-byte"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pieces_land_one_after_the_other() {
    let p = prover();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = LocalSectorStore::new(dir.path());
    let sector = SectorRef::new(MINER, 9);
    let paths = store.prepare(sector).expect("prepare");
    let first = p
        .add_piece(
            SEAL,
            std::io::Cursor::new(vec![1u8; 1016]),
            1016,
            paths.unsealed.clone(),
            vec![],
        )
        .await
        .expect("first piece");
    let err = p
        .add_piece(
            SEAL,
            std::io::Cursor::new(vec![2u8; 1016]),
            1016,
            paths.unsealed.clone(),
            vec![254, 254],
        )
        .await
        .expect_err("the file holds one 1016-byte piece, not two of 254");
    assert!(
        err.to_string()
            .contains("1024 bytes on disk, but the earlier pieces take 512 padded bytes"),
        "{err}"
    );
    let second = p
        .add_piece(
            SEAL,
            std::io::Cursor::new(vec![2u8; 1016]),
            1016,
            paths.unsealed.clone(),
            vec![1016],
        )
        .await
        .expect("second piece");
    assert_ne!(first.commitment, second.commitment);
    assert_eq!(
        std::fs::metadata(&paths.unsealed).expect("unsealed").len(),
        2048
    );
    // PC1 checks the pieces against the data, so an overwritten first piece fails here.
    let pieces = vec![first, second];
    let pc1 = p
        .pc1(SEAL, &paths, [0u8; 32], pieces.clone())
        .await
        .expect("pc1");
    let pre = p.pc2(pc1, &paths).await.expect("pc2");
    let api_seal = filecoin_proofs_api::RegisteredSealProof::StackedDrg2KiBV1_1;
    let expected = filecoin_proofs_api::seal::compute_comm_d(api_seal, &pieces).expect("comm_d");
    assert_eq!(pre.comm_d, expected, "CommD is the tree of both pieces");
}

#[tokio::test]
async fn bad_piece_sizes_are_refused_before_any_work() {
    let p = prover();
    let dir = tempfile::tempdir().expect("tempdir");
    let unsealed = dir.path().join("unsealed");
    let add = |len: u64, existing: Vec<u64>, data: Vec<u8>| {
        p.add_piece(
            SEAL,
            std::io::Cursor::new(data),
            len,
            unsealed.clone(),
            existing,
        )
    };
    for (len, existing) in [
        (1000, vec![]),
        (0, vec![]),
        (4064, vec![]),
        (1016, vec![u64::MAX]),
        (1016, vec![2032]),
    ] {
        let err = add(len, existing.clone(), vec![0u8; 16])
            .await
            .expect_err("invalid sizes");
        assert!(
            matches!(err, SealerError::InvalidInput(_)),
            "{len} after {existing:?}: {err:?}"
        );
    }
    assert!(!unsealed.exists(), "nothing was written");
    // A source longer than the piece is read only up to the piece.
    add(1016, vec![], vec![7u8; 5000])
        .await
        .expect("capped piece");
    assert_eq!(std::fs::metadata(&unsealed).expect("unsealed").len(), 1024);
    // A source shorter than the piece fails and leaves the file as it was.
    let err = add(1016, vec![1016], vec![7u8; 10])
        .await
        .expect_err("short source");
    assert!(matches!(err, SealerError::Proof { .. }), "{err:?}");
    assert_eq!(std::fs::metadata(&unsealed).expect("unsealed").len(), 1024);
    add(1016, vec![1016], vec![8u8; 1016])
        .await
        .expect("retry succeeds");
    assert_eq!(std::fs::metadata(&unsealed).expect("unsealed").len(), 2048);
}

#[test]
fn commitments_round_trip_through_cids_and_prover_ids_match_lotus() {
    let c = [9u8; 32];
    let mut c = c;
    c[31] &= 0x3f;
    let sealed = venus_sealer_lib::types::sealed_cid(&c).expect("sealed");
    let unsealed = venus_sealer_lib::types::unsealed_cid(&c).expect("unsealed");
    assert_eq!(comm_r(&sealed).expect("CommR"), c);
    assert_eq!(comm_d(&unsealed).expect("CommD"), c);
    assert!(comm_r(&unsealed).is_err(), "an unsealed CID is not a CommR");
    // Lotus: the ID address payload, LEB128 of 1000 = e8 07.
    let id = prover_id(1000);
    assert_eq!(&id[..3], &[0xe8, 0x07, 0]);
    assert!(id[2..].iter().all(|b| *b == 0));
}

/// Lotus indexes the winning challenge into the sectors in ascending
/// sector-number order (`GetSectorsForWinningPoSt`): the order a caller
/// lists them in must not change which sector is challenged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_challenged_sector_does_not_depend_on_the_callers_order() {
    let p = prover();
    let sorted: Vec<PostSector> = (1..=5u64)
        .map(|n| PostSector {
            number: n * 7,
            proof: RegisteredSealProof::StackedDRG2KiBV1P1,
            comm_r: [n as u8; 32],
        })
        .collect();
    let mut shuffled = sorted.clone();
    shuffled.reverse();
    shuffled.swap(0, 2);
    let mut moved = 0;
    for b in 0..16u8 {
        let r = [b; 32];
        let a = p.winning_sectors(MINER, &sorted, &r).await.expect("sorted");
        let s = p
            .winning_sectors(MINER, &shuffled, &r)
            .await
            .expect("shuffled");
        assert_eq!(
            a, s,
            "randomness {b}: the caller's order changed the challenge"
        );
        // Indexing the caller's order instead would have picked another sector.
        let idx = sorted.iter().position(|x| *x == a[0]).expect("challenged");
        moved += usize::from(shuffled[idx] != a[0]);
    }
    assert!(moved > 0, "no randomness tested the order at all");
}
