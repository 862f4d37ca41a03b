-- Fair share (CONTRACT.md §4, ADR-007): at most N exports of one workspace at once, across every API instance.
-- A lease per export in progress; unlogged like the rate-limit counters, because a crash ends the exports anyway.
CREATE UNLOGGED TABLE export_leases (
    lease_id      uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL,
    expires_at    timestamptz NOT NULL
);

CREATE INDEX export_leases_workspace ON export_leases (workspace_id);

-- One statement claims a slot or says there is none. The advisory lock makes the count and the insert of one
-- workspace take turns (it is released when the calling statement's transaction ends); other workspaces never wait.
-- Leases of instances that died are swept here, once they expire.
CREATE FUNCTION claim_export_lease(p_workspace uuid, p_lease uuid, p_max integer, p_lease_seconds integer)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('export_leases:' || p_workspace::text, 0));
    DELETE FROM export_leases WHERE workspace_id = p_workspace AND expires_at < clock_timestamp();
    IF (SELECT count(*) FROM export_leases WHERE workspace_id = p_workspace) >= p_max THEN
        RETURN false;
    END IF;
    INSERT INTO export_leases (lease_id, workspace_id, expires_at)
    VALUES (p_lease, p_workspace, clock_timestamp() + make_interval(secs => p_lease_seconds));
    RETURN true;
END;
$$;
