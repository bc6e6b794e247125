-- CommunityOS, part B: Discord bot configurations, analytics events partitioned by month, and
-- data retention policies.
--
-- Tenant tables follow the RLS convention of 035: a policy keyed on chat_current_community(),
-- ENABLE + FORCE ROW LEVEL SECURITY, so with no community set a query sees no rows and writes none.
-- What must cross tenants on purpose (creating partitions, retention on analytics events) goes
-- through the SECURITY DEFINER functions below, owned by the migrating role, with a fixed
-- search_path; they work on the partitions, which have RLS enabled but not forced, so their owner
-- passes and every other role (the application's, granted them by default privileges) is bound.

-- One bot per community. The token is a Fernet token (chatserver/security/bot_tokens.py): the
-- server encrypts before writing and never returns it; null when none is set.
CREATE TABLE discord_bot_configs (
    id                            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    community_id                  uuid NOT NULL UNIQUE REFERENCES communities (id) ON DELETE CASCADE,
    bot_token_encrypted           text CHECK (bot_token_encrypted ~ '^gAAAAA[A-Za-z0-9_=-]+$'),
    client_id                     text NOT NULL CHECK (client_id ~ '^[0-9]{1,20}$'),
    permissions                   bigint NOT NULL DEFAULT 0 CHECK (permissions >= 0),
    prefix                        text NOT NULL DEFAULT '!' CHECK (length(prefix) BETWEEN 1 AND 10),
    welcome_message               text CHECK (length(welcome_message) <= 2000),
    farewell_message              text CHECK (length(farewell_message) <= 2000),
    auto_role_assignment          boolean NOT NULL DEFAULT true,
    payment_verification_channel  text CHECK (payment_verification_channel ~ '^[0-9]{1,20}$'),
    admin_channel                 text CHECK (admin_channel ~ '^[0-9]{1,20}$'),
    settings                      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    is_active                     boolean NOT NULL DEFAULT true,
    last_online                   timestamptz,
    created_at                    timestamptz NOT NULL DEFAULT now(),
    updated_at                    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE discord_bot_configs ENABLE ROW LEVEL SECURITY;
ALTER TABLE discord_bot_configs FORCE ROW LEVEL SECURITY;
CREATE POLICY discord_bot_configs_community ON discord_bot_configs
    USING (community_id = chat_current_community()) WITH CHECK (community_id = chat_current_community());

-- Analytics events, one partition a month (analytics_events_yYYYYmMM, bounds at UTC month starts),
-- made ahead by the worker through chat_create_analytics_partitions(); what falls in no month
-- partition lands in analytics_events_default, so no insert ever fails. The seed's `timestamp`
-- is `occurred_at`; the primary key includes it, as a partitioned table's must.
CREATE TABLE analytics_events (
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    community_id     uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    event_type       text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 50),
    event_name       text NOT NULL CHECK (length(event_name) BETWEEN 1 AND 100),
    user_id          uuid REFERENCES users (id) ON DELETE SET NULL,
    discord_user_id  text CHECK (discord_user_id ~ '^[0-9]{1,20}$'),
    properties       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
    occurred_at      timestamptz NOT NULL DEFAULT now(),
    session_id       text CHECK (length(session_id) <= 100),
    ip_address       inet,
    user_agent       text CHECK (length(user_agent) <= 1000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
-- the counts by day and type of one community, and its events newest first
CREATE INDEX analytics_events_community_time_idx ON analytics_events (community_id, occurred_at DESC);
CREATE INDEX analytics_events_community_type_idx ON analytics_events (community_id, event_type, occurred_at);
-- what retention deletes, across communities
CREATE INDEX analytics_events_time_idx ON analytics_events (occurred_at);
CREATE INDEX analytics_events_user_idx ON analytics_events (user_id) WHERE user_id IS NOT NULL;

ALTER TABLE analytics_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_events FORCE ROW LEVEL SECURITY;
CREATE POLICY analytics_events_community ON analytics_events
    USING (community_id = chat_current_community()) WITH CHECK (community_id = chat_current_community());

CREATE TABLE analytics_events_default PARTITION OF analytics_events DEFAULT;
ALTER TABLE analytics_events_default ENABLE ROW LEVEL SECURITY;
CREATE POLICY analytics_events_community ON analytics_events_default
    USING (community_id = chat_current_community()) WITH CHECK (community_id = chat_current_community());

-- Makes sure the partitions of this UTC month and the next `months_ahead` exist; returns how many it
-- created. Idempotent, and safe when several workers run it at once (an advisory lock). Rows that
-- landed in the default partition for a new month's range are moved into it, since a partition
-- cannot be attached over rows the default partition holds for its range.
CREATE FUNCTION chat_create_analytics_partitions(months_ahead integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    first_month  timestamptz := date_trunc('month', now(), 'UTC');
    lower_bound  timestamptz;
    upper_bound  timestamptz;
    part_name    text;
    created      integer := 0;
BEGIN
    IF months_ahead IS NULL OR months_ahead NOT BETWEEN 0 AND 24 THEN
        RAISE EXCEPTION 'months_ahead must be from 0 to 24, got %', months_ahead;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('chat_create_analytics_partitions'));
    FOR i IN 0 .. months_ahead LOOP
        lower_bound := first_month + make_interval(months => i);
        upper_bound := lower_bound + interval '1 month';
        part_name := 'analytics_events_' || to_char(lower_bound AT TIME ZONE 'UTC', '"y"YYYY"m"MM');
        CONTINUE WHEN to_regclass('public.' || quote_ident(part_name)) IS NOT NULL;
        EXECUTE format('CREATE TABLE public.%I (LIKE public.analytics_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                       part_name);
        EXECUTE format('WITH moved AS (DELETE FROM public.analytics_events_default'
                       ' WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *)'
                       ' INSERT INTO public.%I SELECT * FROM moved', part_name)
            USING lower_bound, upper_bound;
        EXECUTE format('ALTER TABLE public.analytics_events ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)',
                       part_name, lower_bound, upper_bound);
        EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', part_name);
        EXECUTE format('CREATE POLICY analytics_events_community ON public.%I USING (community_id = chat_current_community())'
                       ' WITH CHECK (community_id = chat_current_community())', part_name);
        created := created + 1;
    END LOOP;
    RETURN created;
END
$$;

-- Retention on analytics events, across communities: deletes up to `batch` events older than
-- `cutoff` (of the given types and names, when given); returns how many it deleted.
CREATE FUNCTION chat_purge_analytics_events(cutoff timestamptz, event_types text[], event_names text[],
                                            batch integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    part     regclass;
    deleted  integer := 0;
    removed  integer;
BEGIN
    IF batch IS NULL OR batch NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'batch must be from 1 to 100000, got %', batch;
    END IF;
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits
                      WHERE inhparent = 'public.analytics_events'::regclass ORDER BY inhrelid LOOP
        EXECUTE format('DELETE FROM %s WHERE ctid = ANY (ARRAY(SELECT ctid FROM %s WHERE occurred_at < $1'
                       ' AND ($2::text[] IS NULL OR event_type = ANY ($2)) AND ($3::text[] IS NULL OR event_name = ANY ($3))'
                       ' LIMIT $4))', part, part)
            USING cutoff, event_types, event_names, batch - deleted;
        GET DIAGNOSTICS removed = ROW_COUNT;
        deleted := deleted + removed;
        EXIT WHEN deleted >= batch;
    END LOOP;
    RETURN deleted;
END
$$;

-- Platform-wide (not a tenant table): which table keeps rows how long. The tables a policy may name,
-- and the columns its criteria may filter on, are an allow-list in code
-- (chatserver/store/retention.py RETENTION_TABLES); the worker applies nothing else.
CREATE TABLE data_retention_policies (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    table_name         text NOT NULL CHECK (length(table_name) BETWEEN 1 AND 100),
    retention_days     integer NOT NULL CHECK (retention_days BETWEEN 1 AND 36500),
    deletion_criteria  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(deletion_criteria) = 'object'),
    last_cleanup       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_retention_policies_created_at_idx ON data_retention_policies (created_at, id);
