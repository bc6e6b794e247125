-- SmileFactory AI conversations, merged into the career platform's AI chats (022):
-- ai_conversations is ai_chats with a status, ai_conversation_messages is ai_chat_messages
-- with token counts and response times. One conversation table, one message table, one
-- client for the endpoint. Preferences, context data and ratings are new tables.

ALTER TABLE ai_chats
    ADD COLUMN status       text NOT NULL DEFAULT 'active'
                            CHECK (status IN ('active', 'completed', 'error', 'timeout')),
    ADD COLUMN total_tokens integer NOT NULL DEFAULT 0 CHECK (total_tokens >= 0);

-- Both NULL on the user's own messages; on a reply, what the endpoint's `usage` said and
-- how long it took to answer.
ALTER TABLE ai_chat_messages
    ADD COLUMN tokens_used      integer CHECK (tokens_used >= 0),
    ADD COLUMN response_time_ms integer CHECK (response_time_ms >= 0);

CREATE TABLE ai_user_preferences (
    user_id                     uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    ai_enabled                  boolean NOT NULL DEFAULT true,
    preferred_response_style    text NOT NULL DEFAULT 'balanced'
                                CHECK (preferred_response_style IN ('concise', 'detailed', 'balanced')),
    context_awareness_level     text NOT NULL DEFAULT 'full'
                                CHECK (context_awareness_level IN ('minimal', 'moderate', 'full')),
    quick_replies_enabled       boolean NOT NULL DEFAULT true,
    profile_assistance_enabled  boolean NOT NULL DEFAULT true,
    updated_at                  timestamptz NOT NULL DEFAULT now()
);

-- Context given to the model with the user's messages; a row past expires_at is never
-- used and is deleted by the periodic purge.
CREATE TABLE ai_context_data (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    context_type   text NOT NULL
                   CHECK (context_type IN ('profile', 'activity', 'preferences', 'connections', 'content')),
    context_key    text NOT NULL CHECK (length(context_key) BETWEEN 1 AND 255),
    context_value  text NOT NULL CHECK (length(context_value) BETWEEN 1 AND 4000),
    expires_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_context_data_user_idx ON ai_context_data (user_id, created_at);
CREATE INDEX ai_context_data_expires_idx ON ai_context_data (expires_at) WHERE expires_at IS NOT NULL;

-- ai_analytics: a user's satisfaction rating of a conversation; one per conversation and
-- user, rating again replaces it.
CREATE TABLE ai_ratings (
    chat_id     uuid NOT NULL REFERENCES ai_chats (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating      integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chat_id, user_id)
);
