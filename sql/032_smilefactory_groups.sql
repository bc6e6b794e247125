-- SmileFactory groups and their memberships. The seed declares `groups` twice (a first sketch
-- with creator_id/group_type/rules, and a later one with visibility/membership_type/
-- max_members/status/invite_code/tags/location): one table with the union of both
-- (docs/schema.md says which column came from where). Groups are not communities (020):
-- see docs/schema.md.
--
-- A group chats through the realtime core: it owns a workspace of its own with one private
-- channel, created with the group, and its active members are in both (workspace role GUEST,
-- so nobody holds power over the workspace itself; the channel role follows the group role).

CREATE TABLE groups (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    description      text CHECK (length(description) <= 20000),
    category         text NOT NULL DEFAULT 'general' CHECK (length(category) BETWEEN 1 AND 100),
    visibility       text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private', 'hidden')),
    membership_type  text NOT NULL DEFAULT 'open'
                     CHECK (membership_type IN ('open', 'approval_required', 'invite_only')),
    max_members      integer NOT NULL DEFAULT 1000 CHECK (max_members BETWEEN 1 AND 1000000),
    -- active members, kept by a trigger on group_memberships
    member_count     integer NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    created_by       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'archived')),
    invite_code      text NOT NULL UNIQUE CHECK (length(invite_code) BETWEEN 16 AND 64),
    rules            text CHECK (length(rules) <= 20000),
    cover_image_url  text CHECK (length(cover_image_url) <= 2048),
    tags             text[] NOT NULL DEFAULT '{}',
    location         text CHECK (length(location) <= 255),
    workspace_id     uuid NOT NULL UNIQUE REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id       uuid NOT NULL UNIQUE REFERENCES channels (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- the member cap, a rule of the database: a join past it fails whatever path it takes
    CONSTRAINT groups_within_capacity CHECK (member_count <= max_members)
);
CREATE INDEX groups_created_at_idx ON groups (created_at, id);
CREATE INDEX groups_category_idx ON groups (category);
CREATE INDEX groups_visibility_idx ON groups (visibility);
CREATE INDEX groups_created_by_idx ON groups (created_by);
CREATE INDEX groups_status_idx ON groups (status);
CREATE INDEX groups_tags_idx ON groups USING gin (tags);

CREATE TABLE group_memberships (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    group_id    uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'moderator', 'member')),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending', 'banned', 'left')),
    joined_at   timestamptz NOT NULL DEFAULT now(),
    left_at     timestamptz,
    -- who let them in: the moderator who approved the request (null for open joins and codes)
    invited_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT group_memberships_group_user_key UNIQUE (group_id, user_id),
    -- only an active member holds a role above member
    CONSTRAINT group_memberships_role_needs_active CHECK (status = 'active' OR role = 'member')
);
CREATE INDEX group_memberships_user_idx ON group_memberships (user_id);
CREATE INDEX group_memberships_status_idx ON group_memberships (group_id, status);

-- The active count (keep_status_count, sql/029), on every path; with groups_within_capacity it
-- makes the cap exact under any number of concurrent joins.
CREATE TRIGGER group_memberships_count AFTER INSERT OR DELETE OR UPDATE OF status ON group_memberships
    FOR EACH ROW EXECUTE FUNCTION keep_status_count('groups', 'group_id', 'member_count', 'active');
