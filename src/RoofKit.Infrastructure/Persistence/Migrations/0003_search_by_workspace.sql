-- Search is served by an index restricted to the key's workspace (CONTRACT.md §6): one GIN index on the workspace and
-- the trigrams of the lower-cased search text, so that a search in a small workspace reads that workspace's matches
-- only, never every workspace's (the trigram-only index of 0001) nor the whole workspace. btree_gin gives GIN the
-- equality on a uuid.
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE INDEX leads_workspace_search_text_trgm ON leads USING gin (workspace_id, search_text gin_trgm_ops);

DROP INDEX IF EXISTS leads_search_text_trgm;
