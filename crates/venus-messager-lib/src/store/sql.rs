//! [`SqlMessageStore`]: the messager's store on venus-sql.

use async_trait::async_trait;
use cid::Cid;
use venus_core::encoding::{from_cbor, to_cbor};
use venus_core::types::TipSetKey;
use venus_core::{Address, ChainEpoch, Message, Signature};
use venus_sql::sqlx::{self, any::AnyRow, Row};
use venus_sql::{row, Db, GroupCommit, SqlError, Statement};

use super::{Landed, ListQuery, MessageStore, NodeEntry, Stats};
use crate::fee::FeeSpec;
use crate::{
    now_ms, AddressInfo, AddressState, MessageState, MessagerError, MsgRecord, Result, SendSpec,
};

const COLUMNS: &str = "id, message, spec, from_user, state, nonce, signature, signed_cid, \
                       unsigned_cid, replaced, receipt, height, tipset, error, filled_epoch, \
                       created_ms, updated_ms";

const ADDRESS_COLUMNS: &str = "addr, next_nonce, state, fee, sel_msg_num, owner, lease_until_ms";

/// The store on a database migrated with [`crate::MIGRATIONS`]. Cheap to
/// clone; clones share one group-commit writer for new messages.
#[derive(Debug, Clone)]
pub struct SqlMessageStore {
    db: Db,
    inserts: GroupCommit,
}

impl SqlMessageStore {
    /// The store on `db`. New messages are written through a group commit
    /// (concurrent pushes share one commit).
    pub fn new(db: Db) -> Self {
        let inserts = GroupCommit::new(db.clone(), 512);
        SqlMessageStore { db, inserts }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    async fn one(&self, filter: &str, arg: String) -> Result<Option<MsgRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM messager_messages WHERE {filter}");
        let mut q = sqlx::query(&sql);
        for _ in 0..filter.matches('?').count() {
            q = q.bind(arg.clone());
        }
        let r = q.fetch_optional(self.db.pool()).await?;
        r.map(|r| record(&r)).transpose()
    }

    async fn many(&self, sql: &str, args: Vec<Arg>) -> Result<Vec<MsgRecord>> {
        let mut q = sqlx::query(sql);
        for a in args {
            q = match a {
                Arg::I(v) => q.bind(v),
                Arg::S(v) => q.bind(v),
            };
        }
        let rows = q.fetch_all(self.db.pool()).await?;
        rows.iter().map(record).collect()
    }

    /// The filled message `id`, its row locked until `tx` ends; `what`
    /// names the transition refused when it is not filled.
    async fn locked_filled(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: &str,
        what: &'static str,
    ) -> Result<MsgRecord> {
        let sql = format!(
            "SELECT {COLUMNS} FROM messager_messages WHERE id = ?{}",
            self.db.backend().for_update()
        );
        let Some(r) = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await? else {
            return Err(MessagerError::NotFound(id.into()));
        };
        let old = record(&r)?;
        if old.state != MessageState::Filled {
            return Err(MessagerError::State {
                id: id.into(),
                state: old.state,
                what,
            });
        }
        Ok(old)
    }

    /// The state of `id`, as an error for a transition it does not allow.
    async fn refuse(&self, id: &str, what: &'static str) -> MessagerError {
        match self.get(id).await {
            Ok(Some(m)) => MessagerError::State {
                id: id.into(),
                state: m.state,
                what,
            },
            Ok(None) => MessagerError::NotFound(id.into()),
            Err(e) => e,
        }
    }
}

enum Arg {
    I(i64),
    S(String),
}

fn to_i64(n: u64, what: &str) -> Result<i64> {
    i64::try_from(n).map_err(|_| MessagerError::Invalid(format!("{what} {n} is too large")))
}

fn hex_cbor<T: serde::Serialize + ?Sized>(v: &T) -> Result<String> {
    Ok(hex::encode(
        to_cbor(v).map_err(|e| MessagerError::Invalid(e.to_string()))?,
    ))
}

fn un_hex_cbor<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    let bytes = hex::decode(s).map_err(|e| MessagerError::Corrupt(format!("{what}: {e}")))?;
    from_cbor(&bytes).map_err(|e| MessagerError::Corrupt(format!("{what}: {e}")))
}

fn cids_text(cids: &[Cid]) -> String {
    cids.iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_cids(s: &str, what: &str) -> Result<Vec<Cid>> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse()
                .map_err(|e| MessagerError::Corrupt(format!("{what}: {e}")))
        })
        .collect()
}

fn opt_cid(r: &AnyRow, i: usize, what: &str) -> Result<Option<Cid>> {
    match row::opt_text(r, i)? {
        Some(s) if !s.is_empty() => {
            Ok(Some(s.parse().map_err(|e| {
                MessagerError::Corrupt(format!("{what}: {e}"))
            })?))
        }
        _ => Ok(None),
    }
}

fn opt_int(r: &AnyRow, i: usize) -> Result<Option<i64>> {
    Ok(r.try_get::<Option<i64>, _>(i)
        .map_err(|e| SqlError::Corrupt(e.to_string()))?)
}

fn record(r: &AnyRow) -> Result<MsgRecord> {
    let id = row::text(r, 0)?;
    let message: Message = un_hex_cbor(&row::text(r, 1)?, "message")?;
    let spec: SendSpec = serde_json::from_str(&row::text(r, 2)?)
        .map_err(|e| MessagerError::Corrupt(format!("spec of {id}: {e}")))?;
    let state = MessageState::from_code(row::int(r, 4)?)
        .ok_or_else(|| MessagerError::Corrupt(format!("state of {id}")))?;
    let nonce = opt_int(r, 5)?.map(|n| n as u64);
    let signature = match row::opt_text(r, 6)? {
        Some(s) if !s.is_empty() => Some(un_hex_cbor::<Signature>(&s, "signature")?),
        _ => None,
    };
    let receipt = match row::opt_text(r, 10)? {
        Some(s) if !s.is_empty() => Some(un_hex_cbor(&s, "receipt")?),
        _ => None,
    };
    let tipset = match row::opt_text(r, 12)? {
        Some(s) if !s.is_empty() => Some(TipSetKey::new(parse_cids(&s, "tipset")?)),
        _ => None,
    };
    Ok(MsgRecord {
        message,
        spec,
        from_user: row::text(r, 3)?,
        state,
        nonce,
        signature,
        signed_cid: opt_cid(r, 7, "signed cid")?,
        unsigned_cid: opt_cid(r, 8, "unsigned cid")?,
        replaced: parse_cids(&row::text(r, 9)?, "replaced")?,
        receipt,
        height: opt_int(r, 11)?,
        tipset,
        error: row::text(r, 13)?,
        filled_epoch: opt_int(r, 14)?,
        created_ms: row::int(r, 15)?,
        updated_ms: row::int(r, 16)?,
        id,
    })
}

fn parse_addr(text: &str) -> Result<Address> {
    text.parse()
        .map_err(|e| MessagerError::Corrupt(format!("address {text}: {e}")))
}

fn address_info(r: &AnyRow) -> Result<AddressInfo> {
    let text = row::text(r, 0)?;
    let addr = parse_addr(&text)?;
    let fee: FeeSpec = serde_json::from_str(&row::text(r, 3)?)
        .map_err(|e| MessagerError::Corrupt(format!("fee of {text}: {e}")))?;
    Ok(AddressInfo {
        addr,
        next_nonce: row::int(r, 1)? as u64,
        state: AddressState::from_code(row::int(r, 2)?)
            .ok_or_else(|| MessagerError::Corrupt(format!("state of {text}")))?,
        fee,
        sel_msg_num: row::int(r, 4)? as u64,
        owner: row::text(r, 5)?,
        lease_until_ms: row::int(r, 6)?,
    })
}

fn rule_key(method: Option<u64>) -> Result<i64> {
    method.map_or(Ok(-1), |m| to_i64(m, "method"))
}

#[async_trait]
impl MessageStore for SqlMessageStore {
    async fn insert(&self, rec: &MsgRecord) -> Result<()> {
        let spec = serde_json::to_string(&rec.spec)
            .map_err(|e| MessagerError::Invalid(format!("spec: {e}")))?;
        let stmt = Statement::insert(
            "messager_messages",
            &[
                "id",
                "from_addr",
                "message",
                "spec",
                "from_user",
                "state",
                "replaced",
                "error",
                "created_ms",
                "updated_ms",
            ],
        )
        .bind(rec.id.clone())
        .bind(rec.message.from.to_string())
        .bind(hex_cbor(&rec.message)?)
        .bind(spec)
        .bind(rec.from_user.clone())
        .bind(MessageState::Unfilled.code())
        .bind(String::new())
        .bind(String::new())
        .bind(rec.created_ms)
        .bind(rec.updated_ms);
        match self.inserts.execute(stmt).await {
            Err(SqlError::Duplicate(_)) => Err(MessagerError::Duplicate(rec.id.clone())),
            other => Ok(other?),
        }
    }

    async fn get(&self, id: &str) -> Result<Option<MsgRecord>> {
        self.one("id = ?", id.to_string()).await
    }

    async fn by_cid(&self, cid: &Cid) -> Result<Option<MsgRecord>> {
        let s = cid.to_string();
        if let Some(m) = self
            .one("signed_cid = ? OR unsigned_cid = ?", s.clone())
            .await?
        {
            return Ok(Some(m));
        }
        // Earlier CIDs of replaced messages (rare: a full scan of those).
        let sql = format!(
            "SELECT {COLUMNS} FROM messager_messages WHERE replaced <> '' AND replaced LIKE ?"
        );
        let found = self.many(&sql, vec![Arg::S(format!("%{s}%"))]).await?;
        Ok(found.into_iter().find(|m| m.replaced.contains(cid)))
    }

    async fn list(&self, q: &ListQuery) -> Result<Vec<MsgRecord>> {
        let mut sql = format!("SELECT {COLUMNS} FROM messager_messages WHERE 1 = 1");
        let mut args = Vec::new();
        if !q.states.is_empty() {
            sql += &format!(" AND state IN ({})", vec!["?"; q.states.len()].join(", "));
            args.extend(q.states.iter().map(|s| Arg::I(s.code())));
        }
        if !q.from.is_empty() {
            sql += &format!(" AND from_addr IN ({})", vec!["?"; q.from.len()].join(", "));
            args.extend(q.from.iter().map(|a| Arg::S(a.to_string())));
        }
        if q.with_error {
            sql += " AND error <> ''";
        }
        if q.created_before_ms > 0 {
            sql += " AND created_ms < ?";
            args.push(Arg::I(q.created_before_ms));
        }
        if q.updated_since_ms > 0 {
            sql += " AND updated_ms >= ?";
            args.push(Arg::I(q.updated_since_ms));
        }
        if let Some(h) = q.min_height {
            sql += " AND height >= ?";
            args.push(Arg::I(h));
        }
        sql += if q.newest_first {
            " ORDER BY updated_ms DESC, seq DESC"
        } else {
            " ORDER BY seq"
        };
        if q.limit > 0 || q.offset > 0 {
            let limit = if q.limit == 0 {
                i64::MAX
            } else {
                to_i64(q.limit, "limit")?
            };
            sql += " LIMIT ? OFFSET ?";
            args.push(Arg::I(limit));
            args.push(Arg::I(to_i64(q.offset, "offset")?));
        }
        self.many(&sql, args).await
    }

    async fn by_nonce(&self, from: &Address, nonce: u64) -> Result<Option<MsgRecord>> {
        let sql =
            format!("SELECT {COLUMNS} FROM messager_messages WHERE from_addr = ? AND nonce = ?");
        let found = self
            .many(
                &sql,
                vec![Arg::S(from.to_string()), Arg::I(to_i64(nonce, "nonce")?)],
            )
            .await?;
        Ok(found.into_iter().next())
    }

    async fn fail_unfilled(&self, from: &Address, reason: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE messager_messages SET state = ?, error = ?, updated_ms = ? \
             WHERE state = ? AND from_addr = ?",
        )
        .bind(MessageState::Failed.code())
        .bind(reason)
        .bind(now_ms())
        .bind(MessageState::Unfilled.code())
        .bind(from.to_string())
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected())
    }

    async fn stats(&self) -> Result<Stats> {
        let mut out = Stats::default();
        for r in sqlx::query("SELECT state, COUNT(*) FROM messager_messages GROUP BY state")
            .fetch_all(self.db.pool())
            .await?
        {
            let code = row::int(&r, 0)?;
            let state = MessageState::from_code(code)
                .ok_or_else(|| MessagerError::Corrupt(format!("message state {code}")))?;
            out.by_state.push((state, row::int(&r, 1)?.max(0) as u64));
        }
        for r in sqlx::query(
            "SELECT from_addr, COUNT(*), MIN(created_ms) FROM messager_messages \
             WHERE state IN (?, ?) GROUP BY from_addr",
        )
        .bind(MessageState::Unfilled.code())
        .bind(MessageState::Filled.code())
        .fetch_all(self.db.pool())
        .await?
        {
            let addr = parse_addr(&row::text(&r, 0)?)?;
            out.pending
                .push((addr, row::int(&r, 1)?.max(0) as u64, row::int(&r, 2)?));
        }
        Ok(out)
    }

    async fn save_node(&self, node: &NodeEntry) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM messager_nodes WHERE name = ?")
            .bind(&node.name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO messager_nodes (name, url, token) VALUES (?, ?, ?)")
            .bind(&node.name)
            .bind(&node.url)
            .bind(&node.token)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn nodes(&self) -> Result<Vec<NodeEntry>> {
        sqlx::query("SELECT name, url, token FROM messager_nodes ORDER BY name")
            .fetch_all(self.db.pool())
            .await?
            .iter()
            .map(|r| {
                Ok(NodeEntry {
                    name: row::text(r, 0)?,
                    url: row::text(r, 1)?,
                    token: row::text(r, 2)?,
                })
            })
            .collect()
    }

    async fn delete_node(&self, name: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM messager_nodes WHERE name = ?")
            .bind(name)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn unfilled(&self, from: &Address, limit: u64) -> Result<Vec<MsgRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM messager_messages WHERE state = ? AND from_addr = ? \
             ORDER BY CASE WHEN error = '' THEN 0 ELSE 1 END, seq LIMIT ?"
        );
        self.many(
            &sql,
            vec![
                Arg::I(MessageState::Unfilled.code()),
                Arg::S(from.to_string()),
                Arg::I(to_i64(limit.max(1), "limit")?),
            ],
        )
        .await
    }

    async fn filled(&self, from: &Address) -> Result<Vec<MsgRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM messager_messages WHERE state = ? AND from_addr = ? \
             ORDER BY nonce"
        );
        self.many(
            &sql,
            vec![
                Arg::I(MessageState::Filled.code()),
                Arg::S(from.to_string()),
            ],
        )
        .await
    }

    async fn set_error(&self, id: &str, error: &str) -> Result<()> {
        let done = sqlx::query(
            "UPDATE messager_messages SET error = ?, updated_ms = ? WHERE id = ? AND state = ?",
        )
        .bind(error)
        .bind(now_ms())
        .bind(id)
        .bind(MessageState::Unfilled.code())
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(self
                .refuse(id, "only an unfilled message records a fill error")
                .await);
        }
        Ok(())
    }

    async fn fill(
        &self,
        from: &Address,
        owner: &str,
        msgs: &[(String, Message)],
        epoch: ChainEpoch,
    ) -> Result<Vec<MsgRecord>> {
        if msgs.is_empty() {
            return Ok(Vec::new());
        }
        let backend = self.db.backend();
        let mut tx = self.db.begin_write().await?;
        let sql = format!(
            "SELECT next_nonce, owner, lease_until_ms, state FROM messager_addresses WHERE addr = ?{}",
            backend.for_update()
        );
        let r = sqlx::query(&sql)
            .bind(from.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| MessagerError::unknown_address(from))?;
        let mut next = row::int(&r, 0)? as u64;
        let (holder, until) = (row::text(&r, 1)?, row::int(&r, 2)?);
        if holder != owner || until < now_ms() {
            return Err(MessagerError::NotOwner(from.to_string()));
        }
        if AddressState::from_code(row::int(&r, 3)?) != Some(AddressState::Alive) {
            return Err(MessagerError::Address(format!(
                "{from} is switched off (forbidden): activate it to send its messages"
            )));
        }
        let now = now_ms();
        let mut out = Vec::with_capacity(msgs.len());
        for (id, msg) in msgs {
            if msg.from != *from {
                return Err(MessagerError::Invalid(format!(
                    "message {id} is from {}, not {from}",
                    msg.from
                )));
            }
            let mut msg = msg.clone();
            msg.sequence = next;
            let unsigned = venus_core::types::message_cid(&msg)
                .map_err(|e| MessagerError::Invalid(e.to_string()))?;
            let done = sqlx::query(
                "UPDATE messager_messages SET state = ?, nonce = ?, message = ?, unsigned_cid = ?, \
                 error = '', filled_epoch = ?, updated_ms = ? WHERE id = ? AND state = ? AND from_addr = ?",
            )
            .bind(MessageState::Filled.code())
            .bind(to_i64(next, "nonce")?)
            .bind(hex_cbor(&msg)?)
            .bind(unsigned.to_string())
            .bind(epoch)
            .bind(now)
            .bind(id.as_str())
            .bind(MessageState::Unfilled.code())
            .bind(from.to_string())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                drop(tx);
                return Err(self.refuse(id, "only an unfilled message is filled").await);
            }
            next += 1;
            out.push(id.clone());
        }
        sqlx::query("UPDATE messager_addresses SET next_nonce = ?, updated_ms = ? WHERE addr = ?")
            .bind(to_i64(next, "nonce")?)
            .bind(now)
            .bind(from.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        // Read back in one query, in nonce order.
        let sql = format!(
            "SELECT {COLUMNS} FROM messager_messages WHERE id IN ({}) ORDER BY nonce",
            vec!["?"; out.len()].join(", ")
        );
        let recs = self
            .many(&sql, out.into_iter().map(Arg::S).collect())
            .await?;
        if recs.len() != msgs.len() {
            return Err(MessagerError::Corrupt(format!(
                "{} of {} filled messages read back",
                recs.len(),
                msgs.len()
            )));
        }
        Ok(recs)
    }

    async fn set_signed(&self, signed: &[(String, Signature, Cid, Cid)]) -> Result<()> {
        if signed.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin_write().await?;
        let now = now_ms();
        let mut refused = None;
        for (id, sig, cid, unsigned) in signed {
            let done = sqlx::query(
                "UPDATE messager_messages SET signature = ?, signed_cid = ?, updated_ms = ? \
                 WHERE id = ? AND state = ? AND unsigned_cid = ?",
            )
            .bind(hex_cbor(sig)?)
            .bind(cid.to_string())
            .bind(now)
            .bind(id.as_str())
            .bind(MessageState::Filled.code())
            .bind(unsigned.to_string())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                refused = Some(id.clone());
                break;
            }
        }
        if let Some(id) = refused {
            drop(tx);
            return Err(self
                .refuse(
                    &id,
                    "only a filled message is signed, in the version signed",
                )
                .await);
        }
        tx.commit().await?;
        Ok(())
    }

    async fn replace(&self, id: &str, message: &Message, epoch: ChainEpoch) -> Result<MsgRecord> {
        let mut tx = self.db.begin_write().await?;
        let old = self
            .locked_filled(&mut tx, id, "only a filled message is replaced")
            .await?;
        let m = &old.message;
        if message.from != m.from
            || message.sequence != m.sequence
            || message.to != m.to
            || message.value != m.value
            || message.method_num != m.method_num
            || message.params != m.params
        {
            return Err(MessagerError::Invalid(format!(
                "a replacement of {id} changes only its gas"
            )));
        }
        let mut replaced = old.replaced.clone();
        if let Some(c) = old.signed_cid {
            if !replaced.contains(&c) {
                replaced.push(c);
            }
        }
        let unsigned = venus_core::types::message_cid(message)
            .map_err(|e| MessagerError::Invalid(e.to_string()))?;
        sqlx::query(
            "UPDATE messager_messages SET message = ?, unsigned_cid = ?, signature = NULL, \
             signed_cid = NULL, replaced = ?, filled_epoch = ?, updated_ms = ? WHERE id = ?",
        )
        .bind(hex_cbor(message)?)
        .bind(unsigned.to_string())
        .bind(cids_text(&replaced))
        .bind(epoch)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.get(id)
            .await?
            .ok_or_else(|| MessagerError::NotFound(id.into()))
    }

    async fn landed(&self, landed: &[(String, Landed)]) -> Result<usize> {
        let mut tx = self.db.begin_write().await?;
        let mut moved = 0;
        for (id, landed) in landed {
            let old = match self
                .locked_filled(&mut tx, id, "only a filled message lands")
                .await
            {
                Ok(old) => old,
                Err(MessagerError::State { .. } | MessagerError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            // The CID that landed becomes the message's; the one it had
            // joins the earlier ones (a replacement that lost, or a
            // same-call version).
            let mut replaced: Vec<Cid> = old
                .replaced
                .iter()
                .filter(|c| **c != landed.cid)
                .copied()
                .collect();
            if let Some(c) = old.signed_cid.filter(|c| *c != landed.cid) {
                replaced.push(c);
            }
            sqlx::query(
                "UPDATE messager_messages SET state = ?, signed_cid = ?, replaced = ?, receipt = ?, \
                 height = ?, tipset = ?, error = '', updated_ms = ? WHERE id = ?",
            )
            .bind(MessageState::OnChain.code())
            .bind(landed.cid.to_string())
            .bind(cids_text(&replaced))
            .bind(hex_cbor(&landed.receipt)?)
            .bind(landed.height)
            .bind(cids_text(landed.tipset.cids()))
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            moved += 1;
        }
        tx.commit().await?;
        Ok(moved)
    }

    async fn conflicted(&self, id: &str, height: ChainEpoch, tipset: &TipSetKey) -> Result<()> {
        let done = sqlx::query(
            "UPDATE messager_messages SET state = ?, height = ?, tipset = ?, \
             error = 'another message took this nonce on chain', updated_ms = ? \
             WHERE id = ? AND state = ?",
        )
        .bind(MessageState::NonceConflict.code())
        .bind(height)
        .bind(cids_text(tipset.cids()))
        .bind(now_ms())
        .bind(id)
        .bind(MessageState::Filled.code())
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(self.refuse(id, "only a filled message conflicts").await);
        }
        Ok(())
    }

    async fn revert_from(&self, height: ChainEpoch) -> Result<Vec<String>> {
        let mut tx = self.db.begin_write().await?;
        let sql = format!(
            "SELECT id FROM messager_messages WHERE state IN (?, ?) AND height >= ?{}",
            self.db.backend().for_update()
        );
        let ids: Vec<String> = sqlx::query(&sql)
            .bind(MessageState::OnChain.code())
            .bind(MessageState::NonceConflict.code())
            .bind(height)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| row::text(r, 0))
            .collect::<Result<_, _>>()?;
        if !ids.is_empty() {
            sqlx::query(
                "UPDATE messager_messages SET state = ?, receipt = NULL, height = NULL, \
                 tipset = NULL, error = '', updated_ms = ? WHERE state IN (?, ?) AND height >= ?",
            )
            .bind(MessageState::Filled.code())
            .bind(now_ms())
            .bind(MessageState::OnChain.code())
            .bind(MessageState::NonceConflict.code())
            .bind(height)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn fail(&self, id: &str, reason: &str) -> Result<()> {
        let done = sqlx::query(
            "UPDATE messager_messages SET state = ?, error = ?, updated_ms = ? \
             WHERE id = ? AND state IN (?, ?, ?)",
        )
        .bind(MessageState::Failed.code())
        .bind(reason)
        .bind(now_ms())
        .bind(id)
        .bind(MessageState::Unfilled.code())
        .bind(MessageState::Filled.code())
        .bind(MessageState::NonceConflict.code())
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(self
                .refuse(id, "a message on chain or failed stays so")
                .await);
        }
        Ok(())
    }

    async fn recover_failed(&self, from: &Address, chain_nonce: u64) -> Result<Vec<String>> {
        let mut tx = self.db.begin_write().await?;
        let cond = "state = ? AND from_addr = ? AND nonce IS NOT NULL AND nonce >= ?";
        let ids: Vec<String> =
            sqlx::query(&format!("SELECT id FROM messager_messages WHERE {cond}"))
                .bind(MessageState::Failed.code())
                .bind(from.to_string())
                .bind(to_i64(chain_nonce, "nonce")?)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| row::text(r, 0))
                .collect::<Result<_, _>>()?;
        sqlx::query(&format!(
            "UPDATE messager_messages SET state = ?, error = '', updated_ms = ? WHERE {cond}"
        ))
        .bind(MessageState::Filled.code())
        .bind(now_ms())
        .bind(MessageState::Failed.code())
        .bind(from.to_string())
        .bind(to_i64(chain_nonce, "nonce")?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ids)
    }

    async fn add_address(&self, addr: &Address) -> Result<()> {
        let r = sqlx::query(
            "INSERT INTO messager_addresses (addr, next_nonce, state, fee, sel_msg_num, owner, \
             lease_until_ms, updated_ms) VALUES (?, 0, ?, '{}', 0, '', 0, ?)",
        )
        .bind(addr.to_string())
        .bind(AddressState::Alive as i64)
        .bind(now_ms())
        .execute(self.db.pool())
        .await;
        match r.map_err(SqlError::from) {
            Ok(_) | Err(SqlError::Duplicate(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn address(&self, addr: &Address) -> Result<Option<AddressInfo>> {
        let sql = format!("SELECT {ADDRESS_COLUMNS} FROM messager_addresses WHERE addr = ?");
        let r = sqlx::query(&sql)
            .bind(addr.to_string())
            .fetch_optional(self.db.pool())
            .await?;
        r.map(|r| address_info(&r)).transpose()
    }

    async fn addresses(&self) -> Result<Vec<AddressInfo>> {
        let sql = format!("SELECT {ADDRESS_COLUMNS} FROM messager_addresses ORDER BY addr");
        let rows = sqlx::query(&sql).fetch_all(self.db.pool()).await?;
        rows.iter().map(address_info).collect()
    }

    async fn set_address_state(&self, addr: &Address, state: AddressState) -> Result<()> {
        let done =
            sqlx::query("UPDATE messager_addresses SET state = ?, updated_ms = ? WHERE addr = ?")
                .bind(state as i64)
                .bind(now_ms())
                .bind(addr.to_string())
                .execute(self.db.pool())
                .await?;
        if done.rows_affected() == 0 {
            return Err(MessagerError::unknown_address(addr));
        }
        Ok(())
    }

    async fn set_address_fee(&self, addr: &Address, fee: &FeeSpec, sel_msg_num: u64) -> Result<()> {
        fee.validate().map_err(MessagerError::Invalid)?;
        let json = serde_json::to_string(fee).map_err(|e| MessagerError::Invalid(e.to_string()))?;
        let done = sqlx::query(
            "UPDATE messager_addresses SET fee = ?, sel_msg_num = ?, updated_ms = ? WHERE addr = ?",
        )
        .bind(json)
        .bind(to_i64(sel_msg_num, "sel_msg_num")?)
        .bind(now_ms())
        .bind(addr.to_string())
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(MessagerError::unknown_address(addr));
        }
        Ok(())
    }

    async fn reconcile_nonce(&self, addr: &Address, chain_nonce: u64) -> Result<u64> {
        let n = to_i64(chain_nonce, "nonce")?;
        sqlx::query(
            "UPDATE messager_addresses SET next_nonce = ?, updated_ms = ? WHERE addr = ? AND next_nonce < ?",
        )
        .bind(n)
        .bind(now_ms())
        .bind(addr.to_string())
        .bind(n)
        .execute(self.db.pool())
        .await?;
        let info = self
            .address(addr)
            .await?
            .ok_or_else(|| MessagerError::unknown_address(addr))?;
        Ok(info.next_nonce)
    }

    async fn lease(&self, addr: &Address, owner: &str, now_ms: i64, until_ms: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE messager_addresses SET owner = ?, lease_until_ms = ? \
             WHERE addr = ? AND (owner = ? OR owner = '' OR lease_until_ms < ?)",
        )
        .bind(owner)
        .bind(until_ms)
        .bind(addr.to_string())
        .bind(owner)
        .bind(now_ms)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn release(&self, addr: &Address, owner: &str) -> Result<()> {
        sqlx::query(
            "UPDATE messager_addresses SET owner = '', lease_until_ms = 0 WHERE addr = ? AND owner = ?",
        )
        .bind(addr.to_string())
        .bind(owner)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    async fn fee_rule(&self, code: &str, method: Option<u64>) -> Result<Option<FeeSpec>> {
        let r = sqlx::query("SELECT fee FROM messager_fee_rules WHERE code = ? AND method = ?")
            .bind(code)
            .bind(rule_key(method)?)
            .fetch_optional(self.db.pool())
            .await?;
        r.map(|r| {
            serde_json::from_str(&row::text(&r, 0)?)
                .map_err(|e| MessagerError::Corrupt(format!("fee rule of {code}: {e}")))
        })
        .transpose()
    }

    async fn set_fee_rule(&self, code: &str, method: Option<u64>, fee: &FeeSpec) -> Result<()> {
        fee.validate().map_err(MessagerError::Invalid)?;
        let json = serde_json::to_string(fee).map_err(|e| MessagerError::Invalid(e.to_string()))?;
        let key = rule_key(method)?;
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM messager_fee_rules WHERE code = ? AND method = ?")
            .bind(code)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO messager_fee_rules (code, method, fee) VALUES (?, ?, ?)")
            .bind(code)
            .bind(key)
            .bind(json)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
