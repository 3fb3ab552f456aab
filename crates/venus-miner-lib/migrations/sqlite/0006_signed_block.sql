-- The signed block itself (its CBOR, a BlockMsg), kept from the moment its
-- signature is recorded, so that any instance can send it again if its own
-- instance died before sending it (a signed block binds its parents for
-- good). NULL for blocks claimed before this migration, and until signed.
ALTER TABLE miner_blocks ADD COLUMN block BLOB;
