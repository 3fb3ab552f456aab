-- The signed block itself (its CBOR, a BlockMsg), kept from the moment its
-- signature is recorded, so that any instance can send it again if its own
-- instance died before sending it (a signed block binds its parents for
-- good). NULL for blocks claimed before this migration, and until signed.
-- MEDIUMBLOB: a header with ten thousand message CIDs is under 1 MB.
ALTER TABLE miner_blocks ADD COLUMN block MEDIUMBLOB NULL;
