CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS keys (
    address TEXT PRIMARY KEY NOT NULL,
    key_type INTEGER NOT NULL,
    entry TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS policies (
    name TEXT PRIMARY KEY NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS policy_groups (
    name TEXT PRIMARY KEY NOT NULL,
    policies TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bindings (
    caller TEXT PRIMARY KEY NOT NULL,
    group_name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sign_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    caller TEXT NOT NULL,
    address TEXT NOT NULL,
    msg_type TEXT NOT NULL,
    object TEXT NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS sign_records_by_address ON sign_records (address, at_ms);
CREATE INDEX IF NOT EXISTS sign_records_by_type ON sign_records (msg_type, at_ms);
