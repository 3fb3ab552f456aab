-- Which instance mines a won (miner, epoch): taken before the winning
-- PoSt is computed, so instances sharing a pool prove each win once.
CREATE TABLE IF NOT EXISTS miner_leases (
    miner VARCHAR(120) NOT NULL,
    epoch BIGINT NOT NULL,
    instance VARCHAR(255) NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (miner, epoch)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
