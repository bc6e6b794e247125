-- CommunityOS, part C: the right to erasure (DELETE /api/v1/me, docs/privacy.md).
--
-- An erased account keeps its users row as a tombstone: its id still names the author of what
-- stays for other people (channel and direct messages, comments, marketplace transactions,
-- payments), while every personal column is cleared and the username replaced by a random
-- "deleted-..." one. deleted_at tells a tombstone from an account that is only deactivated.
ALTER TABLE users ADD COLUMN deleted_at timestamptz;

-- The communities whose tenant tables hold rows of a user, across every community: row-level
-- security shows the application one community at a time, and an export or an erasure then scopes
-- itself to each of these in turn (chatserver/store/privacy.py). It answers this one question only.
-- Owned by the migrating role, whom FORCE ROW LEVEL SECURITY binds too (unless a superuser), so it
-- reads community_members through that table's own-rows policy, for which the caller has scoped the
-- transaction to the user, and analytics_events through its partitions, which enable RLS without
-- forcing it (sql/036).
CREATE FUNCTION chat_communities_holding_user(p_user_id uuid) RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
DECLARE
    part regclass;
BEGIN
    IF chat_current_user() IS DISTINCT FROM p_user_id THEN
        RAISE EXCEPTION 'chat_communities_holding_user: scope the transaction to the user first (chat.user_id)';
    END IF;
    RETURN QUERY SELECT community_id FROM community_members WHERE user_id = p_user_id;
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'analytics_events'::regclass LOOP
        RETURN QUERY EXECUTE format('SELECT community_id FROM %s WHERE user_id = $1', part) USING p_user_id;
    END LOOP;
END $$;
