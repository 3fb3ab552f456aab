-- The slash filter: one row per block a member miner claimed the right to
-- sign, keyed so that a second block at one epoch (double-fork) or on the
-- same parents (time-offset) cannot be claimed.
CREATE TABLE IF NOT EXISTS miner_blocks (
    miner TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    parent_epoch INTEGER NOT NULL,
    parent_key TEXT NOT NULL,
    parent_hash TEXT NOT NULL,
    unsigned_cid TEXT NOT NULL,
    cid TEXT NOT NULL DEFAULT '',
    instance TEXT NOT NULL,
    state INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    claimed_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (miner, epoch),
    UNIQUE (miner, parent_hash)
);

-- What came of each miner's round at each epoch, per miner instance.
CREATE TABLE IF NOT EXISTS mining_records (
    miner TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    instance TEXT NOT NULL,
    outcome INTEGER NOT NULL,
    reason TEXT NOT NULL,
    stages TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (miner, epoch, instance)
);
CREATE INDEX IF NOT EXISTS mining_records_by_time ON mining_records (at_ms);
