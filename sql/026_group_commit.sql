-- Posting many messages to one stream in one statement (group commit).
--
-- Sends to a channel or direct conversation that arrive while a write to it is in flight are
-- gathered and written here together: one lock of the stream row, one round trip, one commit.
-- Messages are taken in the order given (arrival order) and numbered from the stream's counters
-- without gaps. For each one it returns, in that order, the stored message and whether it is new:
-- a (sender, nonce) already stored, by an earlier batch or earlier in this one, returns the first
-- message, not new. A sender who may not post here (not a member, an archived channel, no such
-- stream) gets no row; the caller answers that message on its own, with the precise error.
-- p_mention_index / p_mention_name: the lower-cased @names in message i (1-based), flattened; the
-- channel members among them are recorded as mentioned and returned with the message.
CREATE FUNCTION chat_post_messages(
    p_channel_id uuid, p_conversation_id uuid, p_user_ids uuid[], p_contents text[], p_types text[],
    p_nonces text[], p_mention_index integer[], p_mention_name text[]
) RETURNS TABLE (ordinal integer, is_new boolean, mentioned uuid[], message messages) LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
    v_change bigint;
    v_archived boolean;
    v_user_a uuid;
    v_user_b uuid;
    v_first_seq bigint;
    v_senders uuid[];
    v_message messages;
BEGIN
    IF p_channel_id IS NOT NULL THEN
        SELECT c.last_seq, c.last_change_seq, c.is_archived INTO v_seq, v_change, v_archived
          FROM channels c WHERE c.id = p_channel_id FOR UPDATE;
    ELSE
        SELECT d.last_seq, d.last_change_seq, false, d.user_a_id, d.user_b_id
          INTO v_seq, v_change, v_archived, v_user_a, v_user_b
          FROM direct_conversations d WHERE d.id = p_conversation_id FOR UPDATE;
    END IF;
    IF v_seq IS NULL OR v_archived THEN
        RETURN;
    END IF;
    v_first_seq := v_seq;
    -- Who of the senders may post here, asked once for the batch: what access.channel_member asks,
    -- a channel member who is still in the workspace; in a conversation, its two people.
    IF p_channel_id IS NOT NULL THEN
        SELECT array_agg(cm.user_id) INTO v_senders
          FROM channel_members cm
          JOIN channels c ON c.id = cm.channel_id
          JOIN workspace_members wm ON wm.workspace_id = c.workspace_id AND wm.user_id = cm.user_id
         WHERE cm.channel_id = p_channel_id AND cm.user_id = ANY (p_user_ids);
    ELSE
        v_senders := ARRAY[v_user_a, v_user_b];
    END IF;

    FOR i IN 1 .. coalesce(cardinality(p_user_ids), 0) LOOP
        CONTINUE WHEN v_senders IS NULL OR NOT p_user_ids[i] = ANY (v_senders);

        INSERT INTO messages (channel_id, conversation_id, seq, change_seq, user_id, content, type, nonce)
        VALUES (p_channel_id, p_conversation_id, v_seq + 1, v_change + 1, p_user_ids[i], p_contents[i],
                p_types[i], p_nonces[i])
        ON CONFLICT (user_id, nonce) DO NOTHING
        RETURNING * INTO v_message;
        IF NOT FOUND THEN  -- a retry (of an earlier batch, or of a message earlier in this one)
            SELECT m.* INTO v_message FROM messages m WHERE m.user_id = p_user_ids[i] AND m.nonce = p_nonces[i];
            ordinal := i; is_new := false; message := v_message;
            mentioned := ARRAY(SELECT mm.user_id FROM message_mentions mm WHERE mm.message_id = v_message.id);
            RETURN NEXT;
            CONTINUE;
        END IF;
        v_seq := v_seq + 1;
        v_change := v_change + 1;
        mentioned := '{}';
        IF p_channel_id IS NOT NULL AND i = ANY (p_mention_index) THEN
            WITH recorded AS (
                INSERT INTO message_mentions (message_id, user_id, channel_id, seq)
                SELECT DISTINCT v_message.id, u.id, p_channel_id, v_seq
                  FROM unnest(p_mention_index, p_mention_name) AS mention (idx, name)
                  JOIN users u ON lower(u.username) = mention.name
                  JOIN channel_members cm ON cm.user_id = u.id AND cm.channel_id = p_channel_id
                 WHERE mention.idx = i
                ON CONFLICT DO NOTHING
                RETURNING user_id)
            SELECT coalesce(array_agg(recorded.user_id), '{}') INTO mentioned FROM recorded;
        END IF;
        ordinal := i; is_new := true; message := v_message;
        RETURN NEXT;
    END LOOP;

    IF v_seq = v_first_seq THEN
        RETURN;
    END IF;
    -- The counters, and each sender's read marker at their last message, once for the batch.
    IF p_channel_id IS NOT NULL THEN
        UPDATE channels SET last_seq = v_seq, last_change_seq = v_change, last_message_at = now()
         WHERE id = p_channel_id;
        UPDATE channel_members cm
           SET last_read_seq = last.seq, last_read_at = now(), last_read_message_id = last.id
          FROM (SELECT DISTINCT ON (m.user_id) m.user_id, m.seq, m.id FROM messages m
                 WHERE m.channel_id = p_channel_id AND m.seq > v_first_seq
                 ORDER BY m.user_id, m.seq DESC) AS last
         WHERE cm.channel_id = p_channel_id AND cm.user_id = last.user_id AND cm.last_read_seq < last.seq;
    ELSE
        UPDATE direct_conversations d
           SET last_seq = v_seq, last_change_seq = v_change, last_message_at = now(),
               user_a_last_read_seq = greatest(user_a_last_read_seq, coalesce(
                   (SELECT max(m.seq) FROM messages m WHERE m.conversation_id = d.id AND m.seq > v_first_seq
                       AND m.user_id = d.user_a_id), 0)),
               user_b_last_read_seq = greatest(user_b_last_read_seq, coalesce(
                   (SELECT max(m.seq) FROM messages m WHERE m.conversation_id = d.id AND m.seq > v_first_seq
                       AND m.user_id = d.user_b_id), 0))
         WHERE d.id = p_conversation_id;
    END IF;
END $$;
