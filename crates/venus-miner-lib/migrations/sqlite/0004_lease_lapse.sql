-- A lease lapses unless its holder renews it while it proves (a holder
-- that died gives the round to another instance); a proved lease stays.
ALTER TABLE miner_leases ADD COLUMN until_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE miner_leases ADD COLUMN proved INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS miner_leases_epoch ON miner_leases (epoch);

-- Which process runs each instance name: one live process per name.
CREATE TABLE IF NOT EXISTS miner_instances (
    instance TEXT PRIMARY KEY NOT NULL,
    owner TEXT NOT NULL,
    beat_ms INTEGER NOT NULL
);
