-- One row per message pushed to the messager, whatever its state.
CREATE TABLE IF NOT EXISTS messager_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    from_addr TEXT NOT NULL,
    -- NULL until the message is filled; unique per sender once set, so no
    -- nonce is ever given twice, whatever the code above does.
    nonce BIGINT,
    message TEXT NOT NULL,
    spec TEXT NOT NULL,
    from_user TEXT NOT NULL,
    state INTEGER NOT NULL,
    signature TEXT,
    signed_cid TEXT,
    unsigned_cid TEXT,
    replaced TEXT NOT NULL DEFAULT '',
    receipt TEXT,
    height BIGINT,
    tipset TEXT,
    error TEXT NOT NULL DEFAULT '',
    filled_epoch BIGINT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    UNIQUE (from_addr, nonce)
);
CREATE INDEX IF NOT EXISTS messager_messages_state ON messager_messages (state, from_addr, seq);
CREATE INDEX IF NOT EXISTS messager_messages_height ON messager_messages (state, height);
CREATE INDEX IF NOT EXISTS messager_messages_signed ON messager_messages (signed_cid);
CREATE INDEX IF NOT EXISTS messager_messages_unsigned ON messager_messages (unsigned_cid);

-- The sending addresses: the nonce authority (next_nonce), the operator's
-- switches and fee rules, and which messager instance serves the address.
CREATE TABLE IF NOT EXISTS messager_addresses (
    addr TEXT PRIMARY KEY,
    next_nonce BIGINT NOT NULL DEFAULT 0,
    state INTEGER NOT NULL DEFAULT 1,
    fee TEXT NOT NULL DEFAULT '{}',
    sel_msg_num BIGINT NOT NULL DEFAULT 0,
    owner TEXT NOT NULL DEFAULT '',
    lease_until_ms BIGINT NOT NULL DEFAULT 0,
    updated_ms BIGINT NOT NULL DEFAULT 0
);

-- Fee rules per actor code and method, and the global ones (code '', method -1).
CREATE TABLE IF NOT EXISTS messager_fee_rules (
    code TEXT NOT NULL,
    method BIGINT NOT NULL,
    fee TEXT NOT NULL,
    PRIMARY KEY (code, method)
);

-- The nodes messages are pushed to (data, not code).
CREATE TABLE IF NOT EXISTS messager_nodes (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    token TEXT NOT NULL DEFAULT ''
);
