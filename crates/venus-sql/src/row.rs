//! Reading columns the same way on both engines.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Result, SqlError};

/// A text column. MySQL reports `utf8mb4_bin` columns as binary, so bytes
/// are accepted too (and must be UTF-8).
pub fn text(r: &AnyRow, i: usize) -> Result<String> {
    match r.try_get::<String, _>(i) {
        Ok(s) => Ok(s),
        Err(_) => String::from_utf8(r.try_get::<Vec<u8>, _>(i)?)
            .map_err(|e| SqlError::Corrupt(format!("column {i} is not UTF-8: {e}"))),
    }
}

/// A nullable text column.
pub fn opt_text(r: &AnyRow, i: usize) -> Result<Option<String>> {
    match r.try_get::<Option<String>, _>(i) {
        Ok(s) => Ok(s),
        Err(_) => r
            .try_get::<Option<Vec<u8>>, _>(i)?
            .map(|b| {
                String::from_utf8(b)
                    .map_err(|e| SqlError::Corrupt(format!("column {i} is not UTF-8: {e}")))
            })
            .transpose(),
    }
}

/// An integer column (SQLite's INTEGER, MySQL's BIGINT or INT).
pub fn int(r: &AnyRow, i: usize) -> Result<i64> {
    match r.try_get::<i64, _>(i) {
        Ok(v) => Ok(v),
        Err(_) => Ok(r.try_get::<i32, _>(i)? as i64),
    }
}

/// A boolean stored as an integer (0 is false).
pub fn flag(r: &AnyRow, i: usize) -> Result<bool> {
    Ok(int(r, i)? != 0)
}

/// An integer column that must fit `T` (a key type, a count).
pub fn small<T: TryFrom<i64>>(r: &AnyRow, i: usize, what: &str) -> Result<T> {
    let v = int(r, i)?;
    T::try_from(v).map_err(|_| SqlError::Corrupt(format!("{what}: {v} is out of range")))
}

/// A binary column (SQLite's BLOB, MySQL's BLOB family).
pub fn bytes(r: &AnyRow, i: usize) -> Result<Vec<u8>> {
    Ok(r.try_get::<Vec<u8>, _>(i)?)
}
