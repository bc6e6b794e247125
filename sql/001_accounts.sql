-- Accounts: one users table for every seed's account (ConnectNow users, the
-- career platform's User, GrowCommunity's Django user, CommunityOS's Discord
-- users, SmileFactory's personal_details), person details in user_profiles
-- (1:1), devices in sessions. docs/schema.md maps every seed column here.

CREATE TABLE users (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email           text,
    username        text NOT NULL,
    display_name    text,
    password_hash   text,                       -- NULL for accounts that only sign in through Google or Discord
    avatar_url      text,
    role            text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'recruiter', 'admin')),
    provider        text,                       -- career: OAuth provider of the account
    google_id       text UNIQUE,
    discord_id      text UNIQUE,
    discriminator   text,
    global_name     text,
    locale          text NOT NULL DEFAULT 'en-US',
    premium_type    integer NOT NULL DEFAULT 0,
    referral_code   text UNIQUE,
    email_verified  boolean NOT NULL DEFAULT false,
    is_active       boolean NOT NULL DEFAULT true,
    is_banned       boolean NOT NULL DEFAULT false,
    -- career platform: AI chat quota and daily interview bookkeeping
    daily_message_count      integer NOT NULL DEFAULT 0,
    last_message_reset_date  date,
    last_interview_date      date,
    interview_count          integer NOT NULL DEFAULT 0,
    flagged_chat_expires_at  timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    last_login_at   timestamptz,
    CONSTRAINT users_username_shape CHECK (username ~ '^[A-Za-z0-9_.-]{3,32}$'),
    CONSTRAINT users_email_shape CHECK (email IS NULL OR (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 254))
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE user_profiles (
    user_id             uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    first_name          text,
    last_name           text,
    bio                 text,
    headline            text,
    company             text,
    location            text,
    gender              text,
    phone_country_code  text,
    phone_number        text,
    organization_level  text,
    is_verified         boolean NOT NULL DEFAULT false,   -- GrowCommunity: 3 accepted referrals
    invite_source_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    anonymous_name      text UNIQUE,                      -- shown wherever the user appears anonymously
    anonymous_avatar    text,
    linkedin_info       text,
    linkedin_url        text,
    facebook_url        text,
    goals               text,
    profile_metrics     text,
    strengths           text,
    interests           text,
    education           jsonb,
    experience          jsonb,
    professional_skills jsonb,
    certifications      jsonb,
    profile_name        text,
    profile_type        text,
    profile_state       text NOT NULL DEFAULT 'DRAFT',
    profile_visibility  text NOT NULL DEFAULT 'public',
    profile_completion  integer NOT NULL DEFAULT 0 CHECK (profile_completion BETWEEN 0 AND 100),
    hear_about_us       text[],
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- One row per signed-in device. Both tokens are opaque; only SHA-256 digests are stored.
CREATE TABLE sessions (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    access_token_hash   bytea NOT NULL UNIQUE,
    refresh_token_hash  bytea NOT NULL UNIQUE,
    access_expires_at   timestamptz NOT NULL,
    expires_at          timestamptz NOT NULL,       -- the refresh token's, and so the session's, end
    user_agent          text,
    ip_address          inet,
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_active_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at          timestamptz,
    revoked_reason      text
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;

-- Refresh tokens already rotated away: presenting one again means it leaked,
-- and the whole session is revoked.
CREATE TABLE session_used_refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    rotated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_used_refresh_tokens_session_idx ON session_used_refresh_tokens (session_id);

CREATE TABLE password_reset_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (user_id);
