//! Which code runs each actor: the builtin-actors manifest of the devnet
//! bundle, by Code CID.
//!
//! Tools recognise an actor's type by its Code CID (damocles-manager and
//! sophon-miner look them up in Venus's table), so our devnet uses exactly
//! the Code CIDs of the devnet bundle of builtin-actors v17.0.0, as Venus
//! v1.19 (`venus-shared/actors/builtin_actors_gen.go`) and Lotus v1.34
//! (`build/builtin_actors_gen.go`) list them for `Network: "devnet"`. The
//! manifest blocks themselves (a data block of `[name, code]` pairs in the
//! bundle's order, and `[1, data]`) are rebuilt from that table; the test
//! below checks they hash to the published manifest CID.

use std::str::FromStr;

use cid::Cid;
use fvm_ipld_blockstore::Blockstore;
use fvm_ipld_encoding::CborStore;
use fvm_shared::version::NetworkVersion;
use multihash_codetable::Code;

use crate::error::{store_err, ChainError, Result};

/// The network version our devnet runs: nv27 ("GoldenWeek"), the newest
/// that Venus v1.19 (which sophon-miner and damocles pin) supports.
pub const NETWORK_VERSION: NetworkVersion = NetworkVersion::V27;

/// The builtin-actors version of [`NETWORK_VERSION`].
pub const ACTORS_VERSION: u64 = 17;

/// The builtin actor types, in the bundle's order (builtin-actors
/// `runtime/src/runtime/builtins.rs`, `Type` 1 to 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActorKind {
    /// f00.
    System,
    /// f01: the address → ID map.
    Init,
    /// f03.
    Cron,
    /// A key (f1/f3) address's actor.
    Account,
    /// f04.
    Power,
    /// A storage provider.
    Miner,
    /// f05.
    Market,
    /// Payment channels (not modeled).
    PaymentChannel,
    /// Multisig wallets (not modeled).
    Multisig,
    /// f02.
    Reward,
    /// f06.
    VerifiedRegistry,
    /// f07.
    Datacap,
    /// An f410 address not yet deployed (not modeled).
    Placeholder,
    /// EVM contracts (not modeled).
    Evm,
    /// f010, the Ethereum address manager (present, not modeled).
    Eam,
    /// Ethereum accounts (not modeled).
    EthAccount,
}

impl ActorKind {
    /// Every type, in the bundle's order.
    pub const ALL: [ActorKind; 16] = [
        ActorKind::System,
        ActorKind::Init,
        ActorKind::Cron,
        ActorKind::Account,
        ActorKind::Power,
        ActorKind::Miner,
        ActorKind::Market,
        ActorKind::PaymentChannel,
        ActorKind::Multisig,
        ActorKind::Reward,
        ActorKind::VerifiedRegistry,
        ActorKind::Datacap,
        ActorKind::Placeholder,
        ActorKind::Evm,
        ActorKind::Eam,
        ActorKind::EthAccount,
    ];

    /// The manifest's name for the type.
    pub fn name(self) -> &'static str {
        match self {
            ActorKind::System => "system",
            ActorKind::Init => "init",
            ActorKind::Cron => "cron",
            ActorKind::Account => "account",
            ActorKind::Power => "storagepower",
            ActorKind::Miner => "storageminer",
            ActorKind::Market => "storagemarket",
            ActorKind::PaymentChannel => "paymentchannel",
            ActorKind::Multisig => "multisig",
            ActorKind::Reward => "reward",
            ActorKind::VerifiedRegistry => "verifiedregistry",
            ActorKind::Datacap => "datacap",
            ActorKind::Placeholder => "placeholder",
            ActorKind::Evm => "evm",
            ActorKind::Eam => "eam",
            ActorKind::EthAccount => "ethaccount",
        }
    }
}

/// The devnet bundle v17.0.0's Code CIDs, in [`ActorKind::ALL`]'s order.
const DEVNET_V17: [&str; 16] = [
    "bafk2bzacebepha7cbha4yxlbouw6nn6lj55g3lyxjipdgs7ge3kzn7snlche6",
    "bafk2bzaceccs75hxap6gcyqxzuyouskj3aaq3iotobelo7zgnlwniq52cpck2",
    "bafk2bzaced4dannurcuwpn4t4nufoi3a34rgfd37qzqtt3vhejeavzobc3zlu",
    "bafk2bzacebaypq6rlsiz75i3pehycyj7azbkafrnslsbfj7qz2moglqvw3j7y",
    "bafk2bzaceal437l2hwjynf3pzvjbtnwlqn7p5gibdf7rkrauk6cnnwez7jtmw",
    "bafk2bzacebz6pb4vdnl74oekr53zui3mgnonzphlul7uzvsmxcles54f6pebg",
    "bafk2bzacedw3efzrlhmxna3yc4lnrbpiru6az5eot62irtvl7jzcwb5cfqqra",
    "bafk2bzacedy3vcz5dqdvzhemvw72lhgsbtzik4sjmk6x5ddsw6xgxxh53kywo",
    "bafk2bzacedh5u5kmprztmjvprxs7cbhqgtxbikkoftk4caozszdabcnbvosas",
    "bafk2bzacectjhaxiy66w732cjhrciiwju7lslwii5txihqpmtbldmi2dsxo4w",
    "bafk2bzacec2jq75qmygdzgsbdilsfb6km2k2zko2gtcupnsexm7nt7lpwzk5e",
    "bafk2bzaceab2s2lw5reanpb4snxlwp3gxnbia3zgrfjz4uhdfco2v3uvtvm7o",
    "bafk2bzacedfvut2myeleyq67fljcrw4kkmn5pb5dpyozovj7jpoez5irnc3ro",
    "bafk2bzaceczoujfzxbd545thqczctcfza44marpmy2w3ykdw2tjatvwjd553i",
    "bafk2bzacedfkflqrpu2rrel25r7qxeadfkl2wj4nicd3lam762zwcgfgbpswy",
    "bafk2bzaceavjbtw4kchzkl3ev5f5gtvj47kmrcnm5p5qp2q7djb7gehqphbna",
];

/// The published manifest CID of the devnet bundle v17.0.0.
pub const DEVNET_V17_MANIFEST: &str =
    "bafy2bzaceasvgkke3j4cs3xsxnjswpcdmokkvkiehzxzcgfox3ozlehimbuqk";

/// A bundle's Code CIDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    codes: [Cid; 16],
}

impl Manifest {
    /// The devnet bundle of builtin-actors v17.0.0.
    pub fn devnet() -> Self {
        // The table is a constant checked by the tests: a parse failure is
        // a bug in this file, not bad input.
        let codes = DEVNET_V17.map(|s| Cid::from_str(s).expect("a valid Code CID in the table"));
        Manifest { codes }
    }

    /// The Code CID of `kind`.
    pub fn code(&self, kind: ActorKind) -> Cid {
        self.codes[kind as usize]
    }

    /// The type whose code is `code`, if it is one of this bundle's.
    pub fn kind_of(&self, code: &Cid) -> Option<ActorKind> {
        self.codes
            .iter()
            .position(|c| c == code)
            .map(|i| ActorKind::ALL[i])
    }

    /// `(name, code)` for every type, in the bundle's order.
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, Cid)> + '_ {
        ActorKind::ALL.iter().map(|k| (k.name(), self.code(*k)))
    }

    /// Writes the manifest's blocks (its data block and `[1, data]`) to
    /// `store`; returns `(manifest, data)`. The system actor's state points
    /// at the data block, as Lotus's genesis sets it.
    pub fn put<BS: Blockstore>(&self, store: &BS) -> Result<(Cid, Cid)> {
        let pairs: Vec<(&str, Cid)> = self.entries().collect();
        let data = store
            .put_cbor(&pairs, Code::Blake2b256)
            .map_err(store_err)?;
        let manifest = store
            .put_cbor(&(1u64, data), Code::Blake2b256)
            .map_err(store_err)?;
        Ok((manifest, data))
    }
}

/// The Code CID of a type not in the table, for errors.
pub(crate) fn unknown_code(code: &Cid) -> ChainError {
    ChainError::State(format!("actor code {code} is not in the devnet manifest"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fvm_ipld_blockstore::MemoryBlockstore;

    #[test]
    fn the_rebuilt_manifest_is_the_published_one() {
        let store = MemoryBlockstore::new();
        let (manifest, data) = Manifest::devnet().put(&store).expect("put");
        assert_eq!(manifest.to_string(), DEVNET_V17_MANIFEST);
        // The data block's CID, as in builtin-actors-devnet.car of the bundle.
        assert_eq!(
            data.to_string(),
            "bafy2bzacebtphhsu3tbrybn4gmjbbwhwhviwmeln4vgxhq7iuttfxzeryxvo4"
        );
    }

    #[test]
    fn codes_map_back_to_their_kind() {
        let m = Manifest::devnet();
        for k in ActorKind::ALL {
            assert_eq!(m.kind_of(&m.code(k)), Some(k));
        }
        assert_eq!(m.kind_of(&Cid::default()), None);
    }
}
