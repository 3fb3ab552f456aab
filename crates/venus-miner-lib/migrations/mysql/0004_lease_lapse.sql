-- A lease lapses unless its holder renews it while it proves (a holder
-- that died gives the round to another instance); a proved lease stays.
ALTER TABLE miner_leases ADD COLUMN until_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE miner_leases ADD COLUMN proved BIGINT NOT NULL DEFAULT 0;
CREATE INDEX miner_leases_epoch ON miner_leases (epoch);

-- Which process runs each instance name: one live process per name.
CREATE TABLE IF NOT EXISTS miner_instances (
    instance VARCHAR(191) NOT NULL PRIMARY KEY,
    owner VARCHAR(255) NOT NULL,
    beat_ms BIGINT NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
