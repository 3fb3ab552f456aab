-- Which instance mines a won (miner, epoch): taken before the winning
-- PoSt is computed, so instances sharing a pool prove each win once.
CREATE TABLE IF NOT EXISTS miner_leases (
    miner TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    instance TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (miner, epoch)
);
