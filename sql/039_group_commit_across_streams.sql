-- Group commit across streams: posts to many channels and direct conversations in one statement.
--
-- chat_post_messages (026) writes a batch to one stream. Direct messages are each their own
-- stream, so written that way every DM paid a statement and a commit (a WAL flush) of its own.
-- Here posts that arrive together for any streams go in one statement and one commit: each
-- stream's share, in arrival order, goes through chat_post_messages as before (its seqs without
-- gaps, its senders checked, retries by (sender, nonce) answered with the first message).
-- p_channel_ids[i] / p_conversation_ids[i] name message i's stream (one of the two is NULL); the
-- other arrays are chat_post_messages', indexed the same way, and so is the returned ordinal.
--
-- Streams are locked in one order (channels by id, then conversations by id), so two of these
-- running at once never wait on each other in a cycle. A direct conversation with a block between
-- its two people is left out before anything is written (its messages get no row, and the caller
-- answers each on its own, with the precise error): the trigger of 031 would otherwise fail the
-- whole statement, everyone else's messages with it.
CREATE FUNCTION chat_post_messages_across(
    p_channel_ids uuid[], p_conversation_ids uuid[], p_user_ids uuid[], p_contents text[], p_types text[],
    p_nonces text[], p_mention_index integer[], p_mention_name text[]
) RETURNS TABLE (ordinal integer, is_new boolean, mentioned uuid[], message messages) LANGUAGE plpgsql AS $$
DECLARE
    v_stream record;
    v_idx integer[];
BEGIN
    FOR v_stream IN
        SELECT DISTINCT s.channel_id, s.conversation_id
          FROM unnest(p_channel_ids, p_conversation_ids) AS s (channel_id, conversation_id)
         ORDER BY s.channel_id NULLS LAST, s.conversation_id NULLS LAST
    LOOP
        IF v_stream.conversation_id IS NOT NULL AND EXISTS (
               SELECT 1 FROM direct_conversations d
                WHERE d.id = v_stream.conversation_id AND blocked_between(d.user_a_id, d.user_b_id)) THEN
            CONTINUE;
        END IF;
        -- This stream's messages, in arrival order, and their mentions renumbered to match.
        v_idx := ARRAY(SELECT i FROM generate_subscripts(p_user_ids, 1) AS i
                        WHERE p_channel_ids[i] IS NOT DISTINCT FROM v_stream.channel_id
                          AND p_conversation_ids[i] IS NOT DISTINCT FROM v_stream.conversation_id
                        ORDER BY i);
        RETURN QUERY
            SELECT v_idx[posted.ordinal], posted.is_new, posted.mentioned, posted.message
              FROM chat_post_messages(
                  v_stream.channel_id, v_stream.conversation_id,
                  ARRAY(SELECT p_user_ids[j] FROM unnest(v_idx) WITH ORDINALITY AS x (j, n) ORDER BY n),
                  ARRAY(SELECT p_contents[j] FROM unnest(v_idx) WITH ORDINALITY AS x (j, n) ORDER BY n),
                  ARRAY(SELECT p_types[j] FROM unnest(v_idx) WITH ORDINALITY AS x (j, n) ORDER BY n),
                  ARRAY(SELECT p_nonces[j] FROM unnest(v_idx) WITH ORDINALITY AS x (j, n) ORDER BY n),
                  ARRAY(SELECT array_position(v_idx, m.idx)
                          FROM unnest(p_mention_index, p_mention_name) WITH ORDINALITY AS m (idx, name, n)
                         WHERE m.idx = ANY (v_idx) ORDER BY m.n),
                  ARRAY(SELECT m.name
                          FROM unnest(p_mention_index, p_mention_name) WITH ORDINALITY AS m (idx, name, n)
                         WHERE m.idx = ANY (v_idx) ORDER BY m.n)) AS posted;
    END LOOP;
END $$;

-- The one definition of a block (031), unchanged, now in PL/pgSQL. As a SQL function it can never be
-- inlined (its body is a subquery), so each statement that called it parsed and planned its body
-- again: about 120 µs of every direct message's insert went to the trigger of 031 doing that. A
-- PL/pgSQL function keeps its plan for the session.
CREATE OR REPLACE FUNCTION blocked_between(a uuid, b uuid) RETURNS boolean LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM connections k WHERE k.status = 'blocked'
                      AND ((k.sender_id = a AND k.receiver_id = b) OR (k.sender_id = b AND k.receiver_id = a)));
END $$;
