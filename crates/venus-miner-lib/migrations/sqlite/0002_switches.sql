-- Whether each member miner is switched on, for miners ever switched.
CREATE TABLE IF NOT EXISTS miner_switches (
    miner TEXT PRIMARY KEY NOT NULL,
    enabled INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
