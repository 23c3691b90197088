-- cdr-agent schema for sqlite.
-- Generated from cdr_agent/store/tables.py by `python -m cdr_agent.store.schema --write`; do not edit.

CREATE TABLE agi_observations (
	obs_id VARCHAR(32) NOT NULL,
	server VARCHAR(255) NOT NULL,
	group_key VARCHAR(150) NOT NULL,
	uniqueid VARCHAR(150) NOT NULL,
	observed_at DATETIME,
	call_id VARCHAR(36),
	document TEXT NOT NULL,
	PRIMARY KEY (obs_id)
);

CREATE INDEX ix_agi_observations_group ON agi_observations (server, group_key);

CREATE INDEX ix_agi_observations_uniqueid ON agi_observations (server, uniqueid);

CREATE TABLE calls (
	call_id VARCHAR(36) NOT NULL,
	server VARCHAR(255) NOT NULL,
	status VARCHAR(64) NOT NULL,
	started_at DATETIME,
	answered_at DATETIME,
	ended_at DATETIME,
	linkedids TEXT NOT NULL,
	user_data TEXT NOT NULL,
	caller_num TEXT,
	caller_name TEXT,
	dialed TEXT,
	flags TEXT NOT NULL,
	answered BOOLEAN DEFAULT 0 NOT NULL,
	time_source VARCHAR(64) DEFAULT 'none' NOT NULL,
	PRIMARY KEY (call_id)
);

CREATE INDEX ix_calls_caller_num ON calls (caller_num);

CREATE INDEX ix_calls_dialed ON calls (dialed);

CREATE INDEX ix_calls_server ON calls (server);

CREATE INDEX ix_calls_started_at ON calls (started_at);

CREATE TABLE stat_agent_calls (
	hour DATETIME NOT NULL,
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
	ring_s DOUBLE NOT NULL,
	talk_s DOUBLE NOT NULL,
	PRIMARY KEY (hour, server, queue, agent, call_id, app_id)
)
 WITHOUT ROWID;

CREATE INDEX ix_stat_agent_calls_call_id ON stat_agent_calls (call_id);

CREATE TABLE stat_agent_hourly (
	hour DATETIME NOT NULL,
	server VARCHAR(255) NOT NULL,
	queue VARCHAR(128) NOT NULL,
	agent VARCHAR(255) NOT NULL,
	rung INTEGER NOT NULL,
	answered INTEGER NOT NULL,
	ring_no_answer INTEGER NOT NULL,
	rejected INTEGER NOT NULL,
	transferred INTEGER NOT NULL,
	ring_s DOUBLE NOT NULL,
	talk_s DOUBLE NOT NULL,
	PRIMARY KEY (hour, server, queue, agent)
);

CREATE TABLE stat_agent_presence_hourly (
	hour DATETIME NOT NULL,
	server VARCHAR(255) NOT NULL,
	agent VARCHAR(255) NOT NULL,
	login_s DOUBLE NOT NULL,
	pause_s DOUBLE NOT NULL,
	PRIMARY KEY (hour, server, agent)
);

CREATE TABLE stat_agent_sessions (
	session_id VARCHAR(36) NOT NULL,
	server VARCHAR(255) NOT NULL,
	agent VARCHAR(255) NOT NULL,
	queue VARCHAR(128) NOT NULL,
	kind VARCHAR(64) NOT NULL,
	started_at DATETIME NOT NULL,
	ended_at DATETIME,
	seen_at DATETIME NOT NULL,
	reason TEXT,
	PRIMARY KEY (session_id)
);

CREATE INDEX ix_stat_agent_sessions_seen_at ON stat_agent_sessions (seen_at);

CREATE INDEX ix_stat_agent_sessions_started_at ON stat_agent_sessions (started_at);

CREATE TABLE stat_fill_hours (
	hour DATETIME NOT NULL,
	queue_visits INTEGER NOT NULL,
	filled_at DATETIME NOT NULL,
	PRIMARY KEY (hour)
);

CREATE TABLE stat_queue_calls (
	hour DATETIME NOT NULL,
	call_id VARCHAR(36) NOT NULL,
	app_id VARCHAR(64) NOT NULL,
	call_hour DATETIME NOT NULL,
	server VARCHAR(255) NOT NULL,
	queue VARCHAR(128) NOT NULL,
	status VARCHAR(64) NOT NULL,
	agent VARCHAR(255),
	entered_at DATETIME,
	left_at DATETIME,
	wait_s DOUBLE,
	ring_s DOUBLE,
	talk_s DOUBLE,
	PRIMARY KEY (hour, server, queue, call_id, app_id)
)
 WITHOUT ROWID;

CREATE INDEX ix_stat_queue_calls_call_hour ON stat_queue_calls (call_hour, hour);

CREATE INDEX ix_stat_queue_calls_call_id ON stat_queue_calls (call_id);

CREATE TABLE stat_queue_hourly (
	hour DATETIME NOT NULL,
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
	wait_s DOUBLE NOT NULL,
	wait_max_s DOUBLE NOT NULL,
	answered_wait_s DOUBLE NOT NULL,
	answered_wait_max_s DOUBLE NOT NULL,
	abandoned_wait_s DOUBLE NOT NULL,
	abandoned_wait_max_s DOUBLE NOT NULL,
	talk_s DOUBLE NOT NULL,
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

CREATE TABLE apps (
	call_id VARCHAR(36) NOT NULL,
	app_id VARCHAR(64) NOT NULL,
	seq INTEGER NOT NULL,
	app VARCHAR(64) NOT NULL,
	name TEXT,
	leg VARCHAR(64),
	entered_at DATETIME,
	left_at DATETIME,
	result TEXT,
	wait_s DOUBLE,
	position INTEGER,
	data TEXT NOT NULL,
	PRIMARY KEY (call_id, app_id),
	FOREIGN KEY(call_id) REFERENCES calls (call_id) ON DELETE CASCADE
);

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
	began_at DATETIME,
	answered_at DATETIME,
	ended_at DATETIME,
	ring_s DOUBLE,
	talk_s DOUBLE,
	PRIMARY KEY (call_id, seq),
	FOREIGN KEY(call_id) REFERENCES calls (call_id) ON DELETE CASCADE
);

CREATE TABLE conference_members (
	call_id VARCHAR(36) NOT NULL,
	seq INTEGER NOT NULL,
	room TEXT NOT NULL,
	bridge_id VARCHAR(64) NOT NULL,
	leg VARCHAR(64),
	joined_at DATETIME,
	left_at DATETIME,
	PRIMARY KEY (call_id, seq),
	FOREIGN KEY(call_id) REFERENCES calls (call_id) ON DELETE CASCADE
);

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
	created_at DATETIME,
	answered_at DATETIME,
	ended_at DATETIME,
	hangup_cause INTEGER,
	local_peer VARCHAR(64),
	context TEXT,
	exten TEXT,
	answered BOOLEAN DEFAULT 0 NOT NULL,
	PRIMARY KEY (leg_id),
	FOREIGN KEY(call_id) REFERENCES calls (call_id) ON DELETE CASCADE
);

CREATE INDEX ix_legs_call_id ON legs (call_id, seq);

CREATE INDEX ix_legs_server_uniqueid ON legs (server, uniqueid);

CREATE TABLE transfers (
	call_id VARCHAR(36) NOT NULL,
	seq INTEGER NOT NULL,
	kind VARCHAR(64) NOT NULL,
	transferer_leg VARCHAR(64),
	transferee_leg VARCHAR(64),
	target_leg VARCHAR(64),
	target_exten TEXT,
	target_context TEXT,
	at DATETIME,
	completed BOOLEAN NOT NULL,
	PRIMARY KEY (call_id, seq),
	FOREIGN KEY(call_id) REFERENCES calls (call_id) ON DELETE CASCADE
);

CREATE VIEW cdr_fixed AS SELECT cdr.calldate, cdr.start, cdr.answer, cdr."end", cdr.clid, cdr.src, cdr.dst, cdr.dcontext, cdr.channel, cdr.dstchannel, cdr.lastapp, cdr.lastdata, cdr.duration, cdr.billsec, cdr.disposition, cdr.amaflags, cdr.accountcode, cdr.uniqueid, cdr.linkedid, cdr.userfield, cdr.sequence, cdr.peeraccount, cdr.call_id, cdr.server, cdr.queue, cdr.agent, cdr.transfer
FROM (SELECT attempts.began_at AS calldate, attempts.began_at AS start, attempts.answered_at AS answer, attempts.ended_at AS "end", CASE WHEN (from_leg.caller_name IS NOT NULL AND from_leg.caller_name != '') THEN '"' || from_leg.caller_name || '" <' || coalesce(coalesce(from_leg.caller_num, calls.caller_num), '') || '>' ELSE coalesce(coalesce(from_leg.caller_num, calls.caller_num), '') END AS clid, coalesce(coalesce(from_leg.caller_num, calls.caller_num), '') AS src, coalesce(CASE WHEN (attempts.via = 'transfer') THEN coalesce((SELECT min(xfer.target_exten) AS min_1
FROM transfers AS xfer
WHERE xfer.call_id = attempts.call_id AND xfer.target_leg = attempts.to_leg), coalesce(nullif(nullif(to_leg.exten, ''), 's'), to_leg.caller_num)) WHEN (attempts.via = 'park') THEN coalesce(from_leg.exten, calls.dialed) ELSE coalesce(coalesce(nullif(nullif(to_leg.exten, ''), 's'), to_leg.caller_num), calls.dialed) END, '') AS dst, coalesce(from_leg.context, '') AS dcontext, coalesce(from_leg.channel, '') AS channel, coalesce(to_leg.channel, '') AS dstchannel, CASE WHEN (attempts.via = 'queue') THEN 'Queue' WHEN (attempts.via = 'park') THEN 'ParkedCall' ELSE 'Dial' END AS lastapp, coalesce(CASE WHEN (attempts.via = 'queue') THEN queue_app.name ELSE attempts.dialstring END, '') AS lastdata, CAST(coalesce(coalesce(attempts.ring_s, 0.0) + coalesce(attempts.talk_s, 0.0), 0.0) AS INTEGER) AS duration, CASE WHEN (attempts.outcome = 'ANSWER') THEN CAST(coalesce(attempts.talk_s, 0.0) AS INTEGER) ELSE 0 END AS billsec, CASE WHEN (attempts.outcome = 'ANSWER') THEN 'ANSWERED' WHEN (attempts.outcome = 'BUSY') THEN 'BUSY' WHEN (attempts.outcome IN ('NOANSWER', 'CANCEL') OR attempts.outcome IS NULL) THEN 'NO ANSWER' ELSE 'FAILED' END AS disposition, 3 AS amaflags, '' AS accountcode, attempts.call_id || ':' || CAST(attempts.seq AS VARCHAR) AS uniqueid, coalesce(first_leg.uniqueid, '') AS linkedid, '' AS userfield, attempts.seq AS sequence, '' AS peeraccount, attempts.call_id AS call_id, calls.server AS server, CASE WHEN (attempts.via = 'queue') THEN queue_app.name ELSE NULL END AS queue, attempts.agent AS agent, CASE WHEN (attempts.via = 'transfer') THEN (SELECT min(xfer.kind) AS min_2
FROM transfers AS xfer
WHERE xfer.call_id = attempts.call_id AND xfer.target_leg = attempts.to_leg) ELSE NULL END AS transfer
FROM attempts JOIN calls ON calls.call_id = attempts.call_id LEFT OUTER JOIN legs AS from_leg ON from_leg.leg_id = attempts.from_leg LEFT OUTER JOIN legs AS to_leg ON to_leg.leg_id = attempts.to_leg LEFT OUTER JOIN legs AS first_leg ON first_leg.call_id = calls.call_id AND first_leg.seq = 0 LEFT OUTER JOIN apps AS queue_app ON queue_app.call_id = attempts.call_id AND queue_app.app_id = attempts.app_id
WHERE attempts.via != 'originate' AND calls.status != 'in_progress' UNION ALL SELECT calls.started_at AS calldate, calls.started_at AS start, CASE WHEN calls.answered THEN calls.answered_at ELSE NULL END AS answer, calls.ended_at AS "end", CASE WHEN (calls.caller_name IS NOT NULL AND calls.caller_name != '') THEN '"' || calls.caller_name || '" <' || coalesce(calls.caller_num, '') || '>' ELSE coalesce(calls.caller_num, '') END AS clid, coalesce(calls.caller_num, '') AS src, coalesce(calls.dialed, '') AS dst, coalesce(first_leg.context, '') AS dcontext, coalesce(first_leg.channel, '') AS channel, '' AS dstchannel, CASE (SELECT apps.app
FROM apps
WHERE apps.call_id = calls.call_id ORDER BY apps.seq
 LIMIT 1 OFFSET 0) WHEN 'queue' THEN 'Queue' WHEN 'ivr' THEN 'Background' WHEN 'ringgroup' THEN 'Dial' WHEN 'voicemail' THEN 'VoiceMail' WHEN 'conference' THEN 'ConfBridge' WHEN 'park' THEN 'Park' WHEN 'parkedcall' THEN 'ParkedCall' ELSE '' END AS lastapp, coalesce((SELECT apps.name
FROM apps
WHERE apps.call_id = calls.call_id ORDER BY apps.seq
 LIMIT 1 OFFSET 0), '') AS lastdata, CASE WHEN (calls.ended_at IS NULL) THEN 0 ELSE CAST(coalesce(((julianday(calls.ended_at) - julianday(calls.started_at)) * 86400.0), 0.0) AS INTEGER) END AS duration, CASE WHEN calls.answered THEN CAST(coalesce(((julianday(calls.ended_at) - julianday(calls.answered_at)) * 86400.0), 0.0) AS INTEGER) ELSE 0 END AS billsec, CASE WHEN calls.answered THEN 'ANSWERED' ELSE 'NO ANSWER' END AS disposition, 3 AS amaflags, '' AS accountcode, calls.call_id || ':0' AS uniqueid, coalesce(first_leg.uniqueid, '') AS linkedid, '' AS userfield, 0 AS sequence, '' AS peeraccount, calls.call_id AS call_id, calls.server AS server, (SELECT min(apps.name) AS min_3
FROM apps
WHERE apps.call_id = calls.call_id AND apps.app = 'queue') AS queue, NULL AS agent, NULL AS transfer
FROM calls LEFT OUTER JOIN legs AS first_leg ON first_leg.call_id = calls.call_id AND first_leg.seq = 0
WHERE calls.status != 'in_progress' AND NOT (EXISTS (SELECT row_attempt.seq
FROM attempts AS row_attempt
WHERE row_attempt.call_id = calls.call_id AND row_attempt.via != 'originate'))) AS cdr;

CREATE VIEW report_calls AS SELECT calls.call_id AS call_id, calls.server AS server, calls.started_at AS started_at, (SELECT min(rung.answered_at) AS min_1
FROM attempts AS rung
WHERE rung.call_id = calls.call_id AND rung.via != 'originate' AND rung.outcome = 'ANSWER') AS first_answer_at, calls.ended_at AS ended_at, ((julianday((SELECT min(rung.answered_at) AS min_1
FROM attempts AS rung
WHERE rung.call_id = calls.call_id AND rung.via != 'originate' AND rung.outcome = 'ANSWER')) - julianday(calls.started_at)) * 86400.0) AS ring_s, ((julianday(calls.ended_at) - julianday(calls.started_at)) * 86400.0) AS duration_s, calls.caller_num AS caller_num, calls.caller_name AS caller_name, calls.dialed AS dialed, first_leg.channel AS caller_channel, calls.answered AS answered, CASE WHEN calls.answered THEN 'answered' WHEN (calls.status = 'in_progress') THEN 'in progress' WHEN ((EXISTS (SELECT apps.app_id
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

CREATE VIEW report_agent_sessions AS SELECT stat_agent_sessions.session_id AS session_id, stat_agent_sessions.server AS server, stat_agent_sessions.agent AS agent, stat_agent_sessions.queue AS queue, stat_agent_sessions.kind AS kind, stat_agent_sessions.started_at AS started_at, stat_agent_sessions.ended_at AS ended_at, ((julianday(stat_agent_sessions.ended_at) - julianday(stat_agent_sessions.started_at)) * 86400.0) AS duration_s, stat_agent_sessions.reason AS reason
FROM stat_agent_sessions;
