-- SmileFactory events and their RSVPs. The seed declares `events` twice (a first sketch
-- with start_date/end_date/is_online/online_platform/registration_fee, and a later one with
-- timezone/virtual_meeting_url/registration_deadline/visibility/price/currency): one table
-- with the union of both (docs/schema.md says which column came from where).

CREATE TABLE events (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organizer_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title                  text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description            text CHECK (length(description) <= 20000),
    event_type             text NOT NULL
                           CHECK (event_type IN ('conference', 'workshop', 'networking', 'webinar', 'meetup', 'pitch',
                                                 'demo')),
    starts_at              timestamptz NOT NULL,
    ends_at                timestamptz NOT NULL,
    timezone               text NOT NULL DEFAULT 'Africa/Harare' CHECK (length(timezone) BETWEEN 1 AND 64),
    is_online              boolean NOT NULL DEFAULT false,
    location               text CHECK (length(location) <= 500),
    online_platform        text CHECK (length(online_platform) <= 100),
    virtual_meeting_url    text CHECK (length(virtual_meeting_url) <= 2048),
    registration_required  boolean NOT NULL DEFAULT true,
    registration_deadline  timestamptz,
    max_attendees          integer CHECK (max_attendees > 0),
    -- confirmed attendees, kept by a trigger on event_attendees
    current_attendees      integer NOT NULL DEFAULT 0 CHECK (current_attendees >= 0),
    -- the last place handed out in this event's queue (event_attendees.arrival)
    arrivals               bigint NOT NULL DEFAULT 0,
    status                 text NOT NULL DEFAULT 'draft'
                           CHECK (status IN ('draft', 'published', 'cancelled', 'completed')),
    visibility             text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private', 'members_only')),
    cover_image_url        text CHECK (length(cover_image_url) <= 2048),
    tags                   text[] NOT NULL DEFAULT '{}',
    price                  numeric(10, 2) NOT NULL DEFAULT 0 CHECK (price >= 0),
    currency               text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_ends_after_start CHECK (ends_at > starts_at),
    CONSTRAINT events_deadline_before_end CHECK (registration_deadline IS NULL OR registration_deadline <= ends_at),
    -- online events need somewhere to join, in-person ones somewhere to go
    CONSTRAINT events_place CHECK (CASE WHEN is_online THEN virtual_meeting_url IS NOT NULL
                                        ELSE location IS NOT NULL END),
    CONSTRAINT events_within_capacity CHECK (max_attendees IS NULL OR current_attendees <= max_attendees)
);
CREATE INDEX events_organizer_idx ON events (organizer_id);
CREATE INDEX events_starts_at_idx ON events (starts_at, id);
CREATE INDEX events_status_idx ON events (status, starts_at);
CREATE INDEX events_event_type_idx ON events (event_type);
CREATE INDEX events_location_idx ON events (location);
CREATE INDEX events_tags_idx ON events USING gin (tags);

CREATE TABLE event_attendees (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id              uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id               uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status                text NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('confirmed', 'maybe', 'declined', 'pending', 'waitlist')),
    role                  text NOT NULL DEFAULT 'attendee' CHECK (role IN ('organizer', 'speaker', 'sponsor', 'attendee')),
    -- the place taken in the event's queue when the person last asked for a seat: the
    -- confirmed are the earliest places, the waitlist is promoted in this order
    arrival               bigint NOT NULL DEFAULT 0,
    invited_by            uuid REFERENCES users (id) ON DELETE SET NULL,
    dietary_restrictions  text CHECK (length(dietary_restrictions) <= 2000),
    special_requests      text CHECK (length(special_requests) <= 2000),
    registered_at         timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    checked_in_at         timestamptz,
    CONSTRAINT event_attendees_event_user_key UNIQUE (event_id, user_id),
    CONSTRAINT event_attendees_checked_in_confirmed CHECK (checked_in_at IS NULL OR status = 'confirmed')
);
CREATE INDEX event_attendees_queue_idx ON event_attendees (event_id, status, arrival);
CREATE INDEX event_attendees_user_idx ON event_attendees (user_id);
-- two people never hold the same place in a queue
CREATE UNIQUE INDEX event_attendees_arrival_key ON event_attendees (event_id, arrival) WHERE arrival > 0;

-- A parent's count of its child rows in one status, kept on every path (cascades from deleted
-- accounts included). Arguments: the parent table, the child's column naming the parent, the
-- parent's counter column, the status counted. Used for events and groups (sql/032).
CREATE FUNCTION keep_status_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was integer := CASE WHEN TG_OP <> 'INSERT' AND OLD.status = TG_ARGV[3] THEN 1 ELSE 0 END;
    now_is integer := CASE WHEN TG_OP <> 'DELETE' AND NEW.status = TG_ARGV[3] THEN 1 ELSE 0 END;
    child jsonb;
BEGIN
    IF now_is <> was THEN
        IF TG_OP = 'DELETE' THEN child := to_jsonb(OLD); ELSE child := to_jsonb(NEW); END IF;
        EXECUTE format('UPDATE %I SET %I = %I + $1 WHERE id = $2', TG_ARGV[0], TG_ARGV[2], TG_ARGV[2])
            USING now_is - was, (child ->> TG_ARGV[1])::uuid;
    END IF;
    RETURN NULL;
END $$;

-- With events_within_capacity it makes "confirmed never exceeds capacity" a rule of the database.
CREATE TRIGGER event_attendees_count AFTER INSERT OR DELETE OR UPDATE OF status ON event_attendees
    FOR EACH ROW EXECUTE FUNCTION keep_status_count('events', 'event_id', 'current_attendees', 'confirmed');
