-- Record ids compared byte by byte (issue 11, docs/usage.md "Throughput"): every ingested record
-- costs a few comparisons of its id in the registry's primary key (the probe of its known
-- version, then the insert), and under the database's libc collation each one is a strcoll()
-- call. Ids are opaque keys of the switches: only equality and a stable order (the lock order)
-- matter, and "C" gives both at the cost of memcmp(). Equality is unchanged (both collations are
-- deterministic), so no id is merged or split. Changing only the collation does not rewrite the
-- table; PostgreSQL rebuilds the primary key, under this migration's lock, once.
ALTER TABLE usage_record_versions ALTER COLUMN record_id TYPE text COLLATE "C";
