-- Whether each member miner is switched on, for miners ever switched.
CREATE TABLE IF NOT EXISTS miner_switches (
    miner VARCHAR(120) PRIMARY KEY NOT NULL,
    enabled INT NOT NULL,
    updated_at_ms BIGINT NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
