-- cdr-agent schema for postgresql.
-- Generated from cdr_agent/store/tables.py by `python -m cdr_agent.store.schema --write`; do not edit.

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
	PRIMARY KEY (call_id)
);

CREATE INDEX ix_calls_caller_num ON calls (caller_num);

CREATE INDEX ix_calls_dialed ON calls (dialed);

CREATE INDEX ix_calls_server ON calls (server);

CREATE INDEX ix_calls_started_at ON calls (started_at);

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
	at TIMESTAMP WITH TIME ZONE,
	completed BOOLEAN NOT NULL,
	PRIMARY KEY (call_id, seq),
	FOREIGN KEY(call_id) REFERENCES calls (call_id) ON DELETE CASCADE
);
