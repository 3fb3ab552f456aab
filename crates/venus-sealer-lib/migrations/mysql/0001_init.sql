-- MySQL/MariaDB: TEXT columns have no defaults; the store writes every column.
-- Sectors being sealed and proven, one row each; every transition is a
-- compare-and-set on `state`, so two sealers on one database never both
-- take a step.
CREATE TABLE sealer_sectors (
    miner BIGINT NOT NULL,
    number BIGINT NOT NULL,
    seal_proof INTEGER NOT NULL,
    state VARCHAR(32) NOT NULL,
    retry_state VARCHAR(32) NOT NULL DEFAULT '',
    ticket VARCHAR(255) NOT NULL DEFAULT '',
    ticket_epoch BIGINT NOT NULL DEFAULT 0,
    pieces TEXT NOT NULL,
    comm_r VARCHAR(255) NOT NULL DEFAULT '',
    comm_d VARCHAR(255) NOT NULL DEFAULT '',
    precommit_msg VARCHAR(255) NOT NULL DEFAULT '',
    precommit_epoch BIGINT NOT NULL DEFAULT 0,
    seed VARCHAR(255) NOT NULL DEFAULT '',
    seed_epoch BIGINT NOT NULL DEFAULT 0,
    proof TEXT NOT NULL,
    commit_msg VARCHAR(255) NOT NULL DEFAULT '',
    attempt BIGINT NOT NULL DEFAULT 0,
    retries BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (miner, number)
);
CREATE INDEX sealer_sectors_state ON sealer_sectors (state);

-- The task queue workers pull from: a running task's lease lapses when its
-- worker stops renewing it, and the task is claimed again.
CREATE TABLE sealer_tasks (
    id VARCHAR(160) NOT NULL PRIMARY KEY,
    miner BIGINT NOT NULL,
    number BIGINT NOT NULL,
    kind VARCHAR(8) NOT NULL,
    input TEXT NOT NULL,
    state VARCHAR(32) NOT NULL,
    worker VARCHAR(160) NOT NULL DEFAULT '',
    lease_until_ms BIGINT NOT NULL DEFAULT 0,
    claims BIGINT NOT NULL DEFAULT 0,
    output TEXT NOT NULL,
    error TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX sealer_tasks_state ON sealer_tasks (state, kind, created_ms);
CREATE INDEX sealer_tasks_sector ON sealer_tasks (miner, number);

CREATE TABLE sealer_workers (
    name VARCHAR(160) NOT NULL PRIMARY KEY,
    free TEXT NOT NULL,
    seen_ms BIGINT NOT NULL
);

-- One row per (miner, proving period, deadline) the window PoSt scheduler
-- handled; the owner's lease decides which sealer proves it.
CREATE TABLE sealer_posts (
    miner BIGINT NOT NULL,
    period_start BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    state VARCHAR(32) NOT NULL,
    owner VARCHAR(160) NOT NULL DEFAULT '',
    lease_until_ms BIGINT NOT NULL DEFAULT 0,
    attempt BIGINT NOT NULL DEFAULT 0,
    msg VARCHAR(255) NOT NULL DEFAULT '',
    skipped TEXT NOT NULL,
    error TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (miner, period_start, deadline)
);
