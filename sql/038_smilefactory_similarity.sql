-- SmileFactory vector similarity (pgvector): one embedding per profile, post, event, group and
-- AI chat message, computed in the background from an OpenAI-compatible /embeddings endpoint.
--
-- The seed's user_embeddings (profile_embedding) and content_embeddings are one table here, keyed
-- by what the vector describes: a profile is content of type 'profile' keyed by its user. Writes
-- to the content never call the endpoint: triggers only count the change (`version`), and the
-- periodic task `embed_pending` (chatserver/actions/similarity.py) embeds what is behind, recording
-- the version it read (`embedded_version`). A change made while a vector was being computed leaves
-- `version` ahead of it, so that vector is never taken for the current one.

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE content_embeddings (
    content_type      text NOT NULL CHECK (content_type IN ('profile', 'post', 'event', 'group', 'ai_message')),
    content_id        uuid NOT NULL,
    version           integer NOT NULL DEFAULT 1,   -- changes of the content seen so far
    embedded_version  integer NOT NULL DEFAULT 0,   -- the version `embedding` was computed from
    embedding         vector(1536),                 -- null while none is computed, or the text is blank
    model             text,                         -- the AI_EMBEDDING_MODEL that computed it
    attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),  -- failed calls since the last success
    retry_at          timestamptz NOT NULL DEFAULT now(),                 -- not tried again before this
    embedded_at       timestamptz,
    PRIMARY KEY (content_type, content_id),
    CHECK (embedded_version <= version)
);

-- One cosine HNSW index per kind, so that a nearest-neighbour search of one kind walks only its own.
CREATE INDEX content_embeddings_profile_hnsw ON content_embeddings USING hnsw (embedding vector_cosine_ops)
    WHERE content_type = 'profile';
CREATE INDEX content_embeddings_post_hnsw ON content_embeddings USING hnsw (embedding vector_cosine_ops)
    WHERE content_type = 'post';
CREATE INDEX content_embeddings_event_hnsw ON content_embeddings USING hnsw (embedding vector_cosine_ops)
    WHERE content_type = 'event';
CREATE INDEX content_embeddings_group_hnsw ON content_embeddings USING hnsw (embedding vector_cosine_ops)
    WHERE content_type = 'group';
CREATE INDEX content_embeddings_ai_message_hnsw ON content_embeddings USING hnsw (embedding vector_cosine_ops)
    WHERE content_type = 'ai_message';

-- The content behind TG_ARGV[0] keyed by the column TG_ARGV[1] changed: one more version to embed.
CREATE FUNCTION content_embedding_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO content_embeddings (content_type, content_id)
    VALUES (TG_ARGV[0], (to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END) ->> TG_ARGV[1])::uuid)
    ON CONFLICT (content_type, content_id) DO UPDATE SET version = content_embeddings.version + 1;
    RETURN NULL;
END $$;

-- The content is gone: so is its embedding.
CREATE FUNCTION content_embedding_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM content_embeddings
     WHERE content_type = TG_ARGV[0] AND content_id = (to_jsonb(OLD) ->> TG_ARGV[1])::uuid;
    RETURN NULL;
END $$;

-- What each kind's text is made of (chatserver/store/embeddings.py reads the same columns); other
-- changes (counters, status, visibility) leave the vector as it is.
CREATE TRIGGER posts_embedding_new AFTER INSERT ON posts
    FOR EACH ROW EXECUTE FUNCTION content_embedding_stale('post', 'id');
CREATE TRIGGER posts_embedding_changed AFTER UPDATE ON posts FOR EACH ROW
    WHEN ((OLD.title, OLD.content, OLD.category, OLD.tags) IS DISTINCT FROM (NEW.title, NEW.content, NEW.category, NEW.tags))
    EXECUTE FUNCTION content_embedding_stale('post', 'id');
CREATE TRIGGER posts_embedding_gone AFTER DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION content_embedding_gone('post', 'id');

CREATE TRIGGER events_embedding_new AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION content_embedding_stale('event', 'id');
CREATE TRIGGER events_embedding_changed AFTER UPDATE ON events FOR EACH ROW
    WHEN ((OLD.title, OLD.description, OLD.event_type, OLD.location, OLD.tags)
          IS DISTINCT FROM (NEW.title, NEW.description, NEW.event_type, NEW.location, NEW.tags))
    EXECUTE FUNCTION content_embedding_stale('event', 'id');
CREATE TRIGGER events_embedding_gone AFTER DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION content_embedding_gone('event', 'id');

CREATE TRIGGER groups_embedding_new AFTER INSERT ON groups
    FOR EACH ROW EXECUTE FUNCTION content_embedding_stale('group', 'id');
CREATE TRIGGER groups_embedding_changed AFTER UPDATE ON groups FOR EACH ROW
    WHEN ((OLD.name, OLD.description, OLD.category, OLD.tags) IS DISTINCT FROM (NEW.name, NEW.description, NEW.category, NEW.tags))
    EXECUTE FUNCTION content_embedding_stale('group', 'id');
CREATE TRIGGER groups_embedding_gone AFTER DELETE ON groups
    FOR EACH ROW EXECUTE FUNCTION content_embedding_gone('group', 'id');

CREATE TRIGGER ai_chat_messages_embedding_new AFTER INSERT ON ai_chat_messages
    FOR EACH ROW EXECUTE FUNCTION content_embedding_stale('ai_message', 'id');
CREATE TRIGGER ai_chat_messages_embedding_changed AFTER UPDATE ON ai_chat_messages FOR EACH ROW
    WHEN (OLD.parts IS DISTINCT FROM NEW.parts)
    EXECUTE FUNCTION content_embedding_stale('ai_message', 'id');
CREATE TRIGGER ai_chat_messages_embedding_gone AFTER DELETE ON ai_chat_messages
    FOR EACH ROW EXECUTE FUNCTION content_embedding_gone('ai_message', 'id');

-- A profile is its names, bio and type, and its typed table's fields. A typed row going away (the
-- type changed) is a change of the profile, not its end; if the account itself went, the task
-- drops the row it finds no profile for.
CREATE TRIGGER user_profiles_embedding_new AFTER INSERT ON user_profiles
    FOR EACH ROW EXECUTE FUNCTION content_embedding_stale('profile', 'user_id');
CREATE TRIGGER user_profiles_embedding_changed AFTER UPDATE ON user_profiles FOR EACH ROW
    WHEN ((OLD.profile_name, OLD.first_name, OLD.last_name, OLD.bio, OLD.profile_type)
          IS DISTINCT FROM (NEW.profile_name, NEW.first_name, NEW.last_name, NEW.bio, NEW.profile_type))
    EXECUTE FUNCTION content_embedding_stale('profile', 'user_id');
CREATE TRIGGER user_profiles_embedding_gone AFTER DELETE ON user_profiles
    FOR EACH ROW EXECUTE FUNCTION content_embedding_gone('profile', 'user_id');
CREATE TRIGGER users_embedding_changed AFTER UPDATE ON users FOR EACH ROW
    WHEN ((OLD.username, OLD.display_name) IS DISTINCT FROM (NEW.username, NEW.display_name))
    EXECUTE FUNCTION content_embedding_stale('profile', 'id');
CREATE TRIGGER innovator_profiles_embedding AFTER INSERT OR UPDATE OR DELETE ON innovator_profiles
    FOR EACH ROW EXECUTE FUNCTION content_embedding_stale('profile', 'user_id');
CREATE TRIGGER business_investor_profiles_embedding AFTER INSERT OR UPDATE OR DELETE ON business_investor_profiles
    FOR EACH ROW EXECUTE FUNCTION content_embedding_stale('profile', 'user_id');
CREATE TRIGGER mentor_profiles_embedding AFTER INSERT OR UPDATE OR DELETE ON mentor_profiles
    FOR EACH ROW EXECUTE FUNCTION content_embedding_stale('profile', 'user_id');

-- What exists already is behind from the start.
INSERT INTO content_embeddings (content_type, content_id)
SELECT 'profile', user_id FROM user_profiles
UNION ALL SELECT 'post', id FROM posts
UNION ALL SELECT 'event', id FROM events
UNION ALL SELECT 'group', id FROM groups
UNION ALL SELECT 'ai_message', id FROM ai_chat_messages;
