-- Sign records are written on every signature and read newest first (by
-- id) with optional filters, a form no index serves: the two indexes were
-- two more B-trees written per commit.
ALTER TABLE sign_records DROP INDEX sign_records_by_address, DROP INDEX sign_records_by_type;
