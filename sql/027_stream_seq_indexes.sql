-- A message belongs to a channel or to a direct conversation, never both. Its seq is unique within
-- its stream; the two full UNIQUE constraints indexed every message twice (once under a NULL key),
-- so every post paid for an index entry nobody reads. Partial unique indexes keep the rule and
-- index each message once.
ALTER TABLE messages DROP CONSTRAINT messages_channel_id_seq_key,
                     DROP CONSTRAINT messages_conversation_id_seq_key;
CREATE UNIQUE INDEX messages_channel_seq_key ON messages (channel_id, seq) WHERE channel_id IS NOT NULL;
CREATE UNIQUE INDEX messages_conversation_seq_key ON messages (conversation_id, seq)
    WHERE conversation_id IS NOT NULL;
