-- cdr-agent schema for postgresql.
-- Generated from cdr_agent/store/tables.py by `python -m cdr_agent.store.schema --write`; do not edit.

CREATE TABLE agi_observations (
	obs_id VARCHAR(32) NOT NULL,
	server VARCHAR(255) NOT NULL,
	group_key VARCHAR(150) NOT NULL,
	uniqueid VARCHAR(150) NOT NULL,
	observed_at TIMESTAMP WITH TIME ZONE,
	call_id VARCHAR(36),
	document TEXT NOT NULL,
	PRIMARY KEY (obs_id)
);

CREATE INDEX ix_agi_observations_group ON agi_observations (server, group_key);

CREATE INDEX ix_agi_observations_uniqueid ON agi_observations (server, uniqueid);

COMMENT ON TABLE agi_observations IS 'One row per AGI observation: what AGI-only installs rebuild calls from';

COMMENT ON COLUMN agi_observations.obs_id IS 'the observation''s deterministic id (kept once)';

COMMENT ON COLUMN agi_observations.server IS 'the Asterisk server the call was captured from (the name given to the capture)';

COMMENT ON COLUMN agi_observations.group_key IS 'linkedid of the channel''s first observation: the rebuild group';

COMMENT ON COLUMN agi_observations.uniqueid IS 'Asterisk uniqueid of the observed channel';

COMMENT ON COLUMN agi_observations.observed_at IS 'UTC time of the observation';

COMMENT ON COLUMN agi_observations.call_id IS 'the call it was last built into';

COMMENT ON COLUMN agi_observations.document IS 'the observation as JSON';

CREATE TABLE calls (
	call_id VARCHAR(36) NOT NULL,
	server VARCHAR(255) NOT NULL,
	status VARCHAR(64) NOT NULL,
	started_at TIMESTAMP WITH TIME ZONE,
	answered_at TIMESTAMP WITH TIME ZONE,
	ended_at TIMESTAMP WITH TIME ZONE,
	linkedids TEXT NOT NULL,
	user_data TEXT NOT NULL,
	caller_num TEXT,
	caller_name TEXT,
	dialed TEXT,
	flags TEXT NOT NULL,
	answered BOOLEAN DEFAULT false NOT NULL,
	time_source VARCHAR(64) DEFAULT 'none' NOT NULL,
	PRIMARY KEY (call_id)
);

CREATE INDEX ix_calls_caller_num ON calls (caller_num);

CREATE INDEX ix_calls_dialed ON calls (dialed);

CREATE INDEX ix_calls_server ON calls (server);

CREATE INDEX ix_calls_started_at ON calls (started_at);

COMMENT ON TABLE calls IS 'One row per call: one customer interaction, however many channels, transfers and servers'' linkedids it spans';

COMMENT ON COLUMN calls.call_id IS 'our call id: a UUID derived from the server and the first channel, unique across servers';

COMMENT ON COLUMN calls.server IS 'the Asterisk server the call was captured from (the name given to the capture)';

COMMENT ON COLUMN calls.status IS 'complete, incomplete (the capture missed part of it) or in_progress';

COMMENT ON COLUMN calls.started_at IS 'UTC time the first channel was created';

COMMENT ON COLUMN calls.answered_at IS 'UTC time something first answered the caller (a phone, or an Answer() by the PBX)';

COMMENT ON COLUMN calls.ended_at IS 'UTC time the last channel hung up';

COMMENT ON COLUMN calls.linkedids IS 'JSON list of Asterisk linkedids that make up the call';

COMMENT ON COLUMN calls.user_data IS 'JSON object of the dialplan variables captured for the call';

COMMENT ON COLUMN calls.caller_num IS 'caller number of whoever started the call';

COMMENT ON COLUMN calls.caller_name IS 'caller name of whoever started the call';

COMMENT ON COLUMN calls.dialed IS 'what the caller dialled: the first channel''s extension';

COMMENT ON COLUMN calls.flags IS 'JSON list of warnings: gap (the stream broke during the call), stale (no hangup seen)';

COMMENT ON COLUMN calls.answered IS 'true when the caller reached a person (phone answered or conference joined)';

COMMENT ON COLUMN calls.time_source IS 'where the times come from: asterisk (event timestamps), arrival (time read), none';

CREATE TABLE stat_agent_calls (
	hour TIMESTAMP WITH TIME ZONE NOT NULL,
	call_id VARCHAR(36) NOT NULL,
	app_id VARCHAR(64) NOT NULL,
	agent VARCHAR(255) NOT NULL,
	server VARCHAR(255) NOT NULL,
	queue VARCHAR(128) NOT NULL,
	rung INTEGER NOT NULL,
	answered INTEGER NOT NULL,
	ring_no_answer INTEGER NOT NULL,
	rejected INTEGER NOT NULL,
	transferred INTEGER NOT NULL,
	ring_s DOUBLE PRECISION NOT NULL,
	talk_s DOUBLE PRECISION NOT NULL,
	PRIMARY KEY (hour, server, queue, agent, call_id, app_id)
);

CREATE INDEX ix_stat_agent_calls_call_id ON stat_agent_calls (call_id);

COMMENT ON TABLE stat_agent_calls IS 'One row per queue visit per agent rung for it (a cache, written with the call)';

COMMENT ON COLUMN stat_agent_calls.hour IS 'UTC hour the caller entered the queue';

COMMENT ON COLUMN stat_agent_calls.call_id IS 'the call (calls.call_id)';

COMMENT ON COLUMN stat_agent_calls.app_id IS 'the queue visit (apps.app_id)';

COMMENT ON COLUMN stat_agent_calls.agent IS 'queue member name (MemberName, else its interface)';

COMMENT ON COLUMN stat_agent_calls.server IS 'the Asterisk server the call was captured from (the name given to the capture)';

COMMENT ON COLUMN stat_agent_calls.queue IS 'queue name';

COMMENT ON COLUMN stat_agent_calls.rung IS 'rings of the agent''s phone, including rings cut because another answered';

COMMENT ON COLUMN stat_agent_calls.answered IS 'rings the agent answered';

COMMENT ON COLUMN stat_agent_calls.ring_no_answer IS 'rings that ran to the member timeout (DIALSTATUS NOANSWER)';

COMMENT ON COLUMN stat_agent_calls.rejected IS 'rings the phone refused: BUSY, CONGESTION, CHANUNAVAIL';

COMMENT ON COLUMN stat_agent_calls.transferred IS 'answered calls the agent then transferred out of the queue';

COMMENT ON COLUMN stat_agent_calls.ring_s IS 'seconds of ringing, all rings';

COMMENT ON COLUMN stat_agent_calls.talk_s IS 'seconds of talk of the answered rings (until a transfer)';

CREATE TABLE stat_agent_hourly (
	hour TIMESTAMP WITH TIME ZONE NOT NULL,
	server VARCHAR(255) NOT NULL,
	queue VARCHAR(128) NOT NULL,
	agent VARCHAR(255) NOT NULL,
	rung INTEGER NOT NULL,
	answered INTEGER NOT NULL,
	ring_no_answer INTEGER NOT NULL,
	rejected INTEGER NOT NULL,
	transferred INTEGER NOT NULL,
	ring_s DOUBLE PRECISION NOT NULL,
	talk_s DOUBLE PRECISION NOT NULL,
	PRIMARY KEY (hour, server, queue, agent)
);

COMMENT ON TABLE stat_agent_hourly IS 'Agent figures per UTC hour and queue, added up from stat_agent_calls';

COMMENT ON COLUMN stat_agent_hourly.hour IS 'UTC start of the hour counted in';

COMMENT ON COLUMN stat_agent_hourly.server IS 'the Asterisk server the call was captured from (the name given to the capture)';

COMMENT ON COLUMN stat_agent_hourly.queue IS 'queue name';

COMMENT ON COLUMN stat_agent_hourly.agent IS 'queue member name (MemberName, else its interface)';

COMMENT ON COLUMN stat_agent_hourly.rung IS 'rings of the agent''s phone, including rings cut because another answered';

COMMENT ON COLUMN stat_agent_hourly.answered IS 'rings the agent answered';

COMMENT ON COLUMN stat_agent_hourly.ring_no_answer IS 'rings that ran to the member timeout (DIALSTATUS NOANSWER)';

COMMENT ON COLUMN stat_agent_hourly.rejected IS 'rings the phone refused: BUSY, CONGESTION, CHANUNAVAIL';

COMMENT ON COLUMN stat_agent_hourly.transferred IS 'answered calls the agent then transferred out of the queue';

COMMENT ON COLUMN stat_agent_hourly.ring_s IS 'seconds of ringing, all rings';

COMMENT ON COLUMN stat_agent_hourly.talk_s IS 'seconds of talk of the answered rings (until a transfer)';

CREATE TABLE stat_agent_presence_hourly (
	hour TIMESTAMP WITH TIME ZONE NOT NULL,
	server VARCHAR(255) NOT NULL,
	agent VARCHAR(255) NOT NULL,
	login_s DOUBLE PRECISION NOT NULL,
	pause_s DOUBLE PRECISION NOT NULL,
	PRIMARY KEY (hour, server, agent)
);

COMMENT ON TABLE stat_agent_presence_hourly IS 'Agent logged-in and paused seconds per UTC hour, over all queues';

COMMENT ON COLUMN stat_agent_presence_hourly.hour IS 'UTC start of the hour counted in';

COMMENT ON COLUMN stat_agent_presence_hourly.server IS 'the Asterisk server the call was captured from (the name given to the capture)';

COMMENT ON COLUMN stat_agent_presence_hourly.agent IS 'queue member name (MemberName, else its interface)';

COMMENT ON COLUMN stat_agent_presence_hourly.login_s IS 'seconds logged in (member of at least one queue) within the hour';

COMMENT ON COLUMN stat_agent_presence_hourly.pause_s IS 'seconds paused within the hour';

CREATE TABLE stat_agent_sessions (
	session_id VARCHAR(36) NOT NULL,
	server VARCHAR(255) NOT NULL,
	agent VARCHAR(255) NOT NULL,
	queue VARCHAR(128) NOT NULL,
	kind VARCHAR(64) NOT NULL,
	started_at TIMESTAMP WITH TIME ZONE NOT NULL,
	ended_at TIMESTAMP WITH TIME ZONE,
	seen_at TIMESTAMP WITH TIME ZONE NOT NULL,
	reason TEXT,
	PRIMARY KEY (session_id)
);

CREATE INDEX ix_stat_agent_sessions_seen_at ON stat_agent_sessions (seen_at);

CREATE INDEX ix_stat_agent_sessions_started_at ON stat_agent_sessions (started_at);

COMMENT ON TABLE stat_agent_sessions IS 'One row per agent login or pause, from the QueueMember events (source data)';

COMMENT ON COLUMN stat_agent_sessions.session_id IS 'the session''s own id';

COMMENT ON COLUMN stat_agent_sessions.server IS 'the Asterisk server the call was captured from (the name given to the capture)';

COMMENT ON COLUMN stat_agent_sessions.agent IS 'queue member name (MemberName, else its interface)';

COMMENT ON COLUMN stat_agent_sessions.queue IS 'queue name';

COMMENT ON COLUMN stat_agent_sessions.kind IS 'login or pause';

COMMENT ON COLUMN stat_agent_sessions.started_at IS 'UTC start';

COMMENT ON COLUMN stat_agent_sessions.ended_at IS 'UTC end, NULL while open';

COMMENT ON COLUMN stat_agent_sessions.seen_at IS 'UTC time the capture last saw it hold (its end once ended)';

COMMENT ON COLUMN stat_agent_sessions.reason IS 'pause reason (PausedReason)';

CREATE TABLE stat_fill_hours (
	hour TIMESTAMP WITH TIME ZONE NOT NULL,
	queue_visits INTEGER NOT NULL,
	filled_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (hour)
);

COMMENT ON TABLE stat_fill_hours IS 'What each statistics fill saw, per UTC hour of call start';

COMMENT ON COLUMN stat_fill_hours.hour IS 'UTC hour of call start';

COMMENT ON COLUMN stat_fill_hours.queue_visits IS 'queue visits of the finished calls that started in the hour';

COMMENT ON COLUMN stat_fill_hours.filled_at IS 'UTC time the hour was last filled';

CREATE TABLE stat_queue_calls (
	hour TIMESTAMP WITH TIME ZONE NOT NULL,
	call_id VARCHAR(36) NOT NULL,
	app_id VARCHAR(64) NOT NULL,
	call_hour TIMESTAMP WITH TIME ZONE NOT NULL,
	server VARCHAR(255) NOT NULL,
	queue VARCHAR(128) NOT NULL,
	status VARCHAR(64) NOT NULL,
	agent VARCHAR(255),
	entered_at TIMESTAMP WITH TIME ZONE,
	left_at TIMESTAMP WITH TIME ZONE,
	wait_s DOUBLE PRECISION,
	ring_s DOUBLE PRECISION,
	talk_s DOUBLE PRECISION,
	PRIMARY KEY (hour, server, queue, call_id, app_id)
);

CREATE INDEX ix_stat_queue_calls_call_hour ON stat_queue_calls (call_hour, hour);

CREATE INDEX ix_stat_queue_calls_call_id ON stat_queue_calls (call_id);

COMMENT ON TABLE stat_queue_calls IS 'One row per queue visit of a call (a cache of the call trees, written with the call)';

COMMENT ON COLUMN stat_queue_calls.hour IS 'UTC hour the caller entered the queue';

COMMENT ON COLUMN stat_queue_calls.call_id IS 'the call (calls.call_id)';

COMMENT ON COLUMN stat_queue_calls.app_id IS 'the queue visit (apps.app_id)';

COMMENT ON COLUMN stat_queue_calls.call_hour IS 'UTC hour the call started';

COMMENT ON COLUMN stat_queue_calls.server IS 'the Asterisk server the call was captured from (the name given to the capture)';

COMMENT ON COLUMN stat_queue_calls.queue IS 'queue name';

COMMENT ON COLUMN stat_queue_calls.status IS 'answered, transferred, abandoned, timeout, joinempty, leaveempty, full, closed, divert_ca_ratio, divert_waittime or exited';

COMMENT ON COLUMN stat_queue_calls.agent IS 'the member who answered';

COMMENT ON COLUMN stat_queue_calls.entered_at IS 'UTC time the caller entered the queue';

COMMENT ON COLUMN stat_queue_calls.left_at IS 'UTC time the caller was connected or left';

COMMENT ON COLUMN stat_queue_calls.wait_s IS 'seconds from entering to connected or gone';

COMMENT ON COLUMN stat_queue_calls.ring_s IS 'seconds the answering agent''s phone rang';

COMMENT ON COLUMN stat_queue_calls.talk_s IS 'seconds the answering agent talked (until a transfer)';

CREATE TABLE stat_queue_hourly (
	hour TIMESTAMP WITH TIME ZONE NOT NULL,
	server VARCHAR(255) NOT NULL,
	queue VARCHAR(128) NOT NULL,
	offered INTEGER NOT NULL,
	answered INTEGER NOT NULL,
	transferred INTEGER NOT NULL,
	abandoned INTEGER NOT NULL,
	timeout INTEGER NOT NULL,
	joinempty INTEGER NOT NULL,
	leaveempty INTEGER NOT NULL,
	"full" INTEGER NOT NULL,
	closed INTEGER NOT NULL,
	divert_ca_ratio INTEGER NOT NULL,
	divert_waittime INTEGER NOT NULL,
	exited INTEGER NOT NULL,
	wait_s DOUBLE PRECISION NOT NULL,
	wait_max_s DOUBLE PRECISION NOT NULL,
	answered_wait_s DOUBLE PRECISION NOT NULL,
	answered_wait_max_s DOUBLE PRECISION NOT NULL,
	abandoned_wait_s DOUBLE PRECISION NOT NULL,
	abandoned_wait_max_s DOUBLE PRECISION NOT NULL,
	talk_s DOUBLE PRECISION NOT NULL,
	answered_within_10 INTEGER NOT NULL,
	answered_within_15 INTEGER NOT NULL,
	answered_within_20 INTEGER NOT NULL,
	answered_within_30 INTEGER NOT NULL,
	answered_within_45 INTEGER NOT NULL,
	answered_within_60 INTEGER NOT NULL,
	answered_within_90 INTEGER NOT NULL,
	answered_within_120 INTEGER NOT NULL,
	answered_within_180 INTEGER NOT NULL,
	answered_within_300 INTEGER NOT NULL,
	PRIMARY KEY (hour, server, queue)
);

COMMENT ON TABLE stat_queue_hourly IS 'Queue figures per UTC hour, added up from stat_queue_calls by cdr-agent stats fill';

COMMENT ON COLUMN stat_queue_hourly.hour IS 'UTC start of the hour counted in';

COMMENT ON COLUMN stat_queue_hourly.server IS 'the Asterisk server the call was captured from (the name given to the capture)';

COMMENT ON COLUMN stat_queue_hourly.queue IS 'queue name';

COMMENT ON COLUMN stat_queue_hourly.offered IS 'calls that entered the queue';

COMMENT ON COLUMN stat_queue_hourly.answered IS 'calls answered by an agent (transferred ones included)';

COMMENT ON COLUMN stat_queue_hourly.transferred IS 'answered calls the agent transferred out';

COMMENT ON COLUMN stat_queue_hourly.abandoned IS 'callers who hung up while waiting';

COMMENT ON COLUMN stat_queue_hourly.timeout IS 'callers who left at the queue timeout';

COMMENT ON COLUMN stat_queue_hourly.joinempty IS 'callers refused because no member could take calls';

COMMENT ON COLUMN stat_queue_hourly.leaveempty IS 'callers sent out when the members went away';

COMMENT ON COLUMN stat_queue_hourly."full" IS 'callers refused because the queue was full';

COMMENT ON COLUMN stat_queue_hourly.closed IS 'callers refused because the queue was closed';

COMMENT ON COLUMN stat_queue_hourly.divert_ca_ratio IS 'callers sent out by the callers/agents ratio rule';

COMMENT ON COLUMN stat_queue_hourly.divert_waittime IS 'callers sent out by the expected wait rule';

COMMENT ON COLUMN stat_queue_hourly.exited IS 'callers who left any other way (a key pressed, withdrawn)';

COMMENT ON COLUMN stat_queue_hourly.wait_s IS 'seconds of waiting, all offered calls';

COMMENT ON COLUMN stat_queue_hourly.wait_max_s IS 'longest wait in seconds';

COMMENT ON COLUMN stat_queue_hourly.answered_wait_s IS 'seconds of waiting of answered calls (ASA = answered_wait_s / answered)';

COMMENT ON COLUMN stat_queue_hourly.answered_wait_max_s IS 'longest wait of an answered call, seconds';

COMMENT ON COLUMN stat_queue_hourly.abandoned_wait_s IS 'seconds of waiting of abandoned calls';

COMMENT ON COLUMN stat_queue_hourly.abandoned_wait_max_s IS 'longest wait of an abandoned call, seconds';

COMMENT ON COLUMN stat_queue_hourly.talk_s IS 'seconds of talk of answered calls (AHT = talk_s / answered)';

COMMENT ON COLUMN stat_queue_hourly.answered_within_10 IS 'calls answered within 10 seconds of waiting (service level)';

COMMENT ON COLUMN stat_queue_hourly.answered_within_15 IS 'calls answered within 15 seconds of waiting (service level)';

COMMENT ON COLUMN stat_queue_hourly.answered_within_20 IS 'calls answered within 20 seconds of waiting (service level)';

COMMENT ON COLUMN stat_queue_hourly.answered_within_30 IS 'calls answered within 30 seconds of waiting (service level)';

COMMENT ON COLUMN stat_queue_hourly.answered_within_45 IS 'calls answered within 45 seconds of waiting (service level)';

COMMENT ON COLUMN stat_queue_hourly.answered_within_60 IS 'calls answered within 60 seconds of waiting (service level)';

COMMENT ON COLUMN stat_queue_hourly.answered_within_90 IS 'calls answered within 90 seconds of waiting (service level)';

COMMENT ON COLUMN stat_queue_hourly.answered_within_120 IS 'calls answered within 120 seconds of waiting (service level)';

COMMENT ON COLUMN stat_queue_hourly.answered_within_180 IS 'calls answered within 180 seconds of waiting (service level)';

COMMENT ON COLUMN stat_queue_hourly.answered_within_300 IS 'calls answered within 300 seconds of waiting (service level)';

CREATE TABLE apps (
	call_id VARCHAR(36) NOT NULL,
	app_id VARCHAR(64) NOT NULL,
	seq INTEGER NOT NULL,
	app VARCHAR(64) NOT NULL,
	name TEXT,
	leg VARCHAR(64),
	entered_at TIMESTAMP WITH TIME ZONE,
	left_at TIMESTAMP WITH TIME ZONE,
	result TEXT,
	wait_s DOUBLE PRECISION,
	position INTEGER,
	data TEXT NOT NULL,
	PRIMARY KEY (call_id, app_id),
	FOREIGN KEY(call_id) REFERENCES calls (call_id) ON DELETE CASCADE
);

COMMENT ON TABLE apps IS 'One row per application a call went through: queue, IVR, ring group, voicemail, conference, park';

COMMENT ON COLUMN apps.call_id IS 'the call (calls.call_id)';

COMMENT ON COLUMN apps.app_id IS 'id of the application context: call_id:n (n counts from 1)';

COMMENT ON COLUMN apps.seq IS 'position in the call';

COMMENT ON COLUMN apps.app IS 'queue, ivr, ringgroup, voicemail, conference, park or parkedcall';

COMMENT ON COLUMN apps.name IS 'the queue, room, IVR or ring group name';

COMMENT ON COLUMN apps.leg IS 'leg_id of the channel in the application';

COMMENT ON COLUMN apps.entered_at IS 'UTC time it entered';

COMMENT ON COLUMN apps.left_at IS 'UTC time it left';

COMMENT ON COLUMN apps.result IS 'how it left, e.g. answered, abandoned, timeout (queues), left (conferences)';

COMMENT ON COLUMN apps.wait_s IS 'seconds from entering to leaving';

COMMENT ON COLUMN apps.position IS 'queue position on entering';

COMMENT ON COLUMN apps.data IS 'JSON object of application details';

CREATE TABLE attempts (
	call_id VARCHAR(36) NOT NULL,
	seq INTEGER NOT NULL,
	from_leg VARCHAR(64),
	to_leg VARCHAR(64),
	hop_leg VARCHAR(64),
	dialstring TEXT,
	outcome VARCHAR(64),
	via VARCHAR(64) NOT NULL,
	app_id VARCHAR(64),
	agent TEXT,
	began_at TIMESTAMP WITH TIME ZONE,
	answered_at TIMESTAMP WITH TIME ZONE,
	ended_at TIMESTAMP WITH TIME ZONE,
	ring_s DOUBLE PRECISION,
	talk_s DOUBLE PRECISION,
	PRIMARY KEY (call_id, seq),
	FOREIGN KEY(call_id) REFERENCES calls (call_id) ON DELETE CASCADE
);

COMMENT ON TABLE attempts IS 'One row per destination rung: a Dial() target, a queue member, a transfer target';

COMMENT ON COLUMN attempts.call_id IS 'the call (calls.call_id)';

COMMENT ON COLUMN attempts.seq IS 'the attempt''s number within the call, from 1';

COMMENT ON COLUMN attempts.from_leg IS 'leg_id of the dialling channel';

COMMENT ON COLUMN attempts.to_leg IS 'leg_id of the channel rung (may be a leg of another call)';

COMMENT ON COLUMN attempts.hop_leg IS 'leg_id of the Local channel half that dialled for from_leg';

COMMENT ON COLUMN attempts.dialstring IS 'what was dialled (DialBegin DialString)';

COMMENT ON COLUMN attempts.outcome IS 'Asterisk''s DIALSTATUS word: ANSWER, NOANSWER, BUSY, CANCEL, CONGESTION, CHANUNAVAIL...';

COMMENT ON COLUMN attempts.via IS 'how it came about: dial, queue, ringgroup, transfer, forward, pickup, originate, park';

COMMENT ON COLUMN attempts.app_id IS 'the application context (apps.app_id) that rang, e.g. the queue';

COMMENT ON COLUMN attempts.agent IS 'queue member name when a queue rang';

COMMENT ON COLUMN attempts.began_at IS 'UTC time the ringing began';

COMMENT ON COLUMN attempts.answered_at IS 'UTC time it was answered';

COMMENT ON COLUMN attempts.ended_at IS 'UTC time the attempt ended (ring stopped or talk ended)';

COMMENT ON COLUMN attempts.ring_s IS 'seconds of ringing';

COMMENT ON COLUMN attempts.talk_s IS 'seconds of talk (0 when not answered)';

CREATE TABLE conference_members (
	call_id VARCHAR(36) NOT NULL,
	seq INTEGER NOT NULL,
	room TEXT NOT NULL,
	bridge_id VARCHAR(64) NOT NULL,
	leg VARCHAR(64),
	joined_at TIMESTAMP WITH TIME ZONE,
	left_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (call_id, seq),
	FOREIGN KEY(call_id) REFERENCES calls (call_id) ON DELETE CASCADE
);

COMMENT ON TABLE conference_members IS 'One row per conference member (a member-less conference: one row, leg NULL)';

COMMENT ON COLUMN conference_members.call_id IS 'the call (calls.call_id)';

COMMENT ON COLUMN conference_members.seq IS 'position within the call''s conferences';

COMMENT ON COLUMN conference_members.room IS 'conference room name';

COMMENT ON COLUMN conference_members.bridge_id IS 'Asterisk bridge uniqueid of the conference';

COMMENT ON COLUMN conference_members.leg IS 'leg_id of the member';

COMMENT ON COLUMN conference_members.joined_at IS 'UTC time the member joined';

COMMENT ON COLUMN conference_members.left_at IS 'UTC time the member left';

CREATE TABLE legs (
	leg_id VARCHAR(64) NOT NULL,
	call_id VARCHAR(36) NOT NULL,
	seq INTEGER NOT NULL,
	server VARCHAR(255) NOT NULL,
	uniqueid VARCHAR(150) NOT NULL,
	channel TEXT NOT NULL,
	caller_num TEXT,
	caller_name TEXT,
	connected_num TEXT,
	connected_name TEXT,
	created_at TIMESTAMP WITH TIME ZONE,
	answered_at TIMESTAMP WITH TIME ZONE,
	ended_at TIMESTAMP WITH TIME ZONE,
	hangup_cause INTEGER,
	local_peer VARCHAR(64),
	context TEXT,
	exten TEXT,
	answered BOOLEAN DEFAULT false NOT NULL,
	PRIMARY KEY (leg_id),
	FOREIGN KEY(call_id) REFERENCES calls (call_id) ON DELETE CASCADE
);

CREATE INDEX ix_legs_call_id ON legs (call_id, seq);

CREATE INDEX ix_legs_server_uniqueid ON legs (server, uniqueid);

COMMENT ON TABLE legs IS 'One row per channel of a call';

COMMENT ON COLUMN legs.leg_id IS 'our leg id: a UUID derived from the server and the channel''s uniqueid';

COMMENT ON COLUMN legs.call_id IS 'the call (calls.call_id)';

COMMENT ON COLUMN legs.seq IS 'position of the leg in the call, from 0 (0: the caller''s channel)';

COMMENT ON COLUMN legs.server IS 'the Asterisk server the call was captured from (the name given to the capture)';

COMMENT ON COLUMN legs.uniqueid IS 'Asterisk''s uniqueid of the channel (unique on one server only)';

COMMENT ON COLUMN legs.channel IS 'Asterisk channel name, e.g. PJSIP/201-0000002a';

COMMENT ON COLUMN legs.caller_num IS 'the channel''s caller ID number';

COMMENT ON COLUMN legs.caller_name IS 'the channel''s caller ID name';

COMMENT ON COLUMN legs.connected_num IS 'the connected line number (who the channel talks to)';

COMMENT ON COLUMN legs.connected_name IS 'the connected line name';

COMMENT ON COLUMN legs.created_at IS 'UTC time the channel was created';

COMMENT ON COLUMN legs.answered_at IS 'UTC time the channel went Up';

COMMENT ON COLUMN legs.ended_at IS 'UTC time the channel hung up';

COMMENT ON COLUMN legs.hangup_cause IS 'Q.850 hangup cause code';

COMMENT ON COLUMN legs.local_peer IS 'for a Local channel half, the leg_id of its other half';

COMMENT ON COLUMN legs.context IS 'the dialplan context the channel first ran in';

COMMENT ON COLUMN legs.exten IS 'the dialplan extension the channel first ran in';

COMMENT ON COLUMN legs.answered IS 'true when the channel went Up (answered_at may be unknown)';

CREATE TABLE transfers (
	call_id VARCHAR(36) NOT NULL,
	seq INTEGER NOT NULL,
	kind VARCHAR(64) NOT NULL,
	transferer_leg VARCHAR(64),
	transferee_leg VARCHAR(64),
	target_leg VARCHAR(64),
	target_exten TEXT,
	target_context TEXT,
	at TIMESTAMP WITH TIME ZONE,
	completed BOOLEAN NOT NULL,
	PRIMARY KEY (call_id, seq),
	FOREIGN KEY(call_id) REFERENCES calls (call_id) ON DELETE CASCADE
);

COMMENT ON TABLE transfers IS 'One row per transfer (blind or attended)';

COMMENT ON COLUMN transfers.call_id IS 'the call (calls.call_id)';

COMMENT ON COLUMN transfers.seq IS 'the transfer''s number within the call, from 1';

COMMENT ON COLUMN transfers.kind IS 'blind or attended';

COMMENT ON COLUMN transfers.transferer_leg IS 'leg_id of who transferred';

COMMENT ON COLUMN transfers.transferee_leg IS 'leg_id of who was transferred';

COMMENT ON COLUMN transfers.target_leg IS 'leg_id of the transfer target';

COMMENT ON COLUMN transfers.target_exten IS 'the extension transferred to';

COMMENT ON COLUMN transfers.target_context IS 'the context transferred to';

COMMENT ON COLUMN transfers.at IS 'UTC time of the transfer';

COMMENT ON COLUMN transfers.completed IS 'false when the transfer failed or was aborted';

CREATE VIEW cdr_fixed AS SELECT cdr.calldate, cdr.start, cdr.answer, cdr."end", cdr.clid, cdr.src, cdr.dst, cdr.dcontext, cdr.channel, cdr.dstchannel, cdr.lastapp, cdr.lastdata, cdr.duration, cdr.billsec, cdr.disposition, cdr.amaflags, cdr.accountcode, cdr.uniqueid, cdr.linkedid, cdr.userfield, cdr.sequence, cdr.peeraccount, cdr.call_id, cdr.server, cdr.queue, cdr.agent, cdr.transfer
FROM (SELECT (attempts.began_at AT TIME ZONE 'UTC') AS calldate, (attempts.began_at AT TIME ZONE 'UTC') AS start, (attempts.answered_at AT TIME ZONE 'UTC') AS answer, (attempts.ended_at AT TIME ZONE 'UTC') AS "end", CASE WHEN (from_leg.caller_name IS NOT NULL AND from_leg.caller_name != '') THEN '"' || from_leg.caller_name || '" <' || coalesce(coalesce(from_leg.caller_num, calls.caller_num), '') || '>' ELSE coalesce(coalesce(from_leg.caller_num, calls.caller_num), '') END AS clid, coalesce(coalesce(from_leg.caller_num, calls.caller_num), '') AS src, coalesce(CASE WHEN (attempts.via = 'transfer') THEN coalesce((SELECT min(xfer.target_exten) AS min_1
FROM transfers AS xfer
WHERE xfer.call_id = attempts.call_id AND xfer.target_leg = attempts.to_leg), coalesce(nullif(nullif(to_leg.exten, ''), 's'), to_leg.caller_num)) WHEN (attempts.via = 'park') THEN coalesce(from_leg.exten, calls.dialed) ELSE coalesce(coalesce(nullif(nullif(to_leg.exten, ''), 's'), to_leg.caller_num), calls.dialed) END, '') AS dst, coalesce(from_leg.context, '') AS dcontext, coalesce(from_leg.channel, '') AS channel, coalesce(to_leg.channel, '') AS dstchannel, CASE WHEN (attempts.via = 'queue') THEN 'Queue' WHEN (attempts.via = 'park') THEN 'ParkedCall' ELSE 'Dial' END AS lastapp, coalesce(CASE WHEN (attempts.via = 'queue') THEN queue_app.name ELSE attempts.dialstring END, '') AS lastdata, CAST(FLOOR(coalesce(coalesce(attempts.ring_s, 0.0) + coalesce(attempts.talk_s, 0.0), 0.0)) AS INTEGER) AS duration, CASE WHEN (attempts.outcome = 'ANSWER') THEN CAST(FLOOR(coalesce(attempts.talk_s, 0.0)) AS INTEGER) ELSE 0 END AS billsec, CASE WHEN (attempts.outcome = 'ANSWER') THEN 'ANSWERED' WHEN (attempts.outcome = 'BUSY') THEN 'BUSY' WHEN (attempts.outcome IN ('NOANSWER', 'CANCEL') OR attempts.outcome IS NULL) THEN 'NO ANSWER' ELSE 'FAILED' END AS disposition, 3 AS amaflags, '' AS accountcode, attempts.call_id || ':' || CAST(attempts.seq AS VARCHAR) AS uniqueid, coalesce(first_leg.uniqueid, '') AS linkedid, '' AS userfield, attempts.seq AS sequence, '' AS peeraccount, attempts.call_id AS call_id, calls.server AS server, CASE WHEN (attempts.via = 'queue') THEN queue_app.name ELSE NULL END AS queue, attempts.agent AS agent, CASE WHEN (attempts.via = 'transfer') THEN (SELECT min(xfer.kind) AS min_2
FROM transfers AS xfer
WHERE xfer.call_id = attempts.call_id AND xfer.target_leg = attempts.to_leg) ELSE NULL END AS transfer
FROM attempts JOIN calls ON calls.call_id = attempts.call_id LEFT OUTER JOIN legs AS from_leg ON from_leg.leg_id = attempts.from_leg LEFT OUTER JOIN legs AS to_leg ON to_leg.leg_id = attempts.to_leg LEFT OUTER JOIN legs AS first_leg ON first_leg.call_id = calls.call_id AND first_leg.seq = 0 LEFT OUTER JOIN apps AS queue_app ON queue_app.call_id = attempts.call_id AND queue_app.app_id = attempts.app_id
WHERE attempts.via != 'originate' AND calls.status != 'in_progress' UNION ALL SELECT (calls.started_at AT TIME ZONE 'UTC') AS calldate, (calls.started_at AT TIME ZONE 'UTC') AS start, CASE WHEN calls.answered THEN (calls.answered_at AT TIME ZONE 'UTC') ELSE NULL END AS answer, (calls.ended_at AT TIME ZONE 'UTC') AS "end", CASE WHEN (calls.caller_name IS NOT NULL AND calls.caller_name != '') THEN '"' || calls.caller_name || '" <' || coalesce(calls.caller_num, '') || '>' ELSE coalesce(calls.caller_num, '') END AS clid, coalesce(calls.caller_num, '') AS src, coalesce(calls.dialed, '') AS dst, coalesce(first_leg.context, '') AS dcontext, coalesce(first_leg.channel, '') AS channel, '' AS dstchannel, CASE (SELECT apps.app
FROM apps
WHERE apps.call_id = calls.call_id ORDER BY apps.seq
 LIMIT 1) WHEN 'queue' THEN 'Queue' WHEN 'ivr' THEN 'Background' WHEN 'ringgroup' THEN 'Dial' WHEN 'voicemail' THEN 'VoiceMail' WHEN 'conference' THEN 'ConfBridge' WHEN 'park' THEN 'Park' WHEN 'parkedcall' THEN 'ParkedCall' ELSE '' END AS lastapp, coalesce((SELECT apps.name
FROM apps
WHERE apps.call_id = calls.call_id ORDER BY apps.seq
 LIMIT 1), '') AS lastdata, CASE WHEN (calls.ended_at IS NULL) THEN 0 ELSE CAST(FLOOR(coalesce(CAST(EXTRACT(EPOCH FROM (calls.ended_at - calls.started_at)) AS DOUBLE PRECISION), 0.0)) AS INTEGER) END AS duration, CASE WHEN calls.answered THEN CAST(FLOOR(coalesce(CAST(EXTRACT(EPOCH FROM (calls.ended_at - calls.answered_at)) AS DOUBLE PRECISION), 0.0)) AS INTEGER) ELSE 0 END AS billsec, CASE WHEN calls.answered THEN 'ANSWERED' ELSE 'NO ANSWER' END AS disposition, 3 AS amaflags, '' AS accountcode, calls.call_id || ':0' AS uniqueid, coalesce(first_leg.uniqueid, '') AS linkedid, '' AS userfield, 0 AS sequence, '' AS peeraccount, calls.call_id AS call_id, calls.server AS server, (SELECT min(apps.name) AS min_3
FROM apps
WHERE apps.call_id = calls.call_id AND apps.app = 'queue') AS queue, NULL AS agent, NULL AS transfer
FROM calls LEFT OUTER JOIN legs AS first_leg ON first_leg.call_id = calls.call_id AND first_leg.seq = 0
WHERE calls.status != 'in_progress' AND NOT (EXISTS (SELECT row_attempt.seq
FROM attempts AS row_attempt
WHERE row_attempt.call_id = calls.call_id AND row_attempt.via != 'originate'))) AS cdr;

CREATE VIEW report_calls AS SELECT calls.call_id AS call_id, calls.server AS server, calls.started_at AS started_at, (SELECT min(rung.answered_at) AS min_1
FROM attempts AS rung
WHERE rung.call_id = calls.call_id AND rung.via != 'originate' AND rung.outcome = 'ANSWER') AS first_answer_at, calls.ended_at AS ended_at, CAST(EXTRACT(EPOCH FROM ((SELECT min(rung.answered_at) AS min_1
FROM attempts AS rung
WHERE rung.call_id = calls.call_id AND rung.via != 'originate' AND rung.outcome = 'ANSWER') - calls.started_at)) AS DOUBLE PRECISION) AS ring_s, CAST(EXTRACT(EPOCH FROM (calls.ended_at - calls.started_at)) AS DOUBLE PRECISION) AS duration_s, calls.caller_num AS caller_num, calls.caller_name AS caller_name, calls.dialed AS dialed, first_leg.channel AS caller_channel, calls.answered AS answered, CASE WHEN calls.answered THEN 'answered' WHEN (calls.status = 'in_progress') THEN 'in progress' WHEN ((EXISTS (SELECT apps.app_id
FROM apps
WHERE apps.call_id = calls.call_id AND apps.app = 'queue' AND apps.result = 'abandoned')) OR (EXISTS (SELECT rung.seq
FROM attempts AS rung
WHERE rung.call_id = calls.call_id AND rung.via != 'originate' AND rung.outcome IN ('CANCEL')))) THEN 'abandoned' WHEN (EXISTS (SELECT rung.seq
FROM attempts AS rung
WHERE rung.call_id = calls.call_id AND rung.via != 'originate' AND rung.outcome IN ('BUSY'))) THEN 'busy' WHEN ((EXISTS (SELECT rung.seq
FROM attempts AS rung
WHERE rung.call_id = calls.call_id AND rung.via != 'originate' AND rung.outcome IN ('NOANSWER'))) OR (EXISTS (SELECT apps.app_id
FROM apps
WHERE apps.call_id = calls.call_id AND apps.app = 'queue' AND apps.result = 'timeout'))) THEN 'no answer' WHEN (EXISTS (SELECT rung.seq
FROM attempts AS rung
WHERE rung.call_id = calls.call_id AND rung.via != 'originate' AND rung.outcome IN ('CONGESTION', 'CHANUNAVAIL'))) THEN 'failed' WHEN (EXISTS (SELECT apps.app_id
FROM apps
WHERE apps.call_id = calls.call_id)) THEN 'abandoned' ELSE 'no answer' END AS disposition, (SELECT count(*) AS count_1
FROM attempts AS rung
WHERE rung.call_id = calls.call_id AND rung.via != 'originate') AS attempts, (SELECT count(*) AS count_2
FROM transfers
WHERE transfers.call_id = calls.call_id) AS transfers, calls.status AS status
FROM calls LEFT OUTER JOIN legs AS first_leg ON first_leg.call_id = calls.call_id AND first_leg.seq = 0;

CREATE VIEW report_queue_calls AS SELECT stat_queue_calls.call_id AS call_id, stat_queue_calls.server AS server, stat_queue_calls.queue AS queue, stat_queue_calls.entered_at AS entered_at, stat_queue_calls.left_at AS left_at, stat_queue_calls.status AS status, stat_queue_calls.agent AS agent, stat_queue_calls.wait_s AS wait_s, stat_queue_calls.ring_s AS ring_s, stat_queue_calls.talk_s AS talk_s, stat_queue_calls.hour AS hour
FROM stat_queue_calls;

CREATE VIEW report_agent_sessions AS SELECT stat_agent_sessions.session_id AS session_id, stat_agent_sessions.server AS server, stat_agent_sessions.agent AS agent, stat_agent_sessions.queue AS queue, stat_agent_sessions.kind AS kind, stat_agent_sessions.started_at AS started_at, stat_agent_sessions.ended_at AS ended_at, CAST(EXTRACT(EPOCH FROM (stat_agent_sessions.ended_at - stat_agent_sessions.started_at)) AS DOUBLE PRECISION) AS duration_s, stat_agent_sessions.reason AS reason
FROM stat_agent_sessions;
