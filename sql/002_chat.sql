-- The realtime core (ConnectNow): workspaces, channels, direct conversations,
-- messages with per-stream seq/changeSeq, reactions, edits, mentions,
-- attachments and presence. Channel messages and direct messages share one
-- `messages` table: a message belongs to exactly one channel or conversation,
-- so edit, delete, reactions and sync work the same way for both.

CREATE TABLE workspaces (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    description  text,
    icon_url     text,
    owner_id     uuid NOT NULL REFERENCES users (id),
    is_public    boolean NOT NULL DEFAULT false,
    invite_code  text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspace_members (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          text NOT NULL DEFAULT 'MEMBER' CHECK (role IN ('OWNER', 'ADMIN', 'MODERATOR', 'MEMBER', 'GUEST')),
    nickname      text,
    joined_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, user_id)
);
CREATE INDEX workspace_members_user_idx ON workspace_members (user_id);

CREATE TABLE channels (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workspace_id     uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,79}$'),
    description      text,
    topic            text,
    type             text NOT NULL DEFAULT 'TEXT' CHECK (type IN ('TEXT', 'VOICE', 'FORUM')),
    is_private       boolean NOT NULL DEFAULT false,
    is_archived      boolean NOT NULL DEFAULT false,
    position         integer NOT NULL DEFAULT 0,
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    -- The stream counters: the last message's seq and the last change's changeSeq.
    last_seq         bigint NOT NULL DEFAULT 0,
    last_change_seq  bigint NOT NULL DEFAULT 0,
    last_message_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name)
);

CREATE TABLE channel_members (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    channel_id            uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    user_id               uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role                  text NOT NULL DEFAULT 'MEMBER' CHECK (role IN ('OWNER', 'ADMIN', 'MODERATOR', 'MEMBER', 'GUEST')),
    is_muted              boolean NOT NULL DEFAULT false,
    last_read_seq         bigint NOT NULL DEFAULT 0,
    last_read_at          timestamptz,
    last_read_message_id  uuid,
    joined_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel_id, user_id)
);
CREATE INDEX channel_members_user_idx ON channel_members (user_id);

-- The pair is stored in a fixed order (user_a_id < user_b_id): one conversation per pair.
CREATE TABLE direct_conversations (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_a_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_b_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_seq             bigint NOT NULL DEFAULT 0,
    last_change_seq      bigint NOT NULL DEFAULT 0,
    user_a_last_read_seq bigint NOT NULL DEFAULT 0,
    user_b_last_read_seq bigint NOT NULL DEFAULT 0,
    last_message_at      timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (user_a_id < user_b_id),
    UNIQUE (user_a_id, user_b_id)
);
CREATE INDEX direct_conversations_user_b_idx ON direct_conversations (user_b_id);

CREATE TABLE messages (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    channel_id            uuid REFERENCES channels (id) ON DELETE CASCADE,
    conversation_id       uuid REFERENCES direct_conversations (id) ON DELETE CASCADE,
    seq                   bigint NOT NULL,
    change_seq            bigint NOT NULL,
    user_id               uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content               text NOT NULL,
    type                  text NOT NULL DEFAULT 'TEXT' CHECK (type IN ('TEXT', 'IMAGE', 'FILE', 'VIDEO', 'AUDIO', 'SYSTEM')),
    parent_id             uuid REFERENCES messages (id) ON DELETE CASCADE,
    thread_reply_count    integer NOT NULL DEFAULT 0,
    thread_last_reply_at  timestamptz,
    version               integer NOT NULL DEFAULT 1,
    is_edited             boolean NOT NULL DEFAULT false,
    edited_at             timestamptz,
    is_deleted            boolean NOT NULL DEFAULT false,
    deleted_at            timestamptz,
    is_pinned             boolean NOT NULL DEFAULT false,
    pinned_at             timestamptz,
    pinned_by             uuid REFERENCES users (id) ON DELETE SET NULL,
    nonce                 text NOT NULL CHECK (length(nonce) BETWEEN 1 AND 128),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    search                tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED,
    CHECK ((channel_id IS NULL) <> (conversation_id IS NULL)),
    UNIQUE (channel_id, seq),
    UNIQUE (conversation_id, seq),
    -- Idempotent sends: a retry with the same nonce finds the first message.
    UNIQUE (user_id, nonce)
);
CREATE INDEX messages_channel_change_idx ON messages (channel_id, change_seq) WHERE channel_id IS NOT NULL;
CREATE INDEX messages_conversation_change_idx ON messages (conversation_id, change_seq) WHERE conversation_id IS NOT NULL;
CREATE INDEX messages_parent_idx ON messages (parent_id, seq) WHERE parent_id IS NOT NULL;
CREATE INDEX messages_pinned_idx ON messages (channel_id) WHERE is_pinned;
CREATE INDEX messages_search_idx ON messages USING gin (search);

-- Each earlier content of an edited message, with the version it had.
CREATE TABLE message_edits (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    message_id  uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    version     integer NOT NULL,
    content     text NOT NULL,
    edited_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    edited_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (message_id, version)
);

CREATE TABLE message_reactions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    message_id  uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji       text NOT NULL CHECK (length(emoji) BETWEEN 1 AND 64),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (message_id, user_id, emoji)
);

-- Who a channel message mentions; mentionCount counts these past the reader's marker.
CREATE TABLE message_mentions (
    message_id  uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel_id  uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    seq         bigint NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX message_mentions_reader_idx ON message_mentions (user_id, channel_id, seq);

CREATE TABLE attachments (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    uploader_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id     uuid REFERENCES messages (id) ON DELETE SET NULL,
    file_name      text NOT NULL,
    storage_key    text NOT NULL UNIQUE,
    file_size      bigint NOT NULL,
    mime_type      text NOT NULL,
    thumbnail_url  text,
    width          integer,
    height         integer,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_message_idx ON attachments (message_id) WHERE message_id IS NOT NULL;

-- The last known presence per user: what `ready` shows for people who are offline.
-- Which sockets are connected lives in memory (one process) or Redis (several).
CREATE TABLE user_presence (
    user_id         uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    status          text NOT NULL DEFAULT 'OFFLINE' CHECK (status IN ('ONLINE', 'AWAY', 'BUSY', 'OFFLINE')),
    status_text     text,
    last_active_at  timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Posting a message in one round trip: take the stream's next seq and
-- changeSeq under the stream row's lock, insert, bump a thread root, record
-- mentions, link attachments, and move the sender's read marker. A duplicate
-- nonce raises unique_violation and the whole transaction, counters included,
-- rolls back, so no seq is ever skipped.
CREATE FUNCTION chat_post_message(
    p_channel_id uuid, p_conversation_id uuid, p_user_id uuid, p_content text, p_type text,
    p_parent_id uuid, p_nonce text, p_mentions uuid[], p_attachment_ids uuid[]
) RETURNS messages LANGUAGE plpgsql AS $$
DECLARE
    v_thread integer := CASE WHEN p_parent_id IS NULL THEN 0 ELSE 1 END;
    v_seq bigint;
    v_change bigint;
    v_message messages;
BEGIN
    IF p_channel_id IS NOT NULL THEN
        UPDATE channels
           SET last_seq = last_seq + 1, last_change_seq = last_change_seq + 1 + v_thread, last_message_at = now()
         WHERE id = p_channel_id
        RETURNING last_seq, last_change_seq INTO v_seq, v_change;
    ELSE
        UPDATE direct_conversations
           SET last_seq = last_seq + 1, last_change_seq = last_change_seq + 1 + v_thread, last_message_at = now(),
               user_a_last_read_seq = CASE WHEN user_a_id = p_user_id THEN last_seq + 1 ELSE user_a_last_read_seq END,
               user_b_last_read_seq = CASE WHEN user_b_id = p_user_id THEN last_seq + 1 ELSE user_b_last_read_seq END
         WHERE id = p_conversation_id
        RETURNING last_seq, last_change_seq INTO v_seq, v_change;
    END IF;
    IF v_seq IS NULL THEN
        RAISE EXCEPTION 'stream not found' USING ERRCODE = 'no_data_found';
    END IF;

    INSERT INTO messages (channel_id, conversation_id, seq, change_seq, user_id, content, type, parent_id, nonce)
    VALUES (p_channel_id, p_conversation_id, v_seq, v_change - v_thread, p_user_id, p_content, p_type,
            p_parent_id, p_nonce)
    RETURNING * INTO v_message;

    IF p_parent_id IS NOT NULL THEN
        -- The root changed (its reply count), so it takes the change after the reply's.
        UPDATE messages
           SET thread_reply_count = thread_reply_count + 1, thread_last_reply_at = v_message.created_at,
               change_seq = v_change, updated_at = now()
         WHERE id = p_parent_id;
    END IF;

    IF p_channel_id IS NOT NULL THEN
        IF cardinality(p_mentions) > 0 THEN
            INSERT INTO message_mentions (message_id, user_id, channel_id, seq)
            SELECT v_message.id, mentioned, p_channel_id, v_seq FROM unnest(p_mentions) AS mentioned
            ON CONFLICT DO NOTHING;
        END IF;
        UPDATE channel_members SET last_read_seq = v_seq, last_read_at = now(), last_read_message_id = v_message.id
         WHERE channel_id = p_channel_id AND user_id = p_user_id AND last_read_seq < v_seq;
    END IF;

    IF cardinality(p_attachment_ids) > 0 THEN
        UPDATE attachments SET message_id = v_message.id
         WHERE id = ANY (p_attachment_ids) AND uploader_id = p_user_id AND message_id IS NULL;
    END IF;
    RETURN v_message;
END $$;

-- The next changeSeq of a message's stream, for an edit, delete, pin or reaction.
-- The row lock it takes is held to the commit, so changes are numbered in commit order.
CREATE FUNCTION chat_next_change_seq(p_channel_id uuid, p_conversation_id uuid) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_change bigint;
BEGIN
    IF p_channel_id IS NOT NULL THEN
        UPDATE channels SET last_change_seq = last_change_seq + 1 WHERE id = p_channel_id
        RETURNING last_change_seq INTO v_change;
    ELSE
        UPDATE direct_conversations SET last_change_seq = last_change_seq + 1 WHERE id = p_conversation_id
        RETURNING last_change_seq INTO v_change;
    END IF;
    RETURN v_change;
END $$;
