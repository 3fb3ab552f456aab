-- The slash filter: one row per block a member miner claimed the right to
-- sign, keyed so that a second block at one epoch (double-fork) or on the
-- same parents (time-offset) cannot be claimed, by any instance.
CREATE TABLE IF NOT EXISTS miner_blocks (
    miner VARCHAR(120) NOT NULL,
    epoch BIGINT NOT NULL,
    parent_epoch BIGINT NOT NULL,
    parent_key TEXT NOT NULL,
    parent_hash CHAR(64) NOT NULL,
    unsigned_cid VARCHAR(255) NOT NULL,
    cid VARCHAR(255) NOT NULL DEFAULT '',
    instance VARCHAR(191) NOT NULL,
    state INT NOT NULL,
    reason TEXT NOT NULL,
    claimed_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (miner, epoch),
    UNIQUE KEY miner_blocks_by_parents (miner, parent_hash)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- What came of each miner's round at each epoch, per miner instance.
CREATE TABLE IF NOT EXISTS mining_records (
    miner VARCHAR(120) NOT NULL,
    epoch BIGINT NOT NULL,
    instance VARCHAR(191) NOT NULL,
    outcome INT NOT NULL,
    reason TEXT NOT NULL,
    stages TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (miner, epoch, instance),
    INDEX mining_records_by_time (at_ms)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
