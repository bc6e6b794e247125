-- Communities: GrowCommunity's COMMUNITY and COMMUNITY_MEMBERSHIP and the career
-- platform's communities, community_memberships and community_posts are one concept
-- (member organisations with roles), so they share these tables. CommunityOS
-- (tiers, subscriptions, a Discord guild) and SmileFactory extend them later by
-- adding columns and tables that reference communities(id) and community_members(id).

CREATE TABLE communities (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    slug          text UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,99}$'),  -- CommunityOS; optional here
    description   text,
    avatar_url    text,
    banner_image  text,                                   -- career platform
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    is_private    boolean NOT NULL DEFAULT false,         -- GrowCommunity: joining needs approval
    is_active     boolean NOT NULL DEFAULT true,
    settings      jsonb NOT NULL DEFAULT '{}',
    member_count  integer NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX communities_created_at_idx ON communities (created_at, id);
CREATE INDEX communities_created_by_idx ON communities (created_by);

-- status 'pending' is the career platform's pending request (a private community's
-- join request), 'active' its 'approved' and GrowCommunity's is_active.
CREATE TABLE community_members (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    community_id  uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator', 'admin', 'owner')),
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('pending', 'active')),
    nickname      text CHECK (length(nickname) <= 100),
    joined_at     timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT community_members_community_user_key UNIQUE (community_id, user_id),
    -- only an active member can hold a role above member
    CONSTRAINT community_members_pending_is_member CHECK (status = 'active' OR role = 'member')
);
CREATE INDEX community_members_user_idx ON community_members (user_id);
-- exactly one owner per community at a time
CREATE UNIQUE INDEX community_members_one_owner ON community_members (community_id) WHERE role = 'owner';

CREATE TABLE community_posts (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    community_id  uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content       text NOT NULL CHECK (length(content) BETWEEN 1 AND 40000),
    type          text NOT NULL DEFAULT 'update' CHECK (type IN ('event', 'update')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX community_posts_community_idx ON community_posts (community_id, created_at);
CREATE INDEX community_posts_user_idx ON community_posts (user_id);
CREATE INDEX community_posts_type_idx ON community_posts (type);
