-- Career platform: connections between people, their notifications, direct messages
-- between connected people, and the anonymous feed.

CREATE TABLE connections (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sender_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    receiver_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    message      text CHECK (length(message) <= 2000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (sender_id <> receiver_id),
    CONSTRAINT connections_sender_receiver_key UNIQUE (sender_id, receiver_id)
);
-- The seed's unique (sender, receiver) still allowed B->A next to A->B; one row per
-- pair, whichever way round, is what "unique pair" means.
CREATE UNIQUE INDEX connections_pair_key ON connections (LEAST(sender_id, receiver_id), GREATEST(sender_id, receiver_id));
CREATE INDEX connections_receiver_idx ON connections (receiver_id, status);
CREATE INDEX connections_status_idx ON connections (status);
CREATE INDEX connections_created_at_idx ON connections (created_at, id);

CREATE TABLE notifications (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type                   text NOT NULL CHECK (type IN ('connection_request', 'connection_accepted', 'connection_rejected')),
    title                  text NOT NULL,
    message                text NOT NULL,
    related_user_id        uuid REFERENCES users (id) ON DELETE SET NULL,
    related_connection_id  uuid REFERENCES connections (id) ON DELETE SET NULL,
    is_read                boolean NOT NULL DEFAULT false,
    created_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at);
CREATE INDEX notifications_unread_idx ON notifications (user_id, is_read);
CREATE INDEX notifications_type_idx ON notifications (user_id, type);

-- user_messages: direct messages between accepted connections. A table of its own,
-- not the realtime core's direct conversations: it has no seq, no edits, no reactions,
-- and its rule (an accepted connection) is the career platform's.
CREATE TABLE connection_messages (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sender_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    receiver_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message      text NOT NULL CHECK (length(message) BETWEEN 1 AND 40000),
    is_read      boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (sender_id <> receiver_id)
);
CREATE INDEX connection_messages_sender_receiver_idx ON connection_messages (sender_id, receiver_id);
CREATE INDEX connection_messages_receiver_sender_idx ON connection_messages (receiver_id, sender_id);
CREATE INDEX connection_messages_created_at_idx ON connection_messages (created_at, id);

CREATE TABLE anonymous_posts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content         text NOT NULL CHECK (length(content) BETWEEN 1 AND 10000),
    image_url       text CHECK (length(image_url) <= 2048),
    is_anonymous    boolean NOT NULL DEFAULT true,
    company_name    text CHECK (length(company_name) <= 200),
    industry        text CHECK (length(industry) <= 200),
    topic           text NOT NULL DEFAULT 'general'
                    CHECK (topic IN ('company_culture', 'workplace_issues', 'career_advice', 'general')),
    likes_count     integer NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
    comments_count  integer NOT NULL DEFAULT 0 CHECK (comments_count >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX anonymous_posts_created_at_idx ON anonymous_posts (created_at, id);
CREATE INDEX anonymous_posts_topic_idx ON anonymous_posts (topic, created_at);
CREATE INDEX anonymous_posts_company_idx ON anonymous_posts (company_name);
CREATE INDEX anonymous_posts_industry_idx ON anonymous_posts (industry);
CREATE INDEX anonymous_posts_user_idx ON anonymous_posts (user_id);

CREATE TABLE anonymous_comments (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    post_id       uuid NOT NULL REFERENCES anonymous_posts (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content       text NOT NULL CHECK (length(content) BETWEEN 1 AND 10000),
    is_anonymous  boolean NOT NULL DEFAULT true,
    likes_count   integer NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX anonymous_comments_post_idx ON anonymous_comments (post_id, created_at, id);
CREATE INDEX anonymous_comments_user_idx ON anonymous_comments (user_id);

CREATE TABLE anonymous_post_likes (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    post_id     uuid NOT NULL REFERENCES anonymous_posts (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT anonymous_post_likes_post_user_key UNIQUE (post_id, user_id)
);
CREATE INDEX anonymous_post_likes_user_idx ON anonymous_post_likes (user_id);

CREATE TABLE anonymous_comment_likes (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    comment_id  uuid NOT NULL REFERENCES anonymous_comments (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT anonymous_comment_likes_comment_user_key UNIQUE (comment_id, user_id)
);
CREATE INDEX anonymous_comment_likes_user_idx ON anonymous_comment_likes (user_id);

-- Counters kept by triggers in the writing transaction: exact under concurrency (the
-- counted row is locked by the UPDATE) and on every path, cascades from a deleted
-- account included.
CREATE FUNCTION anonymous_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    affected record;
BEGIN
    IF TG_OP = 'INSERT' THEN affected := NEW; ELSE affected := OLD; END IF;
    IF TG_TABLE_NAME = 'anonymous_post_likes' THEN
        UPDATE anonymous_posts SET likes_count = likes_count + delta WHERE id = affected.post_id;
    ELSIF TG_TABLE_NAME = 'anonymous_comment_likes' THEN
        UPDATE anonymous_comments SET likes_count = likes_count + delta WHERE id = affected.comment_id;
    ELSIF TG_TABLE_NAME = 'anonymous_comments' THEN
        UPDATE anonymous_posts SET comments_count = comments_count + delta WHERE id = affected.post_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER anonymous_post_likes_count AFTER INSERT OR DELETE ON anonymous_post_likes
    FOR EACH ROW EXECUTE FUNCTION anonymous_count_change();
CREATE TRIGGER anonymous_comment_likes_count AFTER INSERT OR DELETE ON anonymous_comment_likes
    FOR EACH ROW EXECUTE FUNCTION anonymous_count_change();
CREATE TRIGGER anonymous_comments_count AFTER INSERT OR DELETE ON anonymous_comments
    FOR EACH ROW EXECUTE FUNCTION anonymous_count_change();
