-- SmileFactory: posts with ranked full-text search and tags, likes once per user, counted
-- views and shares, and comments threaded to any depth. Counters are kept by triggers in
-- the writing transaction (the counted row is locked by the UPDATE), so they stay exact
-- under concurrency and on every path, cascades included.

CREATE TABLE posts (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    author_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title               text CHECK (length(title) <= 500),
    content             text NOT NULL CHECK (length(content) BETWEEN 1 AND 40000),
    post_type           text NOT NULL DEFAULT 'general'
                        CHECK (post_type IN ('general', 'blog', 'announcement', 'opportunity')),
    category            text CHECK (length(category) <= 100),
    tags                text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20 AND array_position(tags, NULL) IS NULL),
    -- 'connections': the author's accepted connections (the career platform's `connections`).
    visibility          text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'connections', 'private')),
    status              text NOT NULL DEFAULT 'published' CHECK (status IN ('draft', 'published', 'archived')),
    featured_image_url  text CHECK (length(featured_image_url) <= 2048),
    media_urls          text[] NOT NULL DEFAULT '{}' CHECK (cardinality(media_urls) <= 10),
    like_count          integer NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    comment_count       integer NOT NULL DEFAULT 0 CHECK (comment_count >= 0),
    share_count         integer NOT NULL DEFAULT 0 CHECK (share_count >= 0),
    view_count          integer NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- Set by posts_published_at when the post is first published, and kept from then on.
    published_at        timestamptz,
    -- Where the post stands in lists: when it was published, or written if it never was.
    -- (Generated columns are computed after BEFORE triggers, so this sees published_at.)
    listed_at           timestamptz GENERATED ALWAYS AS (coalesce(published_at, created_at)) STORED,
    -- Ranked search: a title match (weight A) counts more than a match in the text (B).
    search              tsvector GENERATED ALWAYS AS (
                            setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
                            || setweight(to_tsvector('english'::regconfig, content), 'B')) STORED,
    -- Only what was published can be archived (a draft is deleted, or published first).
    CONSTRAINT posts_archived_after_published CHECK (status = 'draft' OR published_at IS NOT NULL)
);
CREATE INDEX posts_listed_at_idx ON posts (listed_at, id);
CREATE INDEX posts_author_idx ON posts (author_id, listed_at, id);
CREATE INDEX posts_category_idx ON posts (category);
CREATE INDEX posts_type_idx ON posts (post_type);
CREATE INDEX posts_tags_idx ON posts USING gin (tags);
CREATE INDEX posts_search_idx ON posts USING gin (search);

CREATE FUNCTION posts_published_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW.published_at := OLD.published_at;  -- never moved by hand
    ELSE
        NEW.published_at := NULL;
    END IF;
    IF NEW.status = 'published' AND NEW.published_at IS NULL THEN
        NEW.published_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER posts_published_at BEFORE INSERT OR UPDATE OF status, published_at ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_published_at();

CREATE TABLE post_likes (
    post_id     uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_likes_user_idx ON post_likes (user_id);

-- A reply's parent is a comment on the same post: the foreign key (post_id, parent_id)
-- -> (post_id, id) says so. A deleted comment stays as a tombstone (is_deleted, its text
-- gone) so that its replies keep their place in the thread.
CREATE TABLE comments (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    post_id      uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    parent_id    uuid,
    content      text NOT NULL CHECK (length(content) <= 10000),
    is_deleted   boolean NOT NULL DEFAULT false,
    like_count   integer NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    reply_count  integer NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT comments_post_id_key UNIQUE (post_id, id),
    CONSTRAINT comments_parent_on_same_post FOREIGN KEY (post_id, parent_id)
        REFERENCES comments (post_id, id) ON DELETE CASCADE,
    CHECK (parent_id <> id),
    CHECK (is_deleted OR length(content) >= 1)
);
CREATE INDEX comments_thread_idx ON comments (post_id, parent_id, created_at, id);
CREATE INDEX comments_parent_idx ON comments (parent_id);
CREATE INDEX comments_author_idx ON comments (author_id);

CREATE TABLE comment_likes (
    comment_id  uuid NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (comment_id, user_id)
);
CREATE INDEX comment_likes_user_idx ON comment_likes (user_id);

CREATE FUNCTION posts_like_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'post_likes' THEN
        UPDATE posts SET like_count = like_count + CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END
         WHERE id = CASE TG_OP WHEN 'INSERT' THEN NEW.post_id ELSE OLD.post_id END;
    ELSE
        UPDATE comments SET like_count = like_count + CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END
         WHERE id = CASE TG_OP WHEN 'INSERT' THEN NEW.comment_id ELSE OLD.comment_id END;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER post_likes_count AFTER INSERT OR DELETE ON post_likes
    FOR EACH ROW EXECUTE FUNCTION posts_like_count();
CREATE TRIGGER comment_likes_count AFTER INSERT OR DELETE ON comment_likes
    FOR EACH ROW EXECUTE FUNCTION posts_like_count();

-- A post's comment_count counts the comments that are not deleted; a comment's
-- reply_count counts its direct replies, tombstones included (they are still in the thread).
CREATE FUNCTION comments_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE posts SET comment_count = comment_count + 1 WHERE id = NEW.post_id;
        IF NEW.parent_id IS NOT NULL THEN
            UPDATE comments SET reply_count = reply_count + 1 WHERE id = NEW.parent_id;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.is_deleted <> OLD.is_deleted THEN
            UPDATE posts SET comment_count = comment_count + CASE WHEN NEW.is_deleted THEN -1 ELSE 1 END
             WHERE id = NEW.post_id;
        END IF;
    ELSE
        IF NOT OLD.is_deleted THEN
            UPDATE posts SET comment_count = comment_count - 1 WHERE id = OLD.post_id;
        END IF;
        IF OLD.parent_id IS NOT NULL THEN
            UPDATE comments SET reply_count = reply_count - 1 WHERE id = OLD.parent_id;
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER comments_count AFTER INSERT OR DELETE OR UPDATE OF is_deleted ON comments
    FOR EACH ROW EXECUTE FUNCTION comments_count();
