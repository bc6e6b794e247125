-- Career platform: skill assessments, job postings (three seed tables, one concept),
-- job applications and their interview rounds. Ids are UUIDs like everywhere on the
-- wire (the seed's SERIAL ids included); job ids stay text because postings imported
-- from job boards keep the board's id.

CREATE TABLE skills (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 255),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX skills_created_at_idx ON skills (created_at, id);

CREATE TABLE skill_questions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    skill_id       uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    question       text NOT NULL CHECK (length(question) BETWEEN 1 AND 4000),
    options        jsonb NOT NULL CHECK (jsonb_typeof(options) = 'array' AND jsonb_array_length(options) = 4),
    correct_index  integer NOT NULL CHECK (correct_index BETWEEN 0 AND 3),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX skill_questions_skill_idx ON skill_questions (skill_id, created_at);

-- selected_answers: [{questionId, selectedIndex}] in the order the questions were
-- asked; score and total are computed by the server, never taken from the client.
CREATE TABLE skill_attempts (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    skill_id          uuid NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    score             integer NOT NULL,
    total             integer NOT NULL,
    selected_answers  jsonb NOT NULL CHECK (jsonb_typeof(selected_answers) = 'array'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (total >= 0 AND score BETWEEN 0 AND total)
);
CREATE INDEX skill_attempts_user_skill_idx ON skill_attempts (user_id, skill_id, score DESC);
CREATE INDEX skill_attempts_created_at_idx ON skill_attempts (created_at);

-- jobs, remote_jobs and part_time_jobs had one structure; `kind` tells them apart and
-- the trigger below gives each kind the seed's defaults.
CREATE TABLE jobs (
    id                          text PRIMARY KEY DEFAULT replace(gen_random_uuid()::text, '-', '')
                                CHECK (id ~ '^[A-Za-z0-9_=.:-]{1,64}$'),
    kind                        text NOT NULL DEFAULT 'general' CHECK (kind IN ('general', 'remote', 'part_time')),
    job_title                   text,
    employer_name               text,
    employer_logo               text,
    job_city                    text,
    job_state                   text,
    job_country                 text,
    job_posted_at_datetime_utc  timestamptz,
    job_apply_link              text,
    job_employment_type         text,
    job_description             text,
    job_is_remote               boolean,
    job_min_salary              text,
    job_max_salary              text,
    job_salary_period           text,
    searched_at                 timestamptz,
    posted_by                   text CHECK (posted_by IN ('alumni', 'career_team', 'external')),
    posted_by_user_id           uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_created_at_idx ON jobs (created_at, id);
CREATE INDEX jobs_kind_idx ON jobs (kind, created_at);
CREATE INDEX jobs_country_idx ON jobs (job_country);
CREATE INDEX jobs_city_idx ON jobs (job_city);
CREATE INDEX jobs_employment_type_idx ON jobs (job_employment_type);
CREATE INDEX jobs_is_remote_idx ON jobs (job_is_remote);
CREATE INDEX jobs_posted_by_idx ON jobs (posted_by);
CREATE INDEX jobs_posted_by_user_idx ON jobs (posted_by_user_id);
-- ?q= searches this exact expression (chatserver.store.generic builds the same one)
CREATE INDEX jobs_search_idx ON jobs USING gin (to_tsvector('simple',
    coalesce(job_title, '') || ' ' || coalesce(employer_name, '') || ' ' || coalesce(job_description, '')));

CREATE FUNCTION jobs_kind_defaults() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'remote' AND NEW.job_is_remote IS NULL THEN
        NEW.job_is_remote := true;
    ELSIF NEW.kind = 'part_time' AND NEW.job_employment_type IS NULL THEN
        NEW.job_employment_type := 'Part-time';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER jobs_kind_defaults BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION jobs_kind_defaults();

-- user_id is new: the seed knew the applicant only by name and email, which is not
-- enough to say whose application it is.
CREATE TABLE job_applications (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id        text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email         text NOT NULL CHECK (length(email) <= 128),
    cover_letter  text NOT NULL CHECK (length(cover_letter) <= 20000),
    cv_file_url   text CHECK (length(cv_file_url) <= 2048),
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'reviewing', 'interviewing', 'offered', 'hired', 'rejected')),
    feedback      text CHECK (length(feedback) <= 20000),
    withdrawn     boolean NOT NULL DEFAULT false,
    withdrawn_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_applications_job_user_key UNIQUE (job_id, user_id)
);
CREATE INDEX job_applications_user_idx ON job_applications (user_id, created_at);
CREATE INDEX job_applications_status_idx ON job_applications (status);
CREATE INDEX job_applications_created_at_idx ON job_applications (created_at, id);

CREATE TABLE interview_rounds (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id     uuid NOT NULL REFERENCES job_applications (id) ON DELETE CASCADE,
    round_number       integer NOT NULL CHECK (round_number BETWEEN 1 AND 100),
    round_type         text NOT NULL CHECK (round_type IN ('phone_screening', 'job_assessment', 'hr', 'final')),
    scheduled_date     timestamptz,
    completed_date     timestamptz,
    interviewer_name   text CHECK (length(interviewer_name) <= 255),
    interviewer_email  text CHECK (length(interviewer_email) <= 255),
    notes              text CHECK (length(notes) <= 20000),
    status             text NOT NULL DEFAULT 'scheduled'
                       CHECK (status IN ('scheduled', 'completed', 'cancelled', 'rescheduled')),
    feedback           text CHECK (length(feedback) <= 20000),
    score              integer CHECK (score BETWEEN 1 AND 10),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT interview_rounds_application_round_key UNIQUE (application_id, round_number)
);
CREATE INDEX interview_rounds_status_idx ON interview_rounds (status);
CREATE INDEX interview_rounds_created_at_idx ON interview_rounds (created_at, id);
