-- SmileFactory typed profiles. The seed's personal_details is the one account (`users`) and its
-- person (`user_profiles`, 001), which already has every personal_details column, the profile_*
-- ones included: this migration gives those their rules. Each profile type has its own table,
-- keyed by the user, whose row exists only while the user's profile_type names that type (the
-- foreign key (user_id, profile_type) below), so a user has at most one typed profile.

UPDATE user_profiles SET profile_state = lower(profile_state);
ALTER TABLE user_profiles ALTER COLUMN profile_state SET DEFAULT 'draft';
ALTER TABLE user_profiles
    ADD CONSTRAINT user_profiles_profile_state CHECK (profile_state IN ('draft', 'active')),
    -- 'connections': the user's accepted connections (the career platform's `connections`).
    ADD CONSTRAINT user_profiles_profile_visibility CHECK (profile_visibility IN ('public', 'connections', 'private')),
    ADD CONSTRAINT user_profiles_profile_type CHECK (profile_type IN ('innovator', 'business_investor', 'mentor')),
    -- Only a profile with a type can be active (shown to others).
    ADD CONSTRAINT user_profiles_active_has_type CHECK (profile_state = 'draft' OR profile_type IS NOT NULL),
    ADD CONSTRAINT user_profiles_user_type_key UNIQUE (user_id, profile_type);
-- The directory (GET /profiles): active profiles, newest account first, by type.
CREATE INDEX user_profiles_directory_idx ON user_profiles (profile_type, created_at, user_id)
    WHERE profile_state = 'active';

CREATE TABLE innovator_profiles (
    user_id                uuid PRIMARY KEY,
    profile_type           text NOT NULL DEFAULT 'innovator' CHECK (profile_type = 'innovator'),
    industry_focus         text CHECK (length(industry_focus) <= 100),
    innovation_stage       text CHECK (length(innovation_stage) <= 50),
    startup_name           text CHECK (length(startup_name) <= 200),
    startup_description    text CHECK (length(startup_description) <= 10000),
    funding_amount_needed  numeric(15, 2) CHECK (funding_amount_needed >= 0),
    team_size              integer CHECK (team_size BETWEEN 1 AND 1000000),
    business_model         text CHECK (length(business_model) <= 10000),
    target_market          text CHECK (length(target_market) <= 10000),
    competitive_advantage  text CHECK (length(competitive_advantage) <= 10000),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (user_id, profile_type) REFERENCES user_profiles (user_id, profile_type) ON DELETE CASCADE
);

CREATE TABLE business_investor_profiles (
    user_id                      uuid PRIMARY KEY,
    profile_type                 text NOT NULL DEFAULT 'business_investor' CHECK (profile_type = 'business_investor'),
    investment_focus             text[] NOT NULL DEFAULT '{}'
                                 CHECK (cardinality(investment_focus) <= 50 AND array_position(investment_focus, NULL) IS NULL),
    investment_stage_preference  text[] NOT NULL DEFAULT '{}'
                                 CHECK (cardinality(investment_stage_preference) <= 50
                                        AND array_position(investment_stage_preference, NULL) IS NULL),
    ticket_size_min              numeric(15, 2) CHECK (ticket_size_min >= 0),
    ticket_size_max              numeric(15, 2) CHECK (ticket_size_max >= 0),
    geographic_focus             text[] NOT NULL DEFAULT '{}'
                                 CHECK (cardinality(geographic_focus) <= 50 AND array_position(geographic_focus, NULL) IS NULL),
    portfolio_companies          text[] NOT NULL DEFAULT '{}'
                                 CHECK (cardinality(portfolio_companies) <= 200
                                        AND array_position(portfolio_companies, NULL) IS NULL),
    investment_criteria          text CHECK (length(investment_criteria) <= 10000),
    due_diligence_process        text CHECK (length(due_diligence_process) <= 10000),
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT business_investor_ticket_range CHECK (ticket_size_min <= ticket_size_max),
    FOREIGN KEY (user_id, profile_type) REFERENCES user_profiles (user_id, profile_type) ON DELETE CASCADE
);

CREATE TABLE mentor_profiles (
    user_id                          uuid PRIMARY KEY,
    profile_type                     text NOT NULL DEFAULT 'mentor' CHECK (profile_type = 'mentor'),
    expertise_areas                  text[] NOT NULL DEFAULT '{}'
                                     CHECK (cardinality(expertise_areas) <= 50 AND array_position(expertise_areas, NULL) IS NULL),
    mentoring_experience_years       integer CHECK (mentoring_experience_years BETWEEN 0 AND 100),
    mentoring_approach               text CHECK (length(mentoring_approach) <= 10000),
    -- At most the hours of a 31-day month.
    availability_hours_per_month     integer CHECK (availability_hours_per_month BETWEEN 0 AND 744),
    preferred_communication_methods  text[] NOT NULL DEFAULT '{}'
                                     CHECK (cardinality(preferred_communication_methods) <= 20
                                            AND array_position(preferred_communication_methods, NULL) IS NULL),
    success_stories                  text CHECK (length(success_stories) <= 10000),
    mentoring_philosophy             text CHECK (length(mentoring_philosophy) <= 10000),
    created_at                       timestamptz NOT NULL DEFAULT now(),
    updated_at                       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (user_id, profile_type) REFERENCES user_profiles (user_id, profile_type) ON DELETE CASCADE
);
