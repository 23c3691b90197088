-- 0003 (sqlite): who answered is kept apart from when (a stream without timestamps still says
-- who answered), and each call says where its times come from.
-- calls.answered: the caller reached a person; legs.answered: the channel went Up;
-- calls.time_source: asterisk (Timestamp headers), arrival (the live capture's clock) or none.
-- Rows stored before had times whenever they had an answer: both are set from them.

ALTER TABLE calls ADD COLUMN answered BOOLEAN DEFAULT 0 NOT NULL;

ALTER TABLE calls ADD COLUMN time_source VARCHAR(64) DEFAULT 'none' NOT NULL;

ALTER TABLE legs ADD COLUMN answered BOOLEAN DEFAULT 0 NOT NULL;

UPDATE calls SET answered = (answered_at IS NOT NULL), time_source = CASE WHEN started_at IS NULL THEN 'none' ELSE 'asterisk' END;

UPDATE legs SET answered = (answered_at IS NOT NULL);
