-- One row per message pushed to the messager, whatever its state.
CREATE TABLE IF NOT EXISTS messager_messages (
    seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    id VARCHAR(191) NOT NULL,
    from_addr VARCHAR(120) NOT NULL,
    -- NULL until the message is filled; unique per sender once set, so no
    -- nonce is ever given twice, whatever the code above does.
    nonce BIGINT NULL,
    message MEDIUMTEXT NOT NULL,
    spec TEXT NOT NULL,
    from_user VARCHAR(191) NOT NULL,
    state INT NOT NULL,
    signature TEXT NULL,
    signed_cid VARCHAR(191) NULL,
    unsigned_cid VARCHAR(191) NULL,
    replaced TEXT NOT NULL,
    receipt MEDIUMTEXT NULL,
    height BIGINT NULL,
    tipset TEXT NULL,
    error TEXT NOT NULL,
    filled_epoch BIGINT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    UNIQUE KEY messager_messages_id (id),
    UNIQUE KEY messager_messages_nonce (from_addr, nonce),
    KEY messager_messages_state (state, from_addr, seq),
    KEY messager_messages_height (state, height),
    KEY messager_messages_signed (signed_cid),
    KEY messager_messages_unsigned (unsigned_cid)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- The sending addresses: the nonce authority (next_nonce), the operator's
-- switches and fee rules, and which messager instance serves the address.
CREATE TABLE IF NOT EXISTS messager_addresses (
    addr VARCHAR(120) NOT NULL PRIMARY KEY,
    next_nonce BIGINT NOT NULL DEFAULT 0,
    state INT NOT NULL DEFAULT 1,
    fee TEXT NOT NULL,
    sel_msg_num BIGINT NOT NULL DEFAULT 0,
    owner VARCHAR(191) NOT NULL DEFAULT '',
    lease_until_ms BIGINT NOT NULL DEFAULT 0,
    updated_ms BIGINT NOT NULL DEFAULT 0
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- Fee rules per actor code and method, and the global ones (code '', method -1).
CREATE TABLE IF NOT EXISTS messager_fee_rules (
    code VARCHAR(191) NOT NULL,
    method BIGINT NOT NULL,
    fee TEXT NOT NULL,
    PRIMARY KEY (code, method)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- The nodes messages are pushed to (data, not code).
CREATE TABLE IF NOT EXISTS messager_nodes (
    name VARCHAR(191) NOT NULL PRIMARY KEY,
    url TEXT NOT NULL,
    token TEXT NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
