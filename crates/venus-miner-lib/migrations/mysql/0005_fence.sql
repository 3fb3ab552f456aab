-- No schema change: this marks a database whose miners fence a claim
-- whose signature was never recorded (a later claim takes its parents, and
-- its signature can no longer be recorded). A miner built before this
-- records signatures without that check, so it must not share the pool
-- with one built after: it refuses to start on a database that has a
-- migration it does not know.
UPDATE miner_blocks SET reason = reason WHERE 1 = 0;
