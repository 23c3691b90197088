-- 0002 (mysql): per-call statistics rows written with each call.
-- stat_queue_calls gets `call_hour` (for `call_started_at`), a key in the order hourly rows
-- group it and an index by call_id; stat_agent_calls is new; stat_fill_hours counts queue
-- visits. Those three are caches of the call trees: they are dropped and created again, then
-- refilled by
--     cdr-agent stats fill --rederive
-- (derives the per-call rows of every stored call, then rebuilds every hour).
-- stat_agent_sessions (captured, kept) gets an index by seen_at.

DROP TABLE IF EXISTS stat_queue_calls;

DROP TABLE IF EXISTS stat_agent_calls;

DROP TABLE IF EXISTS stat_fill_hours;

CREATE TABLE stat_queue_calls (
	hour DATETIME(6) NOT NULL,
	call_id VARCHAR(36) NOT NULL,
	app_id VARCHAR(64) NOT NULL,
	call_hour DATETIME(6) NOT NULL,
	server VARCHAR(255) NOT NULL,
	queue VARCHAR(128) NOT NULL,
	status VARCHAR(64) NOT NULL,
	agent VARCHAR(255),
	entered_at DATETIME(6),
	left_at DATETIME(6),
	wait_s DOUBLE,
	ring_s DOUBLE,
	talk_s DOUBLE,
	PRIMARY KEY (hour, server, queue, call_id, app_id)
)ENGINE=InnoDB CHARSET=utf8mb4;

CREATE INDEX ix_stat_queue_calls_call_hour ON stat_queue_calls (call_hour, hour);

CREATE INDEX ix_stat_queue_calls_call_id ON stat_queue_calls (call_id);

CREATE TABLE stat_agent_calls (
	hour DATETIME(6) NOT NULL,
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
)ENGINE=InnoDB CHARSET=utf8mb4;

CREATE INDEX ix_stat_agent_calls_call_id ON stat_agent_calls (call_id);

CREATE TABLE stat_fill_hours (
	hour DATETIME(6) NOT NULL,
	queue_visits INTEGER NOT NULL,
	filled_at DATETIME(6) NOT NULL,
	PRIMARY KEY (hour)
)ENGINE=InnoDB CHARSET=utf8mb4;

CREATE INDEX ix_stat_agent_sessions_seen_at ON stat_agent_sessions (seen_at);
