-- Sectors being sealed and proven, one row each; every transition is a
-- compare-and-set on `state`, so two sealers on one database never both
-- take a step.
CREATE TABLE sealer_sectors (
    miner INTEGER NOT NULL,
    number INTEGER NOT NULL,
    seal_proof INTEGER NOT NULL,
    state TEXT NOT NULL,
    retry_state TEXT NOT NULL DEFAULT '',
    ticket TEXT NOT NULL DEFAULT '',
    ticket_epoch INTEGER NOT NULL DEFAULT 0,
    pieces TEXT NOT NULL DEFAULT '[]',
    comm_r TEXT NOT NULL DEFAULT '',
    comm_d TEXT NOT NULL DEFAULT '',
    precommit_msg TEXT NOT NULL DEFAULT '',
    precommit_epoch INTEGER NOT NULL DEFAULT 0,
    seed TEXT NOT NULL DEFAULT '',
    seed_epoch INTEGER NOT NULL DEFAULT 0,
    proof TEXT NOT NULL DEFAULT '',
    commit_msg TEXT NOT NULL DEFAULT '',
    attempt INTEGER NOT NULL DEFAULT 0,
    retries INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (miner, number)
);
CREATE INDEX sealer_sectors_state ON sealer_sectors (state);

-- The task queue workers pull from: a running task's lease lapses when its
-- worker stops renewing it, and the task is claimed again.
CREATE TABLE sealer_tasks (
    id TEXT NOT NULL PRIMARY KEY,
    miner INTEGER NOT NULL,
    number INTEGER NOT NULL,
    kind TEXT NOT NULL,
    input TEXT NOT NULL,
    state TEXT NOT NULL,
    worker TEXT NOT NULL DEFAULT '',
    lease_until_ms INTEGER NOT NULL DEFAULT 0,
    claims INTEGER NOT NULL DEFAULT 0,
    output TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX sealer_tasks_state ON sealer_tasks (state, kind, created_ms);
CREATE INDEX sealer_tasks_sector ON sealer_tasks (miner, number);

CREATE TABLE sealer_workers (
    name TEXT NOT NULL PRIMARY KEY,
    free TEXT NOT NULL,
    seen_ms INTEGER NOT NULL
);

-- One row per (miner, proving period, deadline) the window PoSt scheduler
-- handled; the owner's lease decides which sealer proves it.
CREATE TABLE sealer_posts (
    miner INTEGER NOT NULL,
    period_start INTEGER NOT NULL,
    deadline INTEGER NOT NULL,
    state TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    lease_until_ms INTEGER NOT NULL DEFAULT 0,
    attempt INTEGER NOT NULL DEFAULT 0,
    msg TEXT NOT NULL DEFAULT '',
    skipped TEXT NOT NULL DEFAULT '[]',
    error TEXT NOT NULL DEFAULT '',
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (miner, period_start, deadline)
);
