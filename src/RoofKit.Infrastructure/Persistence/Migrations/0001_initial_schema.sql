-- RoofKit Partner API: workspaces, their pipeline stages, leads, API keys and rate-limit counters.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE workspaces (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE status_stages (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          text NOT NULL,
    position      integer NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    UNIQUE (workspace_id, position),
    -- Lets leads reference a stage of their own workspace only.
    UNIQUE (workspace_id, id)
);

CREATE TABLE leads (
    id               uuid PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    first_name       text,
    last_name        text,
    email            text,
    phone            text,
    street           text,
    city             text,
    region           text,
    postal_code      text,
    source           text,
    medium           text,
    campaign         text,
    status_stage_id  uuid,
    notes            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- What `search` looks in, lower-cased once at write time so a trigram index can serve it. Name parts are
    -- joined by a space (a search for "John Smith" finds the name); other fields by U+001F, which no query has.
    search_text      text GENERATED ALWAYS AS (
        lower(
            coalesce(first_name, '') || ' ' || coalesce(last_name, '') || E'\x1f' ||
            coalesce(email, '') || E'\x1f' || coalesce(phone, '') || E'\x1f' ||
            coalesce(street, '') || E'\x1f' || coalesce(city, '') || E'\x1f' || coalesce(postal_code, ''))
    ) STORED,
    FOREIGN KEY (workspace_id, status_stage_id) REFERENCES status_stages (workspace_id, id)
);

-- Keyset pagination: every list and export query is an equality on workspace_id and a range on (updated_at, id).
CREATE INDEX leads_workspace_updated_id ON leads (workspace_id, updated_at, id);
-- Substring search (LIKE '%term%') on the lower-cased search text.
CREATE INDEX leads_search_text_trgm ON leads USING gin (search_text gin_trgm_ops);

-- updated_at follows every change, unless the statement sets it itself (imports, back-fills, tests).
CREATE FUNCTION leads_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER leads_touch_updated_at BEFORE UPDATE ON leads
    FOR EACH ROW EXECUTE FUNCTION leads_touch_updated_at();

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    public_id     text NOT NULL UNIQUE,
    -- SHA-256 of the key's secret part; the key itself is never stored.
    secret_hash   bytea NOT NULL CHECK (length(secret_hash) = 32),
    name          text NOT NULL,
    scopes        text[] NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    deleted_at    timestamptz
);

CREATE INDEX api_keys_workspace ON api_keys (workspace_id);

-- Fixed-window counters shared by every API instance. Unlogged: losing a minute of counts in a crash is
-- acceptable, WAL for every request is not.
CREATE UNLOGGED TABLE rate_limit_counters (
    bucket        text NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

CREATE INDEX rate_limit_counters_expires_at ON rate_limit_counters (expires_at);
