-- Key cache invalidation (ADR-010): every API instance keeps the keys it has seen for a few seconds and LISTENs on
-- roofkit_api_keys; any change that can turn a key away (revoked, deleted, its scopes or secret changed, its
-- workspace suspended or deleted) notifies every instance in the same commit. Statement-level triggers: one
-- notification per statement, whatever its row count. `last_used_at` is not watched, so the throttled
-- last-use writes do not empty the caches.
CREATE FUNCTION notify_api_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('roofkit_api_keys', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER api_keys_notify_change
    AFTER UPDATE OF public_id, secret_hash, scopes, workspace_id, revoked_at, deleted_at OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION notify_api_key_change();

CREATE TRIGGER api_keys_notify_truncate
    AFTER TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION notify_api_key_change();

CREATE TRIGGER workspaces_notify_change
    AFTER UPDATE OF status OR DELETE ON workspaces
    FOR EACH STATEMENT EXECUTE FUNCTION notify_api_key_change();

CREATE TRIGGER workspaces_notify_truncate
    AFTER TRUNCATE ON workspaces
    FOR EACH STATEMENT EXECUTE FUNCTION notify_api_key_change();
