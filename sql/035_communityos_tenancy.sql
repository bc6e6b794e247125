-- CommunityOS, part A: tenancy (row-level security) and billing.
--
-- The RLS convention every tenant table follows (036, 037 too): two transaction-local settings,
-- chat.community_id and chat.user_id, set by chatserver/db/tenancy.py scope() with
-- set_config(..., true). Unset (or empty) reads as NULL, and NULL equals nothing: fail closed.

CREATE OR REPLACE FUNCTION chat_current_community() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('chat.community_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION chat_current_user() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('chat.user_id', true), '')::uuid $$;

-- Work that crosses communities on purpose runs as the owner through SECURITY DEFINER functions with a
-- fixed search_path, each answering one narrow question (docs/operations.md lists them). Inside one,
-- current_user (the function's owner) differs from session_user (the pool's role); nowhere else can the
-- application role make them differ (it is a member of no other role). The tenant policies let such a
-- function through, so that they hold even when the owner is not a superuser and FORCE binds it too; when
-- one role both owns and serves (DATABASE_URL alone), the two never differ and the policies hold for all.
CREATE OR REPLACE FUNCTION chat_in_owner_function() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT current_user <> session_user $$;

-- CommunityOS's communities are the communities of 020. Discord ids are optional (most communities here are
-- not Discord guilds) and unique where present. `subscription_tier` is the community's own plan on the platform;
-- the tiers its members pay for are subscription_tiers below.
ALTER TABLE communities
    ADD COLUMN discord_guild_id  text CHECK (discord_guild_id ~ '^[0-9]{1,20}$'),
    ADD COLUMN status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'archived')),
    ADD COLUMN subscription_tier text NOT NULL DEFAULT 'free' CHECK (length(subscription_tier) BETWEEN 1 AND 50);
CREATE UNIQUE INDEX communities_discord_guild_key ON communities (discord_guild_id) WHERE discord_guild_id IS NOT NULL;

CREATE TABLE subscription_tiers (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    community_id    uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description     text CHECK (length(description) <= 2000),
    price           numeric(10, 2) NOT NULL CHECK (price >= 0),
    currency        text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    interval        text NOT NULL CHECK (interval IN ('monthly', 'yearly')),
    stripe_price_id text UNIQUE CHECK (length(stripe_price_id) BETWEEN 1 AND 100),
    features        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(features) = 'array'),
    discord_role_id text CHECK (discord_role_id ~ '^[0-9]{1,20}$'),
    -- null: no cap; enforced where a member picks the tier (chatserver/actions/billing.py)
    max_members     integer CHECK (max_members > 0),
    is_active       boolean NOT NULL DEFAULT true,
    sort_order      integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subscription_tiers_community_name_key UNIQUE (community_id, name)
);
CREATE INDEX subscription_tiers_order_idx ON subscription_tiers (community_id, sort_order, id);

-- CommunityOS's member columns on the one membership table. `roles` are the member's Discord roles, apart
-- from `role`, their rank here. The subscription columns mirror their latest subscription as Stripe's
-- webhook reported it; `total_spent` adds up their paid invoices.
ALTER TABLE community_members
    ADD COLUMN discord_user_id         text CHECK (discord_user_id ~ '^[0-9]{1,20}$'),
    ADD COLUMN roles                   text[] NOT NULL DEFAULT '{}',
    ADD COLUMN subscription_status     text NOT NULL DEFAULT 'none' CHECK (subscription_status IN
        ('none', 'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
    ADD COLUMN subscription_tier_id    uuid REFERENCES subscription_tiers (id) ON DELETE SET NULL,
    ADD COLUMN subscription_expires_at timestamptz,
    ADD COLUMN total_spent             numeric(12, 2) NOT NULL DEFAULT 0 CHECK (total_spent >= 0),
    ADD COLUMN is_active               boolean NOT NULL DEFAULT true;
CREATE UNIQUE INDEX community_members_discord_user_key ON community_members (community_id, discord_user_id)
    WHERE discord_user_id IS NOT NULL;
CREATE INDEX community_members_tier_idx ON community_members (subscription_tier_id) WHERE subscription_tier_id IS NOT NULL;

-- Created and changed only by the Stripe webhook. `last_event_at` is the `created` of the newest event
-- applied: an older one arriving later changes nothing.
CREATE TABLE subscriptions (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    community_id           uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    member_id              uuid NOT NULL REFERENCES community_members (id) ON DELETE CASCADE,
    tier_id                uuid REFERENCES subscription_tiers (id) ON DELETE SET NULL,
    stripe_subscription_id text NOT NULL UNIQUE CHECK (length(stripe_subscription_id) BETWEEN 1 AND 100),
    stripe_customer_id     text CHECK (length(stripe_customer_id) <= 100),
    tier_name              text CHECK (length(tier_name) <= 100),
    status                 text NOT NULL CHECK (status IN
        ('incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
    current_period_start   timestamptz,
    current_period_end     timestamptz,
    cancel_at_period_end   boolean NOT NULL DEFAULT false,
    canceled_at            timestamptz,
    trial_start            timestamptz,
    trial_end              timestamptz,
    metadata               jsonb NOT NULL DEFAULT '{}',
    last_event_at          timestamptz NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_member_idx ON subscriptions (member_id);
CREATE INDEX subscriptions_community_idx ON subscriptions (community_id, created_at, id);

-- One row per Stripe invoice. Kept for the books when the member goes: member_id becomes null then.
CREATE TABLE payments (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    community_id             uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    member_id                uuid REFERENCES community_members (id) ON DELETE SET NULL,
    subscription_id          uuid REFERENCES subscriptions (id) ON DELETE SET NULL,
    stripe_invoice_id        text NOT NULL UNIQUE CHECK (length(stripe_invoice_id) BETWEEN 1 AND 100),
    stripe_payment_intent_id text CHECK (length(stripe_payment_intent_id) <= 100),
    stripe_charge_id         text CHECK (length(stripe_charge_id) <= 100),
    amount                   numeric(12, 2) NOT NULL CHECK (amount >= 0),
    currency                 text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status                   text NOT NULL CHECK (status IN ('succeeded', 'failed')),
    description              text,
    metadata                 jsonb NOT NULL DEFAULT '{}',
    processed_at             timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_member_idx ON payments (member_id);
CREATE INDEX payments_community_idx ON payments (community_id, created_at, id);

-- Every Stripe event received, by its id: a replay finds its row and changes nothing. Not a tenant table:
-- the webhook records an event before it knows (or when it cannot know) whose it is.
CREATE TABLE stripe_webhook_events (
    id            text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
    type          text NOT NULL CHECK (length(type) <= 100),
    created       timestamptz NOT NULL,
    community_id  uuid,
    outcome       text NOT NULL DEFAULT 'received' CHECK (outcome IN ('received', 'applied', 'ignored', 'stale')),
    reason        text,
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stripe_webhook_events_received_idx ON stripe_webhook_events (received_at);

-- Row-level security: each community sees its own rows; with no community set, nothing. A user also sees
-- their own membership rows (and their subscriptions and payments) in every community, read-only.
ALTER TABLE community_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE community_members FORCE ROW LEVEL SECURITY;
CREATE POLICY community_members_tenant ON community_members
    USING (community_id = chat_current_community() OR chat_in_owner_function())
    WITH CHECK (community_id = chat_current_community() OR chat_in_owner_function());
CREATE POLICY community_members_own ON community_members FOR SELECT
    USING (user_id = chat_current_user());

ALTER TABLE subscription_tiers ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscription_tiers FORCE ROW LEVEL SECURITY;
CREATE POLICY subscription_tiers_tenant ON subscription_tiers
    USING (community_id = chat_current_community() OR chat_in_owner_function())
    WITH CHECK (community_id = chat_current_community() OR chat_in_owner_function());

ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY subscriptions_tenant ON subscriptions
    USING (community_id = chat_current_community() OR chat_in_owner_function())
    WITH CHECK (community_id = chat_current_community() OR chat_in_owner_function());
CREATE POLICY subscriptions_own ON subscriptions FOR SELECT
    USING (member_id IN (SELECT id FROM community_members WHERE user_id = chat_current_user()));

ALTER TABLE payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments FORCE ROW LEVEL SECURITY;
CREATE POLICY payments_tenant ON payments
    USING (community_id = chat_current_community() OR chat_in_owner_function())
    WITH CHECK (community_id = chat_current_community() OR chat_in_owner_function());
CREATE POLICY payments_own ON payments FOR SELECT
    USING (member_id IN (SELECT id FROM community_members WHERE user_id = chat_current_user()));

-- The daily activity summary counts members who joined in a window across every community.
CREATE FUNCTION chat_members_joined(since timestamptz, before timestamptz) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT count(*) FROM community_members WHERE joined_at >= since AND joined_at < before $$;
