-- GrowCommunity: anonymous names, typed messages between two people, message slots,
-- invite links, referrals and identity revelation. User and UserProfile were merged
-- into users / user_profiles (001); COMMUNITY and COMMUNITY_MEMBERSHIP into 020.

-- Anonymous names: every profile gets a unique generated one, so there is always
-- something to show where the user is anonymous. The name space (48 x 48 x 10,000)
-- is large enough that the existence check below all but never loops.
CREATE FUNCTION generate_anonymous_name() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    adjectives text[] := ARRAY['Amber', 'Azure', 'Bold', 'Brave', 'Bright', 'Calm', 'Clever', 'Cosmic',
        'Crimson', 'Curious', 'Daring', 'Eager', 'Gentle', 'Golden', 'Happy', 'Honest', 'Humble', 'Jade',
        'Jolly', 'Keen', 'Kind', 'Lively', 'Lucky', 'Lunar', 'Mellow', 'Merry', 'Misty', 'Noble', 'Polar',
        'Proud', 'Quick', 'Quiet', 'Rapid', 'Rustic', 'Sage', 'Scarlet', 'Silent', 'Silver', 'Smart',
        'Solar', 'Steady', 'Swift', 'Teal', 'Tidy', 'Vivid', 'Warm', 'Wise', 'Witty'];
    animals text[] := ARRAY['Badger', 'Bear', 'Beaver', 'Bison', 'Crane', 'Dolphin', 'Eagle', 'Falcon',
        'Ferret', 'Finch', 'Fox', 'Gecko', 'Heron', 'Ibis', 'Jaguar', 'Koala', 'Lark', 'Lemur', 'Lion',
        'Lynx', 'Magpie', 'Marten', 'Moose', 'Newt', 'Ocelot', 'Orca', 'Otter', 'Owl', 'Panda', 'Panther',
        'Puffin', 'Quail', 'Raven', 'Robin', 'Seal', 'Sparrow', 'Stork', 'Swan', 'Tapir', 'Tiger',
        'Toucan', 'Turtle', 'Viper', 'Walrus', 'Weasel', 'Whale', 'Wolf', 'Wren'];
    candidate text;
BEGIN
    LOOP
        candidate := adjectives[1 + floor(random() * array_length(adjectives, 1))::int] || ' '
            || animals[1 + floor(random() * array_length(animals, 1))::int] || ' '
            || lpad(floor(random() * 10000)::int::text, 4, '0');
        EXIT WHEN NOT EXISTS (SELECT 1 FROM user_profiles WHERE anonymous_name = candidate);
    END LOOP;
    RETURN candidate;
END $$;

CREATE FUNCTION user_profiles_fill_anonymous_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.anonymous_name IS NULL THEN
        NEW.anonymous_name := generate_anonymous_name();
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER user_profiles_anonymous_name BEFORE INSERT OR UPDATE OF anonymous_name ON user_profiles
    FOR EACH ROW EXECUTE FUNCTION user_profiles_fill_anonymous_name();

-- Row by row, so each generated name sees the ones given before it.
DO $$
DECLARE profile_user uuid;
BEGIN
    FOR profile_user IN SELECT user_id FROM user_profiles WHERE anonymous_name IS NULL LOOP
        UPDATE user_profiles SET anonymous_name = generate_anonymous_name() WHERE user_id = profile_user;
    END LOOP;
END $$;
ALTER TABLE user_profiles ALTER COLUMN anonymous_name SET NOT NULL;
CREATE INDEX user_profiles_invite_source_idx ON user_profiles (invite_source_id);

CREATE TABLE message_types (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_]{0,49}$'),
    description  text,
    is_active    boolean NOT NULL DEFAULT true,
    color_code   text NOT NULL DEFAULT '#616161' CHECK (color_code ~ '^#[0-9A-Fa-f]{6}$'),
    created_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO message_types (name, description, color_code) VALUES
    ('coffee_chat', 'An informal chat over coffee', '#A0522D'),
    ('mentorship', 'Asking for or offering mentorship', '#2E7D32'),
    ('networking', 'Professional networking', '#1565C0'),
    ('general', 'Anything else', '#616161');

-- USER_MESSAGE_SETTINGS. Its four per-type switches (coffee_chat_enabled, ...) are rows of
-- user_message_type_settings, one per message type, so a new type needs no new column.
-- A missing row means the defaults (every type on).
CREATE TABLE user_message_settings (
    user_id                  uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    use_custom_slots         boolean NOT NULL DEFAULT false,
    email_notifications      boolean NOT NULL DEFAULT true,
    auto_accept_from_admins  boolean NOT NULL DEFAULT false,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_message_type_settings (
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_type_id  uuid NOT NULL REFERENCES message_types (id) ON DELETE CASCADE,
    is_enabled       boolean NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, message_type_id)
);

-- A receiver's own limit on how many people may hold a slot of one type at once
-- (used when user_message_settings.use_custom_slots is on).
CREATE TABLE custom_message_slots (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_type_id  uuid NOT NULL REFERENCES message_types (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    slot_limit       integer NOT NULL CHECK (slot_limit BETWEEN 0 AND 1000),
    is_active        boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX custom_message_slots_user_idx ON custom_message_slots (user_id, created_at);
-- one active limit per receiver and type, so "the limit" is never ambiguous
CREATE UNIQUE INDEX custom_message_slots_one_active ON custom_message_slots (user_id, message_type_id)
    WHERE is_active;

-- CONVERSATION: always between the two people of its messages (sender and receiver),
-- so the M2M participants are two columns in a fixed order, unique per pair.
CREATE TABLE typed_conversations (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_a_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_b_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    is_active        boolean NOT NULL DEFAULT true,
    last_message_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT typed_conversations_pair_order CHECK (user_a_id < user_b_id),
    CONSTRAINT typed_conversations_pair_key UNIQUE (user_a_id, user_b_id)
);
CREATE INDEX typed_conversations_user_b_idx ON typed_conversations (user_b_id);

-- MESSAGE. receiver_identity_revealed is not stored: whether a receiver sees the
-- sender's real name is read from identity_revelations, so it cannot go stale.
CREATE TABLE typed_messages (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id  uuid NOT NULL REFERENCES typed_conversations (id) ON DELETE CASCADE,
    sender_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    receiver_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_type_id  uuid NOT NULL REFERENCES message_types (id),
    content          text NOT NULL CHECK (length(content) BETWEEN 1 AND 40000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    is_read          boolean NOT NULL DEFAULT false,
    read_at          timestamptz,
    CHECK (sender_id <> receiver_id)
);
CREATE INDEX typed_messages_conversation_idx ON typed_messages (conversation_id, created_at, id);
CREATE INDEX typed_messages_unread_idx ON typed_messages (receiver_id, conversation_id) WHERE NOT is_read;

-- Sending a type of message to someone holds one of their slots of that type until
-- expires_at; while the sender holds one, further messages of the type need no new slot.
CREATE TABLE message_slot_bookings (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sender_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    receiver_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_type_id  uuid NOT NULL REFERENCES message_types (id) ON DELETE CASCADE,
    message_id       uuid REFERENCES typed_messages (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX message_slot_bookings_receiver_idx ON message_slot_bookings (receiver_id, message_type_id, expires_at);
CREATE INDEX message_slot_bookings_sender_idx ON message_slot_bookings (sender_id, created_at);

CREATE TABLE invite_links (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code        uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    created_by  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    used_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    is_used     boolean NOT NULL DEFAULT false,   -- stays true when used_by's account is deleted
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    CHECK (expires_at > created_at),
    CHECK (is_used OR used_by IS NULL)
);
CREATE INDEX invite_links_created_by_idx ON invite_links (created_by, created_at);

CREATE TABLE referrals (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sender_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recipient_email    text NOT NULL CHECK (recipient_email ~ '^[^@\s]+@[^@\s]+$' AND length(recipient_email) <= 254),
    recipient_user_id  uuid REFERENCES users (id) ON DELETE SET NULL,
    status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    responded_at       timestamptz
);
CREATE UNIQUE INDEX referrals_sender_email_key ON referrals (sender_id, lower(recipient_email));
CREATE INDEX referrals_recipient_email_idx ON referrals (lower(recipient_email));
CREATE INDEX referrals_sender_status_idx ON referrals (sender_id, status);
CREATE INDEX referrals_created_at_idx ON referrals (created_at, id);

-- The revealer lets revealed_to see their real name on messages of one type.
CREATE TABLE identity_revelations (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    revealer_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    revealed_to_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_type_id  uuid NOT NULL REFERENCES message_types (id) ON DELETE CASCADE,
    revealed_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT identity_revelations_key UNIQUE (revealer_id, revealed_to_id, message_type_id),
    CHECK (revealer_id <> revealed_to_id)
);
CREATE INDEX identity_revelations_revealed_to_idx ON identity_revelations (revealed_to_id, revealer_id);
