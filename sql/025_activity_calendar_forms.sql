-- Career platform: activity analytics and their daily summaries, uploads, calendar
-- blocks, daily interviews, and the premium interest, API access and archive card forms.

CREATE TABLE user_activity_logs (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action_type      varchar(50) NOT NULL,
    action_category  varchar(30) NOT NULL,
    resource_type    varchar(30),
    resource_id      varchar(100),
    metadata         jsonb,
    ip_address       text,
    user_agent       text,
    session_id       varchar(100),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_activity_logs_user_idx ON user_activity_logs (user_id, created_at);
CREATE INDEX user_activity_logs_created_at_idx ON user_activity_logs (created_at, id);
CREATE INDEX user_activity_logs_category_idx ON user_activity_logs (action_category);
CREATE INDEX user_activity_logs_type_idx ON user_activity_logs (action_type);

-- The seed's user_sessions: a browsing session for analytics, not a sign-in (those
-- are `sessions`, 001), hence the name.
CREATE TABLE activity_sessions (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_token     varchar(255) NOT NULL UNIQUE,
    ip_address        text,
    user_agent        text,
    device_type       varchar(20),
    browser           varchar(50),
    os                varchar(50),
    started_at        timestamptz NOT NULL DEFAULT now(),
    last_activity_at  timestamptz NOT NULL DEFAULT now(),
    ended_at          timestamptz,
    is_active         boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activity_sessions_user_idx ON activity_sessions (user_id, created_at);
CREATE INDEX activity_sessions_started_at_idx ON activity_sessions (started_at);
CREATE INDEX activity_sessions_active_idx ON activity_sessions (is_active);

CREATE TABLE page_views (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid REFERENCES users (id) ON DELETE CASCADE,
    session_id    uuid REFERENCES activity_sessions (id) ON DELETE CASCADE,
    page_path     varchar(255) NOT NULL,
    page_title    varchar(255),
    referrer      varchar(500),
    time_on_page  integer CHECK (time_on_page >= 0),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX page_views_user_idx ON page_views (user_id, created_at);
CREATE INDEX page_views_session_idx ON page_views (session_id);
CREATE INDEX page_views_created_at_idx ON page_views (created_at, id);
CREATE INDEX page_views_path_idx ON page_views (page_path);

CREATE TABLE feature_usage (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    feature_name  varchar(50) NOT NULL,
    action        varchar(50) NOT NULL,
    metadata      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feature_usage_user_idx ON feature_usage (user_id, created_at);
CREATE INDEX feature_usage_feature_idx ON feature_usage (feature_name, created_at);
CREATE INDEX feature_usage_created_at_idx ON feature_usage (created_at, id);

CREATE TABLE activity_categories (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         varchar(30) NOT NULL UNIQUE,
    description  text,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE activity_types (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    category_id  uuid REFERENCES activity_categories (id) ON DELETE SET NULL,
    name         varchar(50) NOT NULL UNIQUE,
    description  text,
    is_tracked   boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activity_types_category_idx ON activity_types (category_id);

-- One row per UTC day, written (and rewritten) by the daily summary job.
CREATE TABLE daily_activity_summaries (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    date                  date NOT NULL UNIQUE,
    total_users_active    integer NOT NULL DEFAULT 0,
    total_sessions        integer NOT NULL DEFAULT 0,
    total_page_views      integer NOT NULL DEFAULT 0,
    total_actions         integer NOT NULL DEFAULT 0,
    new_registrations     integer NOT NULL DEFAULT 0,
    new_connections       integer NOT NULL DEFAULT 0,
    new_posts             integer NOT NULL DEFAULT 0,
    new_job_applications  integer NOT NULL DEFAULT 0,
    new_skill_attempts    integer NOT NULL DEFAULT 0,
    new_community_joins   integer NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX daily_activity_summaries_created_at_idx ON daily_activity_summaries (created_at, id);

-- userEmail became user_id (the owner); the email is kept as it was at upload time.
CREATE TABLE uploads (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_email  text,
    file_url    text NOT NULL CHECK (length(file_url) <= 2048),
    file_type   text NOT NULL CHECK (file_type IN ('cv', 'cover-letter')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX uploads_user_idx ON uploads (user_id, created_at);
CREATE INDEX uploads_file_type_idx ON uploads (file_type);

-- Times are `time`, not the seed's "HH:MM:SS" strings, so the start-before-end rule
-- is a plain comparison.
CREATE TABLE user_calendar_blocks (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    week_start_date  date NOT NULL,
    day_of_week      integer NOT NULL CHECK (day_of_week BETWEEN 0 AND 6),   -- 0 = Monday
    start_time       time NOT NULL,
    end_time         time NOT NULL,
    is_blocked       boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_calendar_blocks_week_starts_monday CHECK (extract(isodow FROM week_start_date) = 1),
    CONSTRAINT user_calendar_blocks_start_before_end CHECK (start_time < end_time),
    CONSTRAINT user_calendar_blocks_slot_key UNIQUE (user_id, week_start_date, day_of_week, start_time, end_time)
);
-- the seed's (userId, weekStartDate) index is the unique key's prefix
CREATE INDEX user_calendar_blocks_created_at_idx ON user_calendar_blocks (created_at, id);

CREATE TABLE daily_interviews (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    interview_date  date NOT NULL,                -- the UTC day
    category        varchar(50),
    completed_at    timestamptz,
    is_completed    boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT daily_interviews_user_date_key UNIQUE (user_id, interview_date)
);
CREATE INDEX daily_interviews_user_idx ON daily_interviews (user_id, created_at);
CREATE INDEX daily_interviews_date_idx ON daily_interviews (interview_date);
CREATE INDEX daily_interviews_completed_idx ON daily_interviews (is_completed);

CREATE TABLE interview_progress (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    daily_interview_id  uuid NOT NULL REFERENCES daily_interviews (id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category            varchar(50) NOT NULL,
    question_id         integer NOT NULL,        -- the question's number within its category
    question            text NOT NULL CHECK (length(question) <= 4000),
    answer              text NOT NULL CHECK (length(answer) <= 20000),
    ai_feedback         text,
    answered_at         timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT interview_progress_question_key UNIQUE (daily_interview_id, question_id)
);
CREATE INDEX interview_progress_user_idx ON interview_progress (user_id, created_at);

-- The three forms. user_id (who sent it) is new: it lets a sender see their own
-- submissions and nobody else's.
CREATE TABLE premium_interests (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             uuid REFERENCES users (id) ON DELETE SET NULL,
    full_name           varchar(128) NOT NULL,
    email_address       varchar(128) NOT NULL,
    phone_number        varchar(32),
    paragraph_interest  text CHECK (length(paragraph_interest) <= 10000),
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX premium_interests_user_idx ON premium_interests (user_id, created_at);
CREATE INDEX premium_interests_created_at_idx ON premium_interests (created_at, id);

CREATE TABLE api_access_requests (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        uuid REFERENCES users (id) ON DELETE SET NULL,
    full_name      varchar(128) NOT NULL,
    email_address  varchar(128) NOT NULL,
    phone_number   varchar(32),
    org_name       text CHECK (length(org_name) <= 200),
    work           text CHECK (length(work) <= 10000),
    benefits       text CHECK (length(benefits) <= 10000),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_access_requests_user_idx ON api_access_requests (user_id, created_at);
CREATE INDEX api_access_requests_created_at_idx ON api_access_requests (created_at, id);

CREATE TABLE archive_cards (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid REFERENCES users (id) ON DELETE SET NULL,
    name              text CHECK (length(name) <= 200),
    phone             text CHECK (length(phone) <= 32),
    match_percentage  text CHECK (length(match_percentage) <= 16),
    description       text CHECK (length(description) <= 10000),     -- the seed's `desc`
    email             text CHECK (length(email) <= 254),
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT archive_cards_id_email_key UNIQUE (id, email)
);
CREATE INDEX archive_cards_user_idx ON archive_cards (user_id, created_at);
CREATE INDEX archive_cards_created_at_idx ON archive_cards (created_at, id);
