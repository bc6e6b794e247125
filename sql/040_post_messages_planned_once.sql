-- chat_post_messages (026) with statements whose one plan is right for every post.
--
-- The server's connections plan each statement once (plan_cache_mode = force_generic_plan,
-- DB_PLAN_CACHE_MODE), a plan that cannot know the values it will run with. Two of 026's statements
-- needed to: the senders' check, a join that such a plan could make read the workspace's whole
-- membership, and the read markers, found by reading the batch back from `messages` (m.seq > the
-- stream's seq before it: a few rows at run time, a third of the stream to a plan made without the
-- value). Left to choose, PostgreSQL planned both again on every post instead. Now the senders are
-- looked up one by one and the loop that inserts the messages keeps each sender's last one for the
-- read markers: every statement left is a lookup by key. On a channel of 100 members one post took
-- 520-770 µs of backend CPU before and about 350 µs after (docs/benchmarks.md).
-- Behaviour is unchanged: the same rows, in the same order, with the same checks.
CREATE OR REPLACE FUNCTION chat_post_messages(
    p_channel_id uuid, p_conversation_id uuid, p_user_ids uuid[], p_contents text[], p_types text[],
    p_nonces text[], p_mention_index integer[], p_mention_name text[]
) RETURNS TABLE (ordinal integer, is_new boolean, mentioned uuid[], message messages) LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
    v_change bigint;
    v_archived boolean;
    v_workspace_id uuid;
    v_user_a uuid;
    v_user_b uuid;
    v_first_seq bigint;
    v_senders uuid[];
    v_message messages;
    -- Each sender's last new message of the batch: where their read marker goes.
    v_readers uuid[] := '{}';
    v_read_seqs bigint[] := '{}';
    v_read_ids uuid[] := '{}';
    v_at integer;
BEGIN
    IF p_channel_id IS NOT NULL THEN
        SELECT c.last_seq, c.last_change_seq, c.is_archived, c.workspace_id
          INTO v_seq, v_change, v_archived, v_workspace_id
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
        -- Sender by sender, two key lookups each (LATERAL ... LIMIT 1 keeps the plan a loop over the
        -- senders): joined as sets, a plan could read the whole workspace's membership.
        SELECT array_agg(sender.id) INTO v_senders
          FROM unnest(p_user_ids) AS sender (id)
         CROSS JOIN LATERAL (SELECT 1 FROM channel_members cm
                              WHERE cm.channel_id = p_channel_id AND cm.user_id = sender.id LIMIT 1) AS in_channel
         CROSS JOIN LATERAL (SELECT 1 FROM workspace_members wm
                              WHERE wm.workspace_id = v_workspace_id AND wm.user_id = sender.id LIMIT 1) AS in_workspace;
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
        v_at := array_position(v_readers, p_user_ids[i]);
        IF v_at IS NULL THEN
            v_readers := v_readers || p_user_ids[i];
            v_read_seqs := v_read_seqs || v_seq;
            v_read_ids := v_read_ids || v_message.id;
        ELSE
            v_read_seqs[v_at] := v_seq;
            v_read_ids[v_at] := v_message.id;
        END IF;
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
           SET last_read_seq = r.seq, last_read_at = now(), last_read_message_id = r.id
          FROM unnest(v_readers, v_read_seqs, v_read_ids) AS r (user_id, seq, id)
         WHERE cm.channel_id = p_channel_id AND cm.user_id = r.user_id AND cm.last_read_seq < r.seq;
    ELSE
        UPDATE direct_conversations d
           SET last_seq = v_seq, last_change_seq = v_change, last_message_at = now(),
               user_a_last_read_seq = greatest(user_a_last_read_seq,
                   coalesce(v_read_seqs[array_position(v_readers, v_user_a)], 0)),
               user_b_last_read_seq = greatest(user_b_last_read_seq,
                   coalesce(v_read_seqs[array_position(v_readers, v_user_b)], 0))
         WHERE d.id = p_conversation_id;
    END IF;
END $$;

