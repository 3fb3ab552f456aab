//! [`LocalWallet`]: keys encrypted at rest, unlocked in memory, signing that checks what it signs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{Mutex, RwLock};
use venus_core::crypto::{KeyInfo, PrivateKey};
use venus_core::traits::RemoteSigner;
use venus_core::types::MsgMeta;
use venus_core::{Address, Signature, SignatureType};
use venus_sql::now_ms;
use zeroize::Zeroizing;

use crate::check::check;
use crate::crypt::{decrypt, encrypt, EncryptedKey, KdfParams};
use crate::db::{json, WalletDb};
use crate::policy::Caller;
use crate::record::SignRecord;
use crate::store::{KeySnapshot, KeyStore, StoredKey};
use crate::{Result, WalletError};

const CANARY: &[u8] = b"venus-wallet password check";

#[derive(Default)]
struct Unlocked {
    password: Option<Zeroizing<Vec<u8>>>,
    /// The stored password check that `password` opened: a key is stored
    /// only while the database still holds it.
    canary: Option<String>,
    keys: HashMap<Address, PrivateKey>,
}

/// What an unlock found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlockReport {
    /// Keys now usable.
    pub keys: usize,
    /// Entries that failed to open, with why; every other key works.
    pub corrupt: Vec<(String, String)>,
}

/// A wallet over a [`WalletDb`]. Locked when opened.
///
/// The password is never written anywhere; while unlocked it is held in
/// memory (to encrypt new keys) with the decrypted keys, and both are zeroized
/// on [`LocalWallet::lock`] and on drop. scrypt runs on blocking threads.
///
/// The operations that change the keys or the password (`set_password`,
/// `unlock`, `new_key`, `add_key`, `delete`) run one at a time; signing runs
/// beside them. `lock` takes effect at once: an unlock it overtakes fails with
/// [`WalletError::LockedMeanwhile`], and a password change or a new key it
/// overtakes is stored but leaves no key in memory. Across processes on one database, a key is
/// stored only under the password the database currently checks, and a
/// password change re-encrypts exactly the keys the database holds.
pub struct LocalWallet {
    db: WalletDb,
    keys: Arc<dyn KeyStore>,
    kdf: KdfParams,
    state: RwLock<Unlocked>,
    /// Serializes the changes of keys and password.
    changes: Mutex<()>,
    /// Locks so far: an unlock that a lock overtook does not unlock.
    locks: AtomicU64,
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WalletError::Invalid(format!("worker failed: {e}")))?
}

/// `bls`, `secp256k1` (or `secp`); otherwise the message to show.
pub(crate) fn parse_key_type(s: &str) -> std::result::Result<SignatureType, String> {
    match s {
        "bls" => Ok(SignatureType::BLS),
        "secp256k1" | "secp" => Ok(SignatureType::Secp256k1),
        other => Err(format!("unknown key type {other:?}: use bls or secp256k1")),
    }
}

fn type_code(t: SignatureType) -> u8 {
    t as u8
}

/// How often a password change re-reads and re-encrypts when another process
/// keeps changing the keys under it.
const REKEY_ATTEMPTS: usize = 8;

/// What [`open_all`] found.
struct Opened {
    keys: HashMap<Address, PrivateKey>,
    /// Entries that do not open, with why.
    corrupt: Vec<(String, String)>,
    /// Each opened key's address as the database spells it (its network
    /// prefix may differ from this process's).
    rows: Vec<(String, Address)>,
}

/// Opens every key of `snap` with `pw`.
fn open_all(pw: &[u8], snap: &KeySnapshot) -> Result<Opened> {
    let canary: EncryptedKey = match &snap.canary {
        Some(s) => serde_json::from_str(s)
            .map_err(|e| WalletError::Corrupt(format!("password check: {e}")))?,
        None => return Err(WalletError::NoPassword),
    };
    decrypt(pw, &canary)?;
    let mut opened = Opened {
        keys: HashMap::new(),
        corrupt: Vec::new(),
        rows: Vec::new(),
    };
    for k in &snap.keys {
        match open_entry(pw, &k.address, k.key_type, &k.entry) {
            Ok((a, key)) => {
                opened.keys.insert(a, key);
                opened.rows.push((k.address.clone(), a));
            }
            Err(e) => opened.corrupt.push((k.address.clone(), e.to_string())),
        }
    }
    Ok(opened)
}

impl LocalWallet {
    /// A locked wallet over `db` (keys in its [`WalletDb::key_store`]); new
    /// keys are encrypted with `kdf`.
    pub fn new(db: WalletDb, kdf: KdfParams) -> Self {
        let keys = Arc::new(db.key_store());
        Self::with_key_store(db, keys, kdf)
    }

    /// A locked wallet keeping its keys in `keys` and its policies and sign
    /// records in `db`.
    pub fn with_key_store(db: WalletDb, keys: Arc<dyn KeyStore>, kdf: KdfParams) -> Self {
        LocalWallet {
            db,
            keys,
            kdf,
            state: RwLock::new(Unlocked::default()),
            changes: Mutex::new(()),
            locks: AtomicU64::new(0),
        }
    }

    /// The database (policies, groups, bindings, records).
    pub fn db(&self) -> &WalletDb {
        &self.db
    }

    /// Whether a password has been set.
    pub async fn has_password(&self) -> Result<bool> {
        Ok(self.keys.password_check().await?.is_some())
    }

    /// Whether the wallet is locked.
    pub async fn is_locked(&self) -> bool {
        self.state.read().await.password.is_none()
    }

    /// Sets the first password, or changes it (`old` must open the wallet);
    /// every key the database holds is re-encrypted under the new one, in one
    /// transaction. Leaves the wallet unlocked, unless a [`LocalWallet::lock`]
    /// came meanwhile.
    pub async fn set_password(&self, old: Option<&str>, new: &str) -> Result<()> {
        if new.is_empty() {
            return Err(WalletError::Invalid(
                "the password must not be empty".into(),
            ));
        }
        let _one = self.changes.lock().await;
        let locks = self.locks.load(Ordering::SeqCst);
        let kdf = self.kdf;
        let new_pw = Zeroizing::new(new.as_bytes().to_vec());
        let old_pw = old.map(|o| Zeroizing::new(o.as_bytes().to_vec()));
        for _ in 0..REKEY_ATTEMPTS {
            let snap = self.keys.snapshot().await?;
            let (pw, old_pw, snap2) = (new_pw.clone(), old_pw.clone(), snap.clone());
            let rekeyed = blocking(move || {
                let opened = match (&snap2.canary, &old_pw) {
                    (None, _) if snap2.keys.is_empty() => Opened {
                        keys: HashMap::new(),
                        corrupt: Vec::new(),
                        rows: Vec::new(),
                    },
                    (None, _) => {
                        return Err(WalletError::Corrupt(
                            "keys are stored but no password check: repair the database".into(),
                        ))
                    }
                    (Some(_), None) => return Err(WalletError::WrongPassword),
                    (Some(_), Some(old)) => {
                        let opened = open_all(old, &snap2)?;
                        if !opened.corrupt.is_empty() {
                            return Err(WalletError::Corrupt(format!(
                                "{} entries do not open; repair or delete them before changing the password",
                                opened.corrupt.len()
                            )));
                        }
                        opened
                    }
                };
                let entries = opened
                    .rows
                    .iter()
                    .map(|(row, a)| {
                        let key = opened.keys.get(a).ok_or_else(|| {
                            WalletError::Corrupt(format!("key {row} opened but not kept"))
                        })?;
                        Ok((row.clone(), encrypt(&pw, key.bytes(), kdf)?))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok((opened.keys, entries, encrypt(&pw, CANARY, kdf)?))
            })
            .await?;
            let (keys, entries, canary) = rekeyed;
            let stored = entries
                .iter()
                .map(|(a, e)| Ok((a.clone(), json(e)?)))
                .collect::<Result<Vec<_>>>()?;
            if !self
                .keys
                .replace_keys(&snap, &stored, &json(&canary)?)
                .await?
            {
                tracing::info!(target: "venus::wallet", "keys changed during the password change; re-encrypting again");
                continue;
            }
            let canary =
                serde_json::to_string(&canary).map_err(|e| WalletError::Invalid(e.to_string()))?;
            let mut st = self.state.write().await;
            if self.locks.load(Ordering::SeqCst) != locks {
                tracing::info!(target: "venus::wallet", "password set; the wallet was locked meanwhile and stays locked");
                return Ok(());
            }
            *st = Unlocked {
                password: Some(new_pw),
                canary: Some(canary),
                keys,
            };
            tracing::info!(target: "venus::wallet", keys = entries.len(), "password set");
            return Ok(());
        }
        Err(WalletError::Invalid(format!(
            "the keys kept changing during the password change ({REKEY_ATTEMPTS} attempts): \
             stop other venus-wallet processes on this repo and try again"
        )))
    }

    /// Opens every key with `password`. A wrong password opens nothing; a
    /// damaged entry is reported and skipped, and the others are usable.
    pub async fn unlock(&self, password: &str) -> Result<UnlockReport> {
        let _one = self.changes.lock().await;
        let locks = self.locks.load(Ordering::SeqCst);
        let snap = self.keys.snapshot().await?;
        let canary = snap.canary.clone();
        let pw = Zeroizing::new(password.as_bytes().to_vec());
        let pw2 = pw.clone();
        let Opened { keys, corrupt, .. } = blocking(move || open_all(&pw2, &snap)).await?;
        for (a, why) in &corrupt {
            tracing::error!(target: "venus::wallet", address = %a, reason = %why, "keystore entry does not open; other keys unaffected");
        }
        let report = UnlockReport {
            keys: keys.len(),
            corrupt,
        };
        let mut st = self.state.write().await;
        if self.locks.load(Ordering::SeqCst) != locks {
            return Err(WalletError::LockedMeanwhile);
        }
        *st = Unlocked {
            password: Some(pw),
            canary,
            keys,
        };
        Ok(report)
    }

    /// Forgets the password and every decrypted key (zeroized), at once: it
    /// does not wait for an unlock or a password change in progress, which
    /// then leave the wallet locked.
    pub async fn lock(&self) {
        let mut st = self.state.write().await;
        self.locks.fetch_add(1, Ordering::SeqCst);
        *st = Unlocked::default();
    }

    /// Generates a key from OS randomness and stores it encrypted.
    pub async fn new_key(&self, t: SignatureType) -> Result<Address> {
        self.add_key(PrivateKey::generate(t)).await
    }

    /// Imports a key (e.g. from [`KeyInfo::from_lotus_export`]).
    pub async fn add_key(&self, key: PrivateKey) -> Result<Address> {
        let _one = self.changes.lock().await;
        let locks = self.locks.load(Ordering::SeqCst);
        let (pw, canary) = {
            let st = self.state.read().await;
            match (&st.password, &st.canary) {
                (Some(pw), Some(c)) => (pw.clone(), c.clone()),
                _ => return Err(WalletError::Locked),
            }
        };
        let addr = key.address()?;
        let kdf = self.kdf;
        let k2 = key.clone();
        let entry = blocking(move || encrypt(&pw, k2.bytes(), kdf)).await?;
        let stored = StoredKey {
            address: addr.to_string(),
            key_type: type_code(key.key_type()),
            entry: json(&entry)?,
        };
        self.keys.insert_key(&stored, &canary).await?;
        let mut st = self.state.write().await;
        // Stored under the password it was unlocked with; kept in memory only
        // if no lock came meanwhile.
        if self.locks.load(Ordering::SeqCst) == locks {
            st.keys.insert(addr, key);
        }
        drop(st);
        tracing::info!(target: "venus::wallet", address = %addr, "key added");
        Ok(addr)
    }

    /// Lotus's KeyInfo of a key (unlocked wallet only).
    pub async fn export(&self, addr: &Address) -> Result<KeyInfo> {
        let st = self.state.read().await;
        if st.password.is_none() {
            return Err(WalletError::Locked);
        }
        let key = st
            .keys
            .get(addr)
            .ok_or_else(|| WalletError::UnknownAddress(addr.to_string()))?;
        Ok(KeyInfo::from_private_key(key))
    }

    /// Deletes a key; unknown addresses are an error.
    pub async fn delete(&self, addr: &Address) -> Result<()> {
        let _one = self.changes.lock().await;
        if self.is_locked().await {
            return Err(WalletError::Locked);
        }
        if !self.keys.delete_key(&addr.to_string()).await? {
            return Err(WalletError::UnknownAddress(addr.to_string()));
        }
        self.state.write().await.keys.remove(addr);
        Ok(())
    }

    /// Stored addresses (works while locked).
    pub async fn addresses(&self) -> Result<Vec<Address>> {
        self.keys
            .snapshot()
            .await?
            .keys
            .iter()
            .map(|k| Ok(venus_core::address::parse(&k.address)?))
            .collect()
    }

    /// Checks, applies the caller's policy, signs, and records the outcome.
    pub async fn sign_as(
        &self,
        caller: &Caller,
        addr: &Address,
        data: &[u8],
        meta: &MsgMeta,
    ) -> Result<Signature> {
        let outcome = self.try_sign(caller, addr, data, meta).await;
        let (object, result) = match outcome {
            Ok((object, sig)) => (object, Ok(sig)),
            Err((object, e)) => (object, Err(e)),
        };
        let record = SignRecord {
            at_ms: now_ms(),
            caller: caller.label(),
            address: addr.to_string(),
            msg_type: meta.msg_type,
            object,
            ok: result.is_ok(),
            error: result.as_ref().err().map(|e| e.to_string()),
        };
        if let Err(e) = self.db.insert_record(&record).await {
            tracing::error!(target: "venus::wallet", error = %e, "could not record a signature; refusing it");
            return Err(e);
        }
        if let Err(e) = &result {
            tracing::warn!(target: "venus::wallet", caller = %record.caller, address = %addr, msg_type = ?meta.msg_type, error = %e, "signature refused");
        }
        result
    }

    async fn try_sign(
        &self,
        caller: &Caller,
        addr: &Address,
        data: &[u8],
        meta: &MsgMeta,
    ) -> std::result::Result<(String, Signature), (String, WalletError)> {
        let unchecked = hex::encode(venus_core::encoding::blake2b_256(data));
        let signed = check(addr, data, meta).map_err(|e| (unchecked.clone(), e))?;
        let object = signed.object.clone();
        if !caller.admin {
            let policies = match &caller.name {
                Some(n) => self
                    .db
                    .policies_for(n)
                    .await
                    .map_err(|e| (object.clone(), e))?,
                None => Vec::new(),
            };
            if policies.is_empty() {
                return Err((
                    object,
                    WalletError::PolicyDenied(format!(
                        "no policy is bound to caller {}",
                        caller.label()
                    )),
                ));
            }
            let refusals: Vec<String> = policies
                .iter()
                .filter_map(|p| p.refuses(addr, meta.msg_type, signed.method))
                .collect();
            if refusals.len() == policies.len() {
                return Err((object, WalletError::PolicyDenied(refusals.join("; "))));
            }
        }
        let key = {
            let st = self.state.read().await;
            if st.password.is_none() {
                return Err((object, WalletError::Locked));
            }
            match st.keys.get(addr) {
                Some(key) => key.clone(),
                None => return Err((object, WalletError::UnknownAddress(addr.to_string()))),
            }
        };
        // What the signature covers: the checked bytes, or for Venus's
        // drawrandomparam form the digest of the params they hold.
        let data = meta
            .sign_bytes(data)
            .map_err(|e| (object.clone(), e.into()))?;
        // Signed with the state lock released. A BLS signature (~270 µs of
        // CPU, more on a busy machine) runs on a blocking thread: inline, it
        // queued the runtime's other tasks (the sign-record writer among them)
        // behind every signature, and 64 concurrent signers lost a fifth of
        // their throughput to the records. A secp256k1 one (~70 µs) costs less
        // than the hand-off (+75 µs measured through the daemon), so it stays
        // inline.
        let signed = match key.key_type() {
            SignatureType::BLS => tokio::task::spawn_blocking(move || key.sign(&data))
                .await
                .map_err(|e| WalletError::Invalid(format!("signing task failed: {e}"))),
            SignatureType::Secp256k1 => Ok(key.sign(&data)),
        };
        match signed {
            Ok(Ok(sig)) => Ok((object, sig)),
            Ok(Err(e)) => Err((object, e.into())),
            Err(e) => Err((object, e)),
        }
    }
}

fn open_entry(pw: &[u8], addr: &str, t: u8, entry: &str) -> Result<(Address, PrivateKey)> {
    let e: EncryptedKey = serde_json::from_str(entry)
        .map_err(|e| WalletError::Corrupt(format!("entry is not valid JSON: {e}")))?;
    let bytes = decrypt(pw, &e).map_err(|e| match e {
        // The canary opened with this password, so a MAC failure here means the entry changed.
        WalletError::WrongPassword => {
            WalletError::Corrupt("entry fails its MAC: tampered or truncated".into())
        }
        other => other,
    })?;
    let key_type = match t {
        1 => SignatureType::Secp256k1,
        2 => SignatureType::BLS,
        other => return Err(WalletError::Corrupt(format!("unknown key type {other}"))),
    };
    let key = PrivateKey::from_bytes(key_type, &bytes)?;
    let derived = key.address()?;
    if derived.to_string().get(1..) != addr.get(1..) {
        return Err(WalletError::Corrupt(format!(
            "entry holds the key of {derived}, not {addr}"
        )));
    }
    Ok((derived, key))
}

/// In-process signing as the local (admin) caller.
#[async_trait]
impl RemoteSigner for LocalWallet {
    async fn sign(
        &self,
        addr: &Address,
        data: &[u8],
        meta: &MsgMeta,
    ) -> venus_core::Result<Signature> {
        Ok(self.sign_as(&Caller::local(), addr, data, meta).await?)
    }

    async fn has(&self, addr: &Address) -> venus_core::Result<bool> {
        Ok(self.addresses().await?.contains(addr))
    }

    async fn list(&self) -> venus_core::Result<Vec<Address>> {
        Ok(self.addresses().await?)
    }
}
