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
