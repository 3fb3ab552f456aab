-- Sign records are written on every signature and read newest first (by
-- id) with optional filters (`? IS NULL OR address = ?`), which SQLite plans
-- before the values are bound, as a scan: its two indexes served no query
-- and were two more B-trees written per commit, and AUTOINCREMENT's
-- sqlite_sequence row one more page. (MySQL plans with the values and uses
-- them: its indexes stay.) Records are never deleted, so a plain INTEGER PRIMARY
-- KEY keeps ids rising as before. The table is rebuilt to drop AUTOINCREMENT.
CREATE TABLE sign_records_new (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    caller TEXT NOT NULL,
    address TEXT NOT NULL,
    msg_type TEXT NOT NULL,
    object TEXT NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT
);
INSERT INTO sign_records_new (id, at_ms, caller, address, msg_type, object, ok, error)
    SELECT id, at_ms, caller, address, msg_type, object, ok, error FROM sign_records;
DROP TABLE sign_records;
ALTER TABLE sign_records_new RENAME TO sign_records;
