//! The messager's wire types, with the names and JSON of Venus's
//! (`venus-shared/types/messager/*.go`).

use cid::Cid;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use venus_core::json::{lotus_json, Lotus};
use venus_core::shared::receipt::Receipt;
use venus_core::types::TipSetKey;
use venus_core::{Address, ChainEpoch, Signature, TokenAmount};

use crate::time::rfc3339_ms;

/// Where a message stands, with Venus's names and numbers
/// (`message.go`: `UnKnown` 0 … `NonceConflictMsg` 5); JSON as the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageState {
    /// Accepted and stored; no nonce, gas or signature yet (`UnFillMsg`).
    Unfilled = 1,
    /// Nonce and gas set and persisted, signature set or being asked for;
    /// pushed, or to be pushed (`FillMsg`).
    Filled = 2,
    /// Executed on chain, with its receipt (`OnChainMsg`).
    OnChain = 3,
    /// Given up, with the reason (`FailedMsg`).
    Failed = 4,
    /// Another message with the same sender and nonce landed
    /// (`NonceConflictMsg`).
    NonceConflict = 5,
}

impl MessageState {
    /// The state Venus numbers `n`.
    pub fn from_code(n: i64) -> Option<Self> {
        Some(match n {
            1 => Self::Unfilled,
            2 => Self::Filled,
            3 => Self::OnChain,
            4 => Self::Failed,
            5 => Self::NonceConflict,
            _ => return None,
        })
    }

    /// Venus's number for the state.
    pub fn code(self) -> i64 {
        self as i64
    }

    /// Whether the message's life is over (nothing will change it but an
    /// operator or a reorg).
    pub fn is_final(self) -> bool {
        matches!(self, Self::OnChain | Self::Failed | Self::NonceConflict)
    }

    /// Every state.
    pub const ALL: [MessageState; 5] = [
        Self::Unfilled,
        Self::Filled,
        Self::OnChain,
        Self::Failed,
        Self::NonceConflict,
    ];
}

impl std::fmt::Display for MessageState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unfilled => "unfilled",
            Self::Filled => "filled",
            Self::OnChain => "on chain",
            Self::Failed => "failed",
            Self::NonceConflict => "nonce conflict",
        })
    }
}

impl std::str::FromStr for MessageState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let lower = s.to_ascii_lowercase().replace(['_', '-', ' '], "");
        Ok(match lower.as_str() {
            "unfilled" | "unfillmsg" | "1" => Self::Unfilled,
            "filled" | "fillmsg" | "2" => Self::Filled,
            "onchain" | "onchainmsg" | "3" => Self::OnChain,
            "failed" | "failedmsg" | "4" => Self::Failed,
            "nonceconflict" | "nonceconflictmsg" | "5" => Self::NonceConflict,
            _ => return Err(format!("unknown message state {s:?}")),
        })
    }
}

impl Serialize for MessageState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.code())
    }
}

impl<'de> Deserialize<'de> for MessageState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        Self::from_code(n).ok_or_else(|| serde::de::Error::custom(format!("unknown state {n}")))
    }
}

/// Whether an address is switched on (Venus's `AddressState`: `Alive` 1,
/// `Forbbiden` 4); JSON as the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressState {
    /// Its messages are filled and sent.
    Alive = 1,
    /// Its messages are held; new ones are still accepted.
    Forbidden = 4,
}

impl AddressState {
    /// The state Venus numbers `n`.
    pub fn from_code(n: i64) -> Option<Self> {
        match n {
            1 => Some(Self::Alive),
            4 => Some(Self::Forbidden),
            _ => None,
        }
    }

    /// Venus's number for the state.
    pub fn code(self) -> i64 {
        self as i64
    }
}

impl Serialize for AddressState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.code())
    }
}

impl<'de> Deserialize<'de> for AddressState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        Self::from_code(n)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown address state {n}")))
    }
}

/// Fee rules; every field is optional. JSON names are Venus's (`FeeSpec`
/// of `actor_cfg.go`); as in Venus, a zero ratio or amount means "not set"
/// (the next rule in precedence decides).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeeSpec {
    /// The gas limit is the node's estimate of gas used times this.
    #[serde(
        rename = "gasOverEstimation",
        with = "opt_ratio",
        skip_serializing_if = "Option::is_none"
    )]
    pub gas_over_estimation: Option<f64>,
    /// The premium is the node's estimate times this.
    #[serde(
        rename = "gasOverPremium",
        with = "opt_ratio",
        skip_serializing_if = "Option::is_none"
    )]
    pub gas_over_premium: Option<f64>,
    /// The fee cap, instead of the node's estimate (attoFIL per gas).
    #[serde(
        rename = "gasFeeCap",
        with = "opt_atto",
        skip_serializing_if = "Option::is_none"
    )]
    pub gas_fee_cap: Option<TokenAmount>,
    /// The most the message may cost (fee cap × gas limit), attoFIL.
    #[serde(
        rename = "maxFee",
        with = "opt_atto",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_fee: Option<TokenAmount>,
    /// Messages are held (not filled) while the parent base fee is above
    /// this (attoFIL per gas).
    #[serde(
        rename = "baseFee",
        with = "opt_atto",
        skip_serializing_if = "Option::is_none"
    )]
    pub base_fee: Option<TokenAmount>,
}

impl FeeSpec {
    /// Each field of `self`, or of `fallback` where `self` has none.
    pub fn or(&self, fallback: &FeeSpec) -> FeeSpec {
        FeeSpec {
            gas_over_estimation: self.gas_over_estimation.or(fallback.gas_over_estimation),
            gas_over_premium: self.gas_over_premium.or(fallback.gas_over_premium),
            gas_fee_cap: self.gas_fee_cap.clone().or(fallback.gas_fee_cap.clone()),
            max_fee: self.max_fee.clone().or(fallback.max_fee.clone()),
            base_fee: self.base_fee.clone().or(fallback.base_fee.clone()),
        }
    }

    /// Checks the values: ratios finite and positive, amounts not negative.
    pub fn validate(&self) -> Result<(), String> {
        for (name, r) in [
            ("GasOverEstimation", self.gas_over_estimation),
            ("GasOverPremium", self.gas_over_premium),
        ] {
            if let Some(r) = r {
                if !r.is_finite() || r <= 0.0 {
                    return Err(format!("{name} must be a positive number, not {r}"));
                }
            }
        }
        for (name, a) in [
            ("GasFeeCap", &self.gas_fee_cap),
            ("MaxFee", &self.max_fee),
            ("BaseFee", &self.base_fee),
        ] {
            if a.as_ref().is_some_and(|a| a.is_negative()) {
                return Err(format!("{name} must not be negative"));
            }
        }
        Ok(())
    }

    /// Whether messages under this rule wait at `base_fee`.
    pub fn holds_at(&self, base_fee: &TokenAmount) -> bool {
        self.base_fee
            .as_ref()
            .is_some_and(|limit| !limit.is_zero() && base_fee > limit)
    }
}

/// The sender's own rules for one message (Venus's `SendSpec`): they come
/// first, before the address's, the actor method's and the global ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SendSpec {
    /// The fee rules for this message.
    #[serde(flatten)]
    pub fee: FeeSpec,
    /// The message fails (is not filled) once the head passes this epoch;
    /// 0 for never.
    #[serde(rename = "expireEpoch")]
    pub expire_epoch: ChainEpoch,
}

/// A message as the messager's API shows it (Venus's `types.Message` of
/// the messager: the message's fields flattened, as its `MarshalJSON`
/// writes them, around the messager's own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Message {
    /// The caller's id (a UUID).
    #[serde(rename = "ID")]
    pub id: String,
    /// The unsigned message's CID, once filled.
    #[serde(with = "lotus_json")]
    pub unsigned_cid: Option<Cid>,
    /// The CID the chain knows it by, once signed.
    #[serde(with = "lotus_json")]
    pub signed_cid: Option<Cid>,
    /// The message's version.
    #[serde(default)]
    pub version: u64,
    /// The recipient.
    #[serde(with = "lotus_json")]
    pub to: Address,
    /// The sender.
    #[serde(with = "lotus_json")]
    pub from: Address,
    /// The nonce (0 until filled).
    pub nonce: u64,
    /// The value, attoFIL.
    #[serde(with = "lotus_json")]
    pub value: TokenAmount,
    /// The gas limit (0 until filled, unless the sender set it).
    pub gas_limit: u64,
    /// The fee cap.
    #[serde(with = "lotus_json")]
    pub gas_fee_cap: TokenAmount,
    /// The premium.
    #[serde(with = "lotus_json")]
    pub gas_premium: TokenAmount,
    /// The method.
    pub method: u64,
    /// The parameters (base64).
    #[serde(with = "lotus_json", default)]
    pub params: venus_core::encoding::RawBytes,
    /// The signature, once signed.
    #[serde(with = "lotus_json")]
    pub signature: Option<Signature>,
    /// The executing tipset's height (0 until on chain).
    pub height: i64,
    /// Tipsets on top of the executing one when last looked at.
    pub confidence: i64,
    /// The receipt, once on chain.
    #[serde(with = "lotus_json")]
    pub receipt: Option<Receipt>,
    /// The executing tipset (empty until on chain).
    #[serde(with = "lotus_json", default)]
    pub tip_set_key: TipSetKey,
    /// The sender's rules.
    pub meta: Option<SendSpec>,
    /// The account (venus-auth user) that pushed it.
    pub wallet_name: String,
    /// Where it stands.
    pub state: MessageState,
    /// Why it failed, or the last error met while filling it.
    pub error_msg: String,
    /// When it was accepted (Unix ms; RFC 3339 on the wire).
    #[serde(with = "rfc3339_ms")]
    pub created_at: i64,
    /// When it last changed (Unix ms; RFC 3339 on the wire).
    #[serde(with = "rfc3339_ms")]
    pub updated_at: i64,
}

impl Message {
    /// The message itself (the chain's form).
    pub fn message(&self) -> venus_core::Message {
        venus_core::Message {
            version: self.version,
            from: self.from,
            to: self.to,
            sequence: self.nonce,
            value: self.value.clone(),
            method_num: self.method,
            params: self.params.clone(),
            gas_limit: self.gas_limit,
            gas_fee_cap: self.gas_fee_cap.clone(),
            gas_premium: self.gas_premium.clone(),
        }
    }
}

/// Which messages `ListMessage` returns (Venus's `MsgQueryParams`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MsgQueryParams {
    /// Only these states (all when empty or null).
    pub state: Option<Vec<MessageState>>,
    /// Only from these senders (all when empty or null).
    pub from: Option<Vec<Lotus<Address>>>,
    /// Only messages changed at or after this time (RFC 3339).
    pub by_update_at: Option<String>,
    /// Oldest change first (default: newest change first).
    pub asc: bool,
    /// At most this many (all when 0).
    pub limit: u64,
    /// Skipping this many.
    pub offset: u64,
}

/// `ReplaceMessage`'s parameters (Venus's `ReplacMessageParams`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ReplaceMessageParams {
    /// The message.
    #[serde(rename = "ID")]
    pub id: String,
    /// Re-estimate the gas (the premium at least the node's
    /// replace-by-fee minimum); otherwise take the values given here.
    pub auto: bool,
    /// The most the replacement may cost (attoFIL; "0" or null: the
    /// message's rules).
    #[serde(with = "opt_atto", skip_serializing_if = "Option::is_none")]
    pub max_fee: Option<TokenAmount>,
    /// The gas limit (0: keep it).
    pub gas_limit: i64,
    /// The premium (without `auto`; at least the replace-by-fee minimum).
    #[serde(with = "opt_atto", skip_serializing_if = "Option::is_none")]
    pub gas_premium: Option<TokenAmount>,
    /// The fee cap (without `auto`).
    #[serde(with = "opt_atto", skip_serializing_if = "Option::is_none")]
    pub gas_feecap: Option<TokenAmount>,
    /// With `auto`: the premium is the estimate times this.
    pub gas_over_premium: f64,
}

/// A UUID made from `name` (its BLAKE2b-256, version and variant bits
/// set): the `types.UUID` ids Venus's Go types decode, the same for the
/// same name on every instance.
pub fn uuid_of(name: &str) -> String {
    let h = venus_core::encoding::blake2b_256(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x: String = b.iter().map(|v| format!("{v:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// An address the messager sends from (Venus's `Address` of the messager).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressInfo {
    /// The row's id: a UUID made from the address ([`uuid_of`]).
    pub id: String,
    /// The address.
    #[serde(with = "lotus_json")]
    pub addr: Address,
    /// The next nonce the messager gives.
    pub nonce: u64,
    /// Reserved (0, as in Venus).
    pub weight: i64,
    /// Whether it is switched on.
    pub state: AddressState,
    /// How many messages to fill per head (0: the shared setting).
    #[serde(rename = "selMsgNum")]
    pub sel_msg_num: u64,
    /// Its fee rules.
    #[serde(flatten)]
    pub fee: FeeSpec,
    /// -1: not deleted (Venus's `IsDeleted`).
    #[serde(rename = "isDeleted")]
    pub is_deleted: i64,
    /// The messager instance serving it now (empty: none); our addition.
    #[serde(default)]
    pub owner: String,
    /// When the row was made (not kept: the zero time).
    #[serde(rename = "createAt", with = "rfc3339_ms")]
    pub created_at: i64,
    /// When it last changed.
    #[serde(rename = "updateAt", with = "rfc3339_ms")]
    pub updated_at: i64,
}

/// `SetFeeParams`' parameters (Venus's `AddressSpec`): amounts as
/// attoFIL text, empty for "not set".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressSpec {
    /// The address.
    #[serde(with = "lotus_json")]
    pub address: Address,
    /// See [`FeeSpec::gas_over_estimation`] (0: not set).
    #[serde(rename = "gasOverEstimation", default)]
    pub gas_over_estimation: f64,
    /// See [`FeeSpec::gas_over_premium`] (0: not set).
    #[serde(rename = "gasOverPremium", default)]
    pub gas_over_premium: f64,
    /// See [`FeeSpec::max_fee`].
    #[serde(rename = "maxFeeStr", default)]
    pub max_fee_str: String,
    /// See [`FeeSpec::gas_fee_cap`].
    #[serde(rename = "gasFeeCapStr", default)]
    pub gas_fee_cap_str: String,
    /// See [`FeeSpec::base_fee`].
    #[serde(rename = "baseFeeStr", default)]
    pub base_fee_str: String,
}

impl AddressSpec {
    /// `current` with the fields this spec gives changed, as Venus's
    /// `SetFeeParams` does: a ratio above 0 or a non-empty amount sets the
    /// field, an amount of `"0"` clears it, what is left empty stays.
    pub fn update(&self, current: &FeeSpec) -> Result<FeeSpec, String> {
        let given = self.fee()?;
        let amount = |s: &str, set: &Option<TokenAmount>, old: &Option<TokenAmount>| {
            if s.is_empty() {
                old.clone()
            } else {
                set.clone()
            }
        };
        let fee = FeeSpec {
            gas_over_estimation: given.gas_over_estimation.or(current.gas_over_estimation),
            gas_over_premium: given.gas_over_premium.or(current.gas_over_premium),
            gas_fee_cap: amount(
                &self.gas_fee_cap_str,
                &given.gas_fee_cap,
                &current.gas_fee_cap,
            ),
            max_fee: amount(&self.max_fee_str, &given.max_fee, &current.max_fee),
            base_fee: amount(&self.base_fee_str, &given.base_fee, &current.base_fee),
        };
        fee.validate()?;
        Ok(fee)
    }

    /// The rules it sets.
    pub fn fee(&self) -> Result<FeeSpec, String> {
        let amount = |name: &str, s: &str| -> Result<Option<TokenAmount>, String> {
            if s.is_empty() {
                return Ok(None);
            }
            let a = <TokenAmount as venus_core::json::LotusJson>::from_lotus_json(s.to_string())
                .map_err(|e| format!("{name} {s:?}: {e}"))?;
            Ok(Some(a).filter(|a| !a.is_zero()))
        };
        let ratio = |r: f64| Some(r).filter(|r| *r != 0.0);
        let fee = FeeSpec {
            gas_over_estimation: ratio(self.gas_over_estimation),
            gas_over_premium: ratio(self.gas_over_premium),
            gas_fee_cap: amount("gasFeeCapStr", &self.gas_fee_cap_str)?,
            max_fee: amount("maxFeeStr", &self.max_fee_str)?,
            base_fee: amount("baseFeeStr", &self.base_fee_str)?,
        };
        fee.validate()?;
        Ok(fee)
    }
}

/// The messager's global settings (Venus's `SharedSpec`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SharedSpec {
    /// Always 1 (one row).
    pub id: u64,
    /// How many messages of one address may wait filled but not on chain.
    #[serde(rename = "selMsgNum")]
    pub sel_msg_num: u64,
    /// The global fee rules.
    #[serde(flatten)]
    pub fee: FeeSpec,
}

/// A node messages are pushed to (Venus's `Node`). Its `Debug` shows no
/// token.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Node {
    /// A UUID made from the name ([`uuid_of`]).
    #[serde(rename = "ID")]
    pub id: String,
    /// Its name (unique).
    pub name: String,
    /// Its address (`/ip4/…/tcp/…` or a URL).
    #[serde(rename = "URL")]
    pub url: String,
    /// Its token.
    pub token: String,
    /// 1: a full node, 2: a light node (Venus's `NodeType`).
    #[serde(rename = "Type")]
    pub node_type: i64,
    /// When it was saved (not kept: the zero time).
    #[serde(with = "rfc3339_ms")]
    pub created_at: i64,
    /// When it last changed (not kept: the zero time).
    #[serde(with = "rfc3339_ms")]
    pub updated_at: i64,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("url", &venus_rpc::redact_api_info(&self.url))
            .field("token", &(!self.token.is_empty()).then_some("<token>"))
            .field("node_type", &self.node_type)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// Ratios: a zero or null reads as "not set", as in Venus.
mod opt_ratio {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(r) => s.serialize_f64(*r),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.filter(|r| *r != 0.0))
    }
}

/// Amounts as attoFIL decimal strings (Lotus's JSON for `BigInt`); `"0"`,
/// `""` and null read as "not set", as in Venus.
mod opt_atto {
    use serde::{Deserialize, Deserializer, Serializer};
    use venus_core::json::LotusJson;
    use venus_core::TokenAmount;

    pub fn serialize<S: Serializer>(v: &Option<TokenAmount>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(a) => s.serialize_str(&a.atto().to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TokenAmount>, D::Error> {
        let Some(s) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        if s.is_empty() {
            return Ok(None);
        }
        let a = TokenAmount::from_lotus_json(s.clone())
            .map_err(|_| serde::de::Error::custom(format!("not an attoFIL amount: {s:?}")))?;
        Ok(Some(a).filter(|a| !a.is_zero()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn atto(n: u64) -> TokenAmount {
        TokenAmount::from_atto(n)
    }

    #[test]
    fn node_debug_shows_no_token() {
        let node = Node {
            name: "n".into(),
            url: "http://u:urlpassw0rd@h:1234/rpc/v1".into(),
            token: "n0detoken".into(),
            ..Default::default()
        };
        let shown = format!("{node:?}");
        assert!(
            !shown.contains("n0detoken") && !shown.contains("urlpassw0rd"),
            "{shown}"
        );
        assert!(
            shown.contains("<token>") && shown.contains("h:1234"),
            "{shown}"
        );
    }

    #[test]
    fn fee_rules_merge_field_by_field() {
        let msg = FeeSpec {
            max_fee: Some(atto(5)),
            ..Default::default()
        };
        let addr = FeeSpec {
            max_fee: Some(atto(7)),
            gas_over_premium: Some(2.0),
            ..Default::default()
        };
        let global = FeeSpec {
            gas_over_estimation: Some(1.5),
            gas_over_premium: Some(3.0),
            ..Default::default()
        };
        let merged = msg.or(&addr).or(&global);
        assert_eq!(merged.max_fee, Some(atto(5)));
        assert_eq!(merged.gas_over_premium, Some(2.0));
        assert_eq!(merged.gas_over_estimation, Some(1.5));
        assert_eq!(merged.gas_fee_cap, None);
    }

    #[test]
    fn fee_json_is_venus_s_and_zero_means_unset() {
        let spec = FeeSpec {
            gas_over_estimation: Some(1.25),
            max_fee: Some(atto(10)),
            ..Default::default()
        };
        let text = serde_json::to_string(&spec).expect("ok");
        assert_eq!(text, r#"{"gasOverEstimation":1.25,"maxFee":"10"}"#);
        assert_eq!(serde_json::from_str::<FeeSpec>(&text).expect("ok"), spec);
        assert!(serde_json::from_str::<FeeSpec>(r#"{"maxFee":"ten"}"#).is_err());
        // What a Go client sends for a SendSpec it left empty.
        let go =
            json!({"expireEpoch": 0, "gasOverEstimation": 0, "maxFee": "0", "gasOverPremium": 0});
        let spec: SendSpec = serde_json::from_value(go).expect("Go's zero SendSpec");
        assert_eq!(spec, SendSpec::default());
        assert!(spec.fee.validate().is_ok());
        assert!(FeeSpec {
            gas_over_premium: Some(f64::NAN),
            ..Default::default()
        }
        .validate()
        .is_err());
    }

    #[test]
    fn message_json_has_venus_s_flattened_fields() {
        let m = Message {
            id: "u-1".into(),
            unsigned_cid: None,
            signed_cid: None,
            version: 0,
            to: Address::new_id(100),
            from: Address::new_id(1000),
            nonce: 3,
            value: atto(1),
            gas_limit: 0,
            gas_fee_cap: atto(0),
            gas_premium: atto(0),
            method: 0,
            params: Default::default(),
            signature: None,
            height: 0,
            confidence: 0,
            receipt: None,
            tip_set_key: TipSetKey::default(),
            meta: Some(SendSpec::default()),
            wallet_name: "alice".into(),
            state: MessageState::Unfilled,
            error_msg: String::new(),
            created_at: 1_700_000_000_000,
            updated_at: 1_700_000_000_001,
        };
        let v = serde_json::to_value(&m).expect("json");
        for key in [
            "ID",
            "UnsignedCid",
            "SignedCid",
            "Version",
            "To",
            "From",
            "Nonce",
            "Value",
            "GasLimit",
            "GasFeeCap",
            "GasPremium",
            "Method",
            "Params",
            "Signature",
            "Height",
            "Confidence",
            "Receipt",
            "TipSetKey",
            "Meta",
            "WalletName",
            "State",
            "ErrorMsg",
            "CreatedAt",
            "UpdatedAt",
        ] {
            assert!(v.get(key).is_some(), "{key} missing from {v}");
        }
        assert_eq!(v["State"], json!(1));
        assert_eq!(v["From"], json!("f01000"));
        assert_eq!(v["CreatedAt"], json!("2023-11-14T22:13:20Z"));
        assert_eq!(v["TipSetKey"], json!([]));
        assert_eq!(serde_json::from_value::<Message>(v).expect("back"), m);
    }

    #[test]
    fn ids_are_uuids_go_decodes() {
        let id = uuid_of("f01000");
        assert_eq!(id, uuid_of("f01000"));
        assert_ne!(id, uuid_of("f01001"));
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert!(parts[2].starts_with('5'), "version 5: {id}");
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    }

    #[test]
    fn set_fee_params_changes_only_what_it_gives() {
        let current = FeeSpec {
            gas_over_estimation: Some(1.5),
            max_fee: Some(atto(10)),
            ..Default::default()
        };
        let spec = |max: &str, over: f64| AddressSpec {
            address: Address::new_id(1),
            gas_over_estimation: over,
            gas_over_premium: 0.0,
            max_fee_str: max.into(),
            gas_fee_cap_str: String::new(),
            base_fee_str: String::new(),
        };
        let only_max = spec("20", 0.0).update(&current).expect("update");
        assert_eq!(only_max.gas_over_estimation, Some(1.5));
        assert_eq!(only_max.max_fee, Some(atto(20)));
        let cleared = spec("0", 2.0).update(&current).expect("update");
        assert_eq!(
            (cleared.gas_over_estimation, cleared.max_fee),
            (Some(2.0), None)
        );
    }

    #[test]
    fn address_spec_amounts_are_checked() {
        let spec = AddressSpec {
            address: Address::new_id(1),
            gas_over_estimation: 1.5,
            gas_over_premium: 0.0,
            max_fee_str: "1000".into(),
            gas_fee_cap_str: String::new(),
            base_fee_str: String::new(),
        };
        let fee = spec.fee().expect("fee");
        assert_eq!(fee.max_fee, Some(atto(1000)));
        assert_eq!(fee.gas_over_premium, None);
        let bad = AddressSpec {
            max_fee_str: "lots".into(),
            ..spec.clone()
        };
        assert!(bad.fee().is_err());
        let negative = AddressSpec {
            gas_over_premium: -1.0,
            ..spec
        };
        assert!(negative.fee().is_err());
    }
}
