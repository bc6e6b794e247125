-- SmileFactory blocking: the career platform's `connections` (023) get the seed's `blocked` state.
--
-- A block is a connections row with status 'blocked' whose sender is the blocker and whose receiver
-- is the blocked person. Blocking replaces the pair's other connection (pending, accepted or
-- rejected: it is deleted) and unblocking deletes the block row, so nothing comes back by itself.
-- Both people may block each other: two block rows, one per direction, each removed only by its
-- blocker. So the unique pair index (one connection per pair, whichever way round) now holds for
-- the rows that are not blocks; unique (sender, receiver) still makes a block idempotent. A request
-- and a block of the same pair take the pair's advisory lock (store/connections.lock_pair), so a
-- request never lands next to a block.
ALTER TABLE connections DROP CONSTRAINT connections_status_check,
    ADD CONSTRAINT connections_status_check CHECK (status IN ('pending', 'accepted', 'rejected', 'blocked'));
DROP INDEX connections_pair_key;
CREATE UNIQUE INDEX connections_pair_key ON connections (LEAST(sender_id, receiver_id), GREATEST(sender_id, receiver_id))
    WHERE status <> 'blocked';

-- "Is there a block between a and b", either way round: the one definition, used by every query
-- that hides content (store/connections.blocked) and by the trigger below. Both lookups use the
-- unique (sender_id, receiver_id) index.
CREATE FUNCTION blocked_between(a uuid, b uuid) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (SELECT 1 FROM connections k WHERE k.status = 'blocked'
                      AND ((k.sender_id = a AND k.receiver_id = b) OR (k.sender_id = b AND k.receiver_id = a)))
$$;

-- Direct messages are refused between blocked people on every path that writes them (one message,
-- or a group commit of many in chat_post_messages), in the writing statement itself. Only rows of
-- a direct conversation run it: the WHEN clause keeps channel messages (the hot path) free of it.
-- A retry of a message sent before the block (its sender and nonce already stored) passes, so the
-- insert's unique (user_id, nonce) answers it with the first message as always.
CREATE FUNCTION direct_message_not_blocked() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_other uuid;
BEGIN
    SELECT CASE WHEN d.user_a_id = NEW.user_id THEN d.user_b_id ELSE d.user_a_id END INTO v_other
      FROM direct_conversations d WHERE d.id = NEW.conversation_id;
    IF blocked_between(NEW.user_id, v_other)
       AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.user_id = NEW.user_id AND m.nonce = NEW.nonce) THEN
        RAISE EXCEPTION 'a block between the two people refuses direct messages'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'direct_messages_not_blocked';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER direct_messages_not_blocked BEFORE INSERT ON messages
    FOR EACH ROW WHEN (NEW.conversation_id IS NOT NULL) EXECUTE FUNCTION direct_message_not_blocked();
