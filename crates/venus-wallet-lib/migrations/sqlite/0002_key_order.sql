-- Keys list in the order they were stored (rows from before keep 0 and
-- their created_at, address order).
ALTER TABLE `keys` ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
