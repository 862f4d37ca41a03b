-- Commit-safe incremental sync (CONTRACT.md §6 and §6a, ADR-006): timestamps at the precision the API shows,
-- a tombstone for every deleted lead, and the one function that tells how far a sync run may safely read.

-- The API shows timestamps with milliseconds and a partner sends them back as exact bounds, so the database keeps
-- exactly that: timestamptz(3) rounds any value written explicitly, and the defaults and the trigger truncate
-- the transaction's start, so updated_at never passes the moment the writing transaction began.
ALTER TABLE leads
    ALTER COLUMN created_at TYPE timestamptz(3),
    ALTER COLUMN updated_at TYPE timestamptz(3),
    ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', now()),
    ALTER COLUMN updated_at SET DEFAULT date_trunc('milliseconds', now());

CREATE OR REPLACE FUNCTION leads_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := date_trunc('milliseconds', now());
    END IF;
    RETURN NEW;
END;
$$;

-- Tombstones: written by the database for every deleted lead, whatever deleted it. A lead deleted with its whole
-- workspace leaves none (the workspace's tombstones go with it).
CREATE TABLE lead_deletions (
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    deleted_at    timestamptz(3) NOT NULL,
    PRIMARY KEY (workspace_id, deleted_at, id)
);

-- A lead re-created with a deleted lead's id removes the tombstone (see leads_forget_tombstones).
CREATE INDEX lead_deletions_id ON lead_deletions (id);
-- The retention purge deletes by age across workspaces.
CREATE INDEX lead_deletions_deleted_at ON lead_deletions (deleted_at);

-- Statement-level with a transition table: one insert per DELETE statement, however many rows it removed.
CREATE FUNCTION leads_record_deletions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO lead_deletions (workspace_id, id, deleted_at)
    SELECT g.workspace_id, g.id, date_trunc('milliseconds', now())
    FROM deleted_leads g
    -- During a workspace cascade the workspace row is already gone: nobody is left to sync its deletions.
    WHERE EXISTS (SELECT 1 FROM workspaces w WHERE w.id = g.workspace_id)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;

CREATE TRIGGER leads_record_deletions AFTER DELETE ON leads
    REFERENCING OLD TABLE AS deleted_leads
    FOR EACH STATEMENT EXECUTE FUNCTION leads_record_deletions();

-- A lead that comes back under its old id is a lead again, not a deletion: a client that has not yet seen the
-- tombstone must not delete the new row after upserting it. Checked only when a tombstone exists at all, so a
-- bulk COPY into a database without deletions costs one index probe.
CREATE FUNCTION leads_forget_tombstones() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM lead_deletions) THEN
        DELETE FROM lead_deletions d USING inserted_leads n WHERE d.id = n.id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER leads_forget_tombstones AFTER INSERT ON leads
    REFERENCING NEW TABLE AS inserted_leads
    FOR EACH STATEMENT EXECUTE FUNCTION leads_forget_tombstones();

-- The start of the oldest transaction still open in this database, and the database's clock (ADR-006). A row
-- written by a transaction gets updated_at = that transaction's start, so no row that is invisible now can later
-- commit with updated_at below min(oldest_xact_start, db_now).
--
-- pg_stat_activity shows other roles' xact_start only to superusers and members of pg_read_all_stats; the API's
-- role may be neither. SECURITY DEFINER runs this as the role that migrated, which the check below requires to
-- see every session: a function that silently saw only its own role's transactions would break the guarantee.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') THEN
        RAISE EXCEPTION 'the migrating role must be a superuser or a member of pg_read_all_stats (see ADR-006)';
    END IF;
END;
$$;

-- PL/pgSQL, so that each pooled session plans the scan once; pg_stat_get_activity() directly, without the view's
-- joins. The database's clock is read first: a transaction that starts after it has a later start, one that started
-- before it is in the activity read that follows.
CREATE FUNCTION sync_horizon(OUT db_now timestamptz, OUT oldest_xact_start timestamptz, OUT oldest_pid integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    db_now := clock_timestamp();
    SELECT a.xact_start, a.pid INTO oldest_xact_start, oldest_pid
    FROM pg_stat_get_activity(NULL) a
    WHERE a.datid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
      AND a.backend_type = 'client backend'
      AND a.pid <> pg_backend_pid()
      AND a.xact_start IS NOT NULL
    ORDER BY a.xact_start
    LIMIT 1;
END;
$$;
