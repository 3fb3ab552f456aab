//! Lotus JSON: the serde forms Lotus's JSON-RPC uses.
//!
//! Filecoin types serialize to DAG-CBOR through their own `serde` impls, so
//! their JSON form lives beside them in the [`LotusJson`] trait: each type
//! names a mirror type that serializes exactly as Lotus does (PascalCase
//! fields, CIDs as `{"/": …}`, big integers as decimal strings, bytes as
//! base64, `null` where Go writes `nil`). [`Lotus`] wraps any such value for
//! `serde_json`, and [`lotus_json`] is the `#[serde(with = …)]` module for
//! fields.
//!
//! ```
//! use venus_core::json::Lotus;
//! use venus_core::address::Address;
//! let v = serde_json::to_value(Lotus(Address::new_id(1234))).unwrap();
//! assert_eq!(v, serde_json::json!("f01234"));
//! let back: Lotus<Address> = serde_json::from_value(v).unwrap();
//! assert_eq!(back.0, Address::new_id(1234));
//! ```

mod leaf;

use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize, Serializer};

pub use leaf::{CidJson, SignatureJson, MAX_BIGINT_DECIMAL_LEN};

/// A type with a Lotus JSON form.
pub trait LotusJson: Sized {
    /// The mirror type whose `serde` impls are Lotus's JSON.
    type Json: Serialize + DeserializeOwned;
    /// Converts to the mirror.
    fn to_lotus_json(&self) -> Self::Json;
    /// Converts back, validating what JSON alone cannot (e.g. a negative value).
    fn from_lotus_json(json: Self::Json) -> Result<Self, String>;
}

/// Wraps a value so that `serde` reads and writes its Lotus JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lotus<T>(pub T);

impl<T: LotusJson> Serialize for Lotus<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.to_lotus_json().serialize(s)
    }
}

impl<'de, T: LotusJson> Deserialize<'de> for Lotus<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let json = T::Json::deserialize(d)?;
        T::from_lotus_json(json)
            .map(Lotus)
            .map_err(serde::de::Error::custom)
    }
}

/// Serializes `value` as a Lotus JSON value.
pub fn to_value<T: LotusJson>(value: &T) -> crate::Result<serde_json::Value> {
    Ok(serde_json::to_value(value.to_lotus_json())?)
}

/// Parses a Lotus JSON value into `T`.
pub fn from_value<T: LotusJson>(value: serde_json::Value) -> crate::Result<T> {
    let json: T::Json = serde_json::from_value(value)?;
    T::from_lotus_json(json).map_err(crate::Error::Json)
}

/// Parses Lotus JSON text into `T`.
pub fn from_str<T: LotusJson>(text: &str) -> crate::Result<T> {
    let json: T::Json = serde_json::from_str(text)?;
    T::from_lotus_json(json).map_err(crate::Error::Json)
}

/// `#[serde(with = "venus_core::json::lotus_json")]` for a field of a [`LotusJson`] type.
pub mod lotus_json {
    use super::*;

    /// Serializes the field's Lotus JSON form.
    pub fn serialize<T: LotusJson, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        v.to_lotus_json().serialize(s)
    }

    /// Deserializes the field from its Lotus JSON form.
    pub fn deserialize<'de, T: LotusJson, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        T::from_lotus_json(T::Json::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A list that Lotus writes as `null` when empty (a Go `nil` slice decoded from CBOR).
pub mod nullable_vec {
    use super::*;

    /// Writes `null` for an empty list.
    pub fn serialize<T: LotusJson, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
        if v.is_empty() {
            return s.serialize_none();
        }
        s.collect_seq(v.iter().map(|x| x.to_lotus_json()))
    }

    /// Reads `null` as an empty list.
    pub fn deserialize<'de, T: LotusJson, D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        let v: Option<Vec<T::Json>> = Option::deserialize(d)?;
        v.unwrap_or_default()
            .into_iter()
            .map(|j| T::from_lotus_json(j).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// Bytes as base64 (standard alphabet, padded), `null` when empty as Go writes a nil slice.
pub mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes base64, or `null` for no bytes.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        if v.is_empty() {
            return s.serialize_none();
        }
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
    }

    /// Reads base64; `null` and `""` are empty.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        match s.as_deref() {
            None | Some("") => Ok(Vec::new()),
            Some(s) => base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| serde::de::Error::custom(format!("invalid base64: {e}"))),
        }
    }
}

macro_rules! plain_json {
    ($($t:ty),*) => {$(
        impl LotusJson for $t {
            type Json = $t;
            fn to_lotus_json(&self) -> $t { self.clone() }
            fn from_lotus_json(json: $t) -> Result<Self, String> { Ok(json) }
        }
    )*};
}
plain_json!(bool, u8, u64, i64, f64, String, serde_json::Value);

impl<T: LotusJson> LotusJson for Option<T> {
    type Json = Option<T::Json>;
    fn to_lotus_json(&self) -> Self::Json {
        self.as_ref().map(T::to_lotus_json)
    }
    fn from_lotus_json(json: Self::Json) -> Result<Self, String> {
        json.map(T::from_lotus_json).transpose()
    }
}

/// Lists serialize as arrays (`[]` when empty) and accept `null` as empty.
impl<T: LotusJson> LotusJson for Vec<T> {
    type Json = Option<Vec<T::Json>>;
    fn to_lotus_json(&self) -> Self::Json {
        Some(self.iter().map(T::to_lotus_json).collect())
    }
    fn from_lotus_json(json: Self::Json) -> Result<Self, String> {
        json.unwrap_or_default()
            .into_iter()
            .map(T::from_lotus_json)
            .collect()
    }
}

/// Declares the Lotus JSON mirror of a struct whose fields all have a Lotus
/// JSON form: one line per field gives the Lotus name and the `serde(with)`
/// module that writes it.
macro_rules! lotus_json_struct {
    ($(#[$m:meta])* $ty:ident => $json:ident {
        $($field:ident: $fty:ty = $name:literal via $with:literal,)*
    }) => {
        $(#[$m])*
        #[derive(serde::Serialize, serde::Deserialize)]
        #[allow(missing_docs)]
        pub struct $json {
            $(#[serde(rename = $name, with = $with)] pub $field: $fty,)*
        }
        impl $crate::json::LotusJson for $ty {
            type Json = $json;
            fn to_lotus_json(&self) -> $json {
                $json { $($field: self.$field.clone(),)* }
            }
            fn from_lotus_json(j: $json) -> Result<Self, String> {
                Ok($ty { $($field: j.$field,)* })
            }
        }
    };
}
pub(crate) use lotus_json_struct;

/// Gives a type whose own `serde` impls already are its Lotus JSON a [`LotusJson`] impl.
macro_rules! plain_json_enum {
    ($($t:ty),*) => {$(
        impl $crate::json::LotusJson for $t {
            type Json = $t;
            fn to_lotus_json(&self) -> $t { self.clone() }
            fn from_lotus_json(json: $t) -> Result<Self, String> { Ok(json) }
        }
    )*};
}
pub(crate) use plain_json_enum;
