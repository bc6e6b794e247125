-- Career platform: AI chats (Chat, Message_v2, Vote_v2), the deprecated Message and
-- Vote tables as a one-way migration path, and versioned documents with suggestions.
-- The daily quota of 7 AI messages lives on users (daily_message_count,
-- last_message_reset_date), from 001.

CREATE TABLE ai_chats (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    visibility  text NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'private')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_chats_user_idx ON ai_chats (user_id, created_at);
CREATE INDEX ai_chats_visibility_idx ON ai_chats (visibility, created_at);

-- Message_v2
CREATE TABLE ai_chat_messages (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    chat_id      uuid NOT NULL REFERENCES ai_chats (id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
    parts        jsonb NOT NULL CHECK (jsonb_typeof(parts) = 'array'),
    attachments  jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(attachments) = 'array'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- the target of the votes' composite key: a vote's message is in the vote's chat
    CONSTRAINT ai_chat_messages_id_chat_key UNIQUE (id, chat_id)
);
CREATE INDEX ai_chat_messages_chat_idx ON ai_chat_messages (chat_id, created_at, id);

-- Vote_v2
CREATE TABLE ai_chat_votes (
    chat_id     uuid NOT NULL REFERENCES ai_chats (id) ON DELETE CASCADE,
    message_id  uuid NOT NULL,
    is_upvoted  boolean NOT NULL,
    PRIMARY KEY (chat_id, message_id),
    FOREIGN KEY (message_id, chat_id) REFERENCES ai_chat_messages (id, chat_id) ON DELETE CASCADE
);

-- The deprecated Message and Vote, kept only as a staging area: rows loaded here
-- from an old database are moved into ai_chat_messages / ai_chat_votes by
-- migrate_legacy_ai_chat_messages() (`chatserver migrate-legacy-ai`). Nothing else
-- reads or writes them.
CREATE TABLE legacy_ai_chat_messages (
    id          uuid PRIMARY KEY,
    chat_id     uuid NOT NULL REFERENCES ai_chats (id) ON DELETE CASCADE,
    role        text NOT NULL,
    content     jsonb NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE legacy_ai_chat_votes (
    chat_id     uuid NOT NULL REFERENCES ai_chats (id) ON DELETE CASCADE,
    message_id  uuid NOT NULL REFERENCES legacy_ai_chat_messages (id) ON DELETE CASCADE,
    is_upvoted  boolean NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);

-- Old content was either a string or already an array of parts; v2 keeps parts
-- and attachments apart. Idempotent: moved rows leave the staging tables.
CREATE FUNCTION migrate_legacy_ai_chat_messages(OUT messages_moved integer, OUT votes_moved integer)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ai_chat_messages (id, chat_id, role, parts, attachments, created_at)
    SELECT m.id, m.chat_id,
           CASE WHEN m.role IN ('user', 'assistant', 'system', 'tool') THEN m.role ELSE 'assistant' END,
           CASE jsonb_typeof(m.content)
               WHEN 'array' THEN m.content
               WHEN 'string' THEN jsonb_build_array(jsonb_build_object('type', 'text', 'text', m.content #>> '{}'))
               ELSE jsonb_build_array(jsonb_build_object('type', 'text', 'text', m.content::text))
           END,
           '[]'::jsonb, m.created_at
      FROM legacy_ai_chat_messages m
    ON CONFLICT (id) DO NOTHING;
    GET DIAGNOSTICS messages_moved = ROW_COUNT;

    INSERT INTO ai_chat_votes (chat_id, message_id, is_upvoted)
    SELECT v.chat_id, v.message_id, v.is_upvoted
      FROM legacy_ai_chat_votes v
      JOIN ai_chat_messages m ON m.id = v.message_id AND m.chat_id = v.chat_id
    ON CONFLICT (chat_id, message_id) DO NOTHING;
    GET DIAGNOSTICS votes_moved = ROW_COUNT;

    DELETE FROM legacy_ai_chat_votes;
    DELETE FROM legacy_ai_chat_messages;
END $$;

-- Document: every version is a row; (id, created_at) names one version. Times are
-- kept to the millisecond, the precision of the wire format, so a client can name a
-- version by the createdAt it was given.
CREATE TABLE documents (
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at  timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    content     text CHECK (length(content) <= 1000000),
    kind        text NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'code', 'image', 'sheet')),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (id, created_at),
    CHECK (created_at = date_trunc('milliseconds', created_at))
);
CREATE INDEX documents_user_idx ON documents (user_id, created_at);

CREATE TABLE suggestions (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    document_id          uuid NOT NULL,
    document_created_at  timestamptz NOT NULL,
    original_text        text NOT NULL CHECK (length(original_text) <= 100000),
    suggested_text       text NOT NULL CHECK (length(suggested_text) <= 100000),
    description          text CHECK (length(description) <= 4000),
    is_resolved          boolean NOT NULL DEFAULT false,
    user_id              uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT suggestions_document_fkey FOREIGN KEY (document_id, document_created_at)
        REFERENCES documents (id, created_at) ON DELETE CASCADE
);
CREATE INDEX suggestions_document_idx ON suggestions (document_id, document_created_at);
CREATE INDEX suggestions_user_idx ON suggestions (user_id, created_at);
