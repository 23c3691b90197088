-- 0006: the data dictionary as COMMENT on every table and column (MODIFY restates each column
-- unchanged, with its comment), and the reporting views
-- (cdr_fixed, report_calls, report_queue_calls, report_agent_sessions).

ALTER TABLE agi_observations COMMENT = 'One row per AGI observation: what AGI-only installs rebuild calls from';

ALTER TABLE agi_observations
    MODIFY COLUMN obs_id VARCHAR(32) NOT NULL COMMENT 'the observation''s deterministic id (kept once)',
    MODIFY COLUMN server VARCHAR(255) NOT NULL COMMENT 'the Asterisk server the call was captured from (the name given to the capture)',
    MODIFY COLUMN group_key VARCHAR(150) NOT NULL COMMENT 'linkedid of the channel''s first observation: the rebuild group',
    MODIFY COLUMN uniqueid VARCHAR(150) NOT NULL COMMENT 'Asterisk uniqueid of the observed channel',
    MODIFY COLUMN observed_at DATETIME(6) COMMENT 'UTC time of the observation',
    MODIFY COLUMN call_id VARCHAR(36) COMMENT 'the call it was last built into',
    MODIFY COLUMN document MEDIUMTEXT NOT NULL COMMENT 'the observation as JSON';

ALTER TABLE calls COMMENT = 'One row per call: one customer interaction, however many channels, transfers and servers'' linkedids it spans';

ALTER TABLE calls
    MODIFY COLUMN call_id VARCHAR(36) NOT NULL COMMENT 'our call id: a UUID derived from the server and the first channel, unique across servers',
    MODIFY COLUMN server VARCHAR(255) NOT NULL COMMENT 'the Asterisk server the call was captured from (the name given to the capture)',
    MODIFY COLUMN status VARCHAR(64) NOT NULL COMMENT 'complete, incomplete (the capture missed part of it) or in_progress',
    MODIFY COLUMN started_at DATETIME(6) COMMENT 'UTC time the first channel was created',
    MODIFY COLUMN answered_at DATETIME(6) COMMENT 'UTC time something first answered the caller (a phone, or an Answer() by the PBX)',
    MODIFY COLUMN ended_at DATETIME(6) COMMENT 'UTC time the last channel hung up',
    MODIFY COLUMN linkedids MEDIUMTEXT NOT NULL COMMENT 'JSON list of Asterisk linkedids that make up the call',
    MODIFY COLUMN user_data MEDIUMTEXT NOT NULL COMMENT 'JSON object of the dialplan variables captured for the call',
    MODIFY COLUMN caller_num TEXT COMMENT 'caller number of whoever started the call',
    MODIFY COLUMN caller_name TEXT COMMENT 'caller name of whoever started the call',
    MODIFY COLUMN dialed TEXT COMMENT 'what the caller dialled: the first channel''s extension',
    MODIFY COLUMN flags MEDIUMTEXT NOT NULL COMMENT 'JSON list of warnings: gap (the stream broke during the call), stale (no hangup seen)',
    MODIFY COLUMN answered BOOL NOT NULL COMMENT 'true when the caller reached a person (phone answered or conference joined)' DEFAULT false,
    MODIFY COLUMN time_source VARCHAR(64) NOT NULL COMMENT 'where the times come from: asterisk (event timestamps), arrival (time read), none' DEFAULT 'none';

ALTER TABLE stat_agent_calls COMMENT = 'One row per queue visit per agent rung for it (a cache, written with the call)';

ALTER TABLE stat_agent_calls
    MODIFY COLUMN hour DATETIME(6) NOT NULL COMMENT 'UTC hour the caller entered the queue',
    MODIFY COLUMN call_id VARCHAR(36) NOT NULL COMMENT 'the call (calls.call_id)',
    MODIFY COLUMN app_id VARCHAR(64) NOT NULL COMMENT 'the queue visit (apps.app_id)',
    MODIFY COLUMN agent VARCHAR(255) NOT NULL COMMENT 'queue member name (MemberName, else its interface)',
    MODIFY COLUMN server VARCHAR(255) NOT NULL COMMENT 'the Asterisk server the call was captured from (the name given to the capture)',
    MODIFY COLUMN queue VARCHAR(128) NOT NULL COMMENT 'queue name',
    MODIFY COLUMN rung INTEGER NOT NULL COMMENT 'rings of the agent''s phone, including rings cut because another answered',
    MODIFY COLUMN answered INTEGER NOT NULL COMMENT 'rings the agent answered',
    MODIFY COLUMN ring_no_answer INTEGER NOT NULL COMMENT 'rings that ran to the member timeout (DIALSTATUS NOANSWER)',
    MODIFY COLUMN rejected INTEGER NOT NULL COMMENT 'rings the phone refused: BUSY, CONGESTION, CHANUNAVAIL',
    MODIFY COLUMN transferred INTEGER NOT NULL COMMENT 'answered calls the agent then transferred out of the queue',
    MODIFY COLUMN ring_s DOUBLE NOT NULL COMMENT 'seconds of ringing, all rings',
    MODIFY COLUMN talk_s DOUBLE NOT NULL COMMENT 'seconds of talk of the answered rings (until a transfer)';

ALTER TABLE stat_agent_hourly COMMENT = 'Agent figures per UTC hour and queue, added up from stat_agent_calls';

ALTER TABLE stat_agent_hourly
    MODIFY COLUMN hour DATETIME(6) NOT NULL COMMENT 'UTC start of the hour counted in',
    MODIFY COLUMN server VARCHAR(255) NOT NULL COMMENT 'the Asterisk server the call was captured from (the name given to the capture)',
    MODIFY COLUMN queue VARCHAR(128) NOT NULL COMMENT 'queue name',
    MODIFY COLUMN agent VARCHAR(255) NOT NULL COMMENT 'queue member name (MemberName, else its interface)',
    MODIFY COLUMN rung INTEGER NOT NULL COMMENT 'rings of the agent''s phone, including rings cut because another answered',
    MODIFY COLUMN answered INTEGER NOT NULL COMMENT 'rings the agent answered',
    MODIFY COLUMN ring_no_answer INTEGER NOT NULL COMMENT 'rings that ran to the member timeout (DIALSTATUS NOANSWER)',
    MODIFY COLUMN rejected INTEGER NOT NULL COMMENT 'rings the phone refused: BUSY, CONGESTION, CHANUNAVAIL',
    MODIFY COLUMN transferred INTEGER NOT NULL COMMENT 'answered calls the agent then transferred out of the queue',
    MODIFY COLUMN ring_s DOUBLE NOT NULL COMMENT 'seconds of ringing, all rings',
    MODIFY COLUMN talk_s DOUBLE NOT NULL COMMENT 'seconds of talk of the answered rings (until a transfer)';

ALTER TABLE stat_agent_presence_hourly COMMENT = 'Agent logged-in and paused seconds per UTC hour, over all queues';

ALTER TABLE stat_agent_presence_hourly
    MODIFY COLUMN hour DATETIME(6) NOT NULL COMMENT 'UTC start of the hour counted in',
    MODIFY COLUMN server VARCHAR(255) NOT NULL COMMENT 'the Asterisk server the call was captured from (the name given to the capture)',
    MODIFY COLUMN agent VARCHAR(255) NOT NULL COMMENT 'queue member name (MemberName, else its interface)',
    MODIFY COLUMN login_s DOUBLE NOT NULL COMMENT 'seconds logged in (member of at least one queue) within the hour',
    MODIFY COLUMN pause_s DOUBLE NOT NULL COMMENT 'seconds paused within the hour';

ALTER TABLE stat_agent_sessions COMMENT = 'One row per agent login or pause, from the QueueMember events (source data)';

ALTER TABLE stat_agent_sessions
    MODIFY COLUMN session_id VARCHAR(36) NOT NULL COMMENT 'the session''s own id',
    MODIFY COLUMN server VARCHAR(255) NOT NULL COMMENT 'the Asterisk server the call was captured from (the name given to the capture)',
    MODIFY COLUMN agent VARCHAR(255) NOT NULL COMMENT 'queue member name (MemberName, else its interface)',
    MODIFY COLUMN queue VARCHAR(128) NOT NULL COMMENT 'queue name',
    MODIFY COLUMN kind VARCHAR(64) NOT NULL COMMENT 'login or pause',
    MODIFY COLUMN started_at DATETIME(6) NOT NULL COMMENT 'UTC start',
    MODIFY COLUMN ended_at DATETIME(6) COMMENT 'UTC end, NULL while open',
    MODIFY COLUMN seen_at DATETIME(6) NOT NULL COMMENT 'UTC time the capture last saw it hold (its end once ended)',
    MODIFY COLUMN reason TEXT COMMENT 'pause reason (PausedReason)';

ALTER TABLE stat_fill_hours COMMENT = 'What each statistics fill saw, per UTC hour of call start';

ALTER TABLE stat_fill_hours
    MODIFY COLUMN hour DATETIME(6) NOT NULL COMMENT 'UTC hour of call start',
    MODIFY COLUMN queue_visits INTEGER NOT NULL COMMENT 'queue visits of the finished calls that started in the hour',
    MODIFY COLUMN filled_at DATETIME(6) NOT NULL COMMENT 'UTC time the hour was last filled';

ALTER TABLE stat_queue_calls COMMENT = 'One row per queue visit of a call (a cache of the call trees, written with the call)';

ALTER TABLE stat_queue_calls
    MODIFY COLUMN hour DATETIME(6) NOT NULL COMMENT 'UTC hour the caller entered the queue',
    MODIFY COLUMN call_id VARCHAR(36) NOT NULL COMMENT 'the call (calls.call_id)',
    MODIFY COLUMN app_id VARCHAR(64) NOT NULL COMMENT 'the queue visit (apps.app_id)',
    MODIFY COLUMN call_hour DATETIME(6) NOT NULL COMMENT 'UTC hour the call started',
    MODIFY COLUMN server VARCHAR(255) NOT NULL COMMENT 'the Asterisk server the call was captured from (the name given to the capture)',
    MODIFY COLUMN queue VARCHAR(128) NOT NULL COMMENT 'queue name',
    MODIFY COLUMN status VARCHAR(64) NOT NULL COMMENT 'answered, transferred, abandoned, timeout, joinempty, leaveempty, full, closed, divert_ca_ratio, divert_waittime or exited',
    MODIFY COLUMN agent VARCHAR(255) COMMENT 'the member who answered',
    MODIFY COLUMN entered_at DATETIME(6) COMMENT 'UTC time the caller entered the queue',
    MODIFY COLUMN left_at DATETIME(6) COMMENT 'UTC time the caller was connected or left',
    MODIFY COLUMN wait_s DOUBLE COMMENT 'seconds from entering to connected or gone',
    MODIFY COLUMN ring_s DOUBLE COMMENT 'seconds the answering agent''s phone rang',
    MODIFY COLUMN talk_s DOUBLE COMMENT 'seconds the answering agent talked (until a transfer)';

ALTER TABLE stat_queue_hourly COMMENT = 'Queue figures per UTC hour, added up from stat_queue_calls by cdr-agent stats fill';

ALTER TABLE stat_queue_hourly
    MODIFY COLUMN hour DATETIME(6) NOT NULL COMMENT 'UTC start of the hour counted in',
    MODIFY COLUMN server VARCHAR(255) NOT NULL COMMENT 'the Asterisk server the call was captured from (the name given to the capture)',
    MODIFY COLUMN queue VARCHAR(128) NOT NULL COMMENT 'queue name',
    MODIFY COLUMN offered INTEGER NOT NULL COMMENT 'calls that entered the queue',
    MODIFY COLUMN answered INTEGER NOT NULL COMMENT 'calls answered by an agent (transferred ones included)',
    MODIFY COLUMN transferred INTEGER NOT NULL COMMENT 'answered calls the agent transferred out',
    MODIFY COLUMN abandoned INTEGER NOT NULL COMMENT 'callers who hung up while waiting',
    MODIFY COLUMN timeout INTEGER NOT NULL COMMENT 'callers who left at the queue timeout',
    MODIFY COLUMN joinempty INTEGER NOT NULL COMMENT 'callers refused because no member could take calls',
    MODIFY COLUMN leaveempty INTEGER NOT NULL COMMENT 'callers sent out when the members went away',
    MODIFY COLUMN full INTEGER NOT NULL COMMENT 'callers refused because the queue was full',
    MODIFY COLUMN closed INTEGER NOT NULL COMMENT 'callers refused because the queue was closed',
    MODIFY COLUMN divert_ca_ratio INTEGER NOT NULL COMMENT 'callers sent out by the callers/agents ratio rule',
    MODIFY COLUMN divert_waittime INTEGER NOT NULL COMMENT 'callers sent out by the expected wait rule',
    MODIFY COLUMN exited INTEGER NOT NULL COMMENT 'callers who left any other way (a key pressed, withdrawn)',
    MODIFY COLUMN wait_s DOUBLE NOT NULL COMMENT 'seconds of waiting, all offered calls',
    MODIFY COLUMN wait_max_s DOUBLE NOT NULL COMMENT 'longest wait in seconds',
    MODIFY COLUMN answered_wait_s DOUBLE NOT NULL COMMENT 'seconds of waiting of answered calls (ASA = answered_wait_s / answered)',
    MODIFY COLUMN answered_wait_max_s DOUBLE NOT NULL COMMENT 'longest wait of an answered call, seconds',
    MODIFY COLUMN abandoned_wait_s DOUBLE NOT NULL COMMENT 'seconds of waiting of abandoned calls',
    MODIFY COLUMN abandoned_wait_max_s DOUBLE NOT NULL COMMENT 'longest wait of an abandoned call, seconds',
    MODIFY COLUMN talk_s DOUBLE NOT NULL COMMENT 'seconds of talk of answered calls (AHT = talk_s / answered)',
    MODIFY COLUMN answered_within_10 INTEGER NOT NULL COMMENT 'calls answered within 10 seconds of waiting (service level)',
    MODIFY COLUMN answered_within_15 INTEGER NOT NULL COMMENT 'calls answered within 15 seconds of waiting (service level)',
    MODIFY COLUMN answered_within_20 INTEGER NOT NULL COMMENT 'calls answered within 20 seconds of waiting (service level)',
    MODIFY COLUMN answered_within_30 INTEGER NOT NULL COMMENT 'calls answered within 30 seconds of waiting (service level)',
    MODIFY COLUMN answered_within_45 INTEGER NOT NULL COMMENT 'calls answered within 45 seconds of waiting (service level)',
    MODIFY COLUMN answered_within_60 INTEGER NOT NULL COMMENT 'calls answered within 60 seconds of waiting (service level)',
    MODIFY COLUMN answered_within_90 INTEGER NOT NULL COMMENT 'calls answered within 90 seconds of waiting (service level)',
    MODIFY COLUMN answered_within_120 INTEGER NOT NULL COMMENT 'calls answered within 120 seconds of waiting (service level)',
    MODIFY COLUMN answered_within_180 INTEGER NOT NULL COMMENT 'calls answered within 180 seconds of waiting (service level)',
    MODIFY COLUMN answered_within_300 INTEGER NOT NULL COMMENT 'calls answered within 300 seconds of waiting (service level)';

ALTER TABLE apps COMMENT = 'One row per application a call went through: queue, IVR, ring group, voicemail, conference, park';

ALTER TABLE apps
    MODIFY COLUMN call_id VARCHAR(36) NOT NULL COMMENT 'the call (calls.call_id)',
    MODIFY COLUMN app_id VARCHAR(64) NOT NULL COMMENT 'id of the application context: call_id:n (n counts from 1)',
    MODIFY COLUMN seq INTEGER NOT NULL COMMENT 'position in the call',
    MODIFY COLUMN app VARCHAR(64) NOT NULL COMMENT 'queue, ivr, ringgroup, voicemail, conference, park or parkedcall',
    MODIFY COLUMN name TEXT COMMENT 'the queue, room, IVR or ring group name',
    MODIFY COLUMN leg VARCHAR(64) COMMENT 'leg_id of the channel in the application',
    MODIFY COLUMN entered_at DATETIME(6) COMMENT 'UTC time it entered',
    MODIFY COLUMN left_at DATETIME(6) COMMENT 'UTC time it left',
    MODIFY COLUMN result TEXT COMMENT 'how it left, e.g. answered, abandoned, timeout (queues), left (conferences)',
    MODIFY COLUMN wait_s DOUBLE COMMENT 'seconds from entering to leaving',
    MODIFY COLUMN position INTEGER COMMENT 'queue position on entering',
    MODIFY COLUMN data MEDIUMTEXT NOT NULL COMMENT 'JSON object of application details';

ALTER TABLE attempts COMMENT = 'One row per destination rung: a Dial() target, a queue member, a transfer target';

ALTER TABLE attempts
    MODIFY COLUMN call_id VARCHAR(36) NOT NULL COMMENT 'the call (calls.call_id)',
    MODIFY COLUMN seq INTEGER NOT NULL COMMENT 'the attempt''s number within the call, from 1',
    MODIFY COLUMN from_leg VARCHAR(64) COMMENT 'leg_id of the dialling channel',
    MODIFY COLUMN to_leg VARCHAR(64) COMMENT 'leg_id of the channel rung (may be a leg of another call)',
    MODIFY COLUMN hop_leg VARCHAR(64) COMMENT 'leg_id of the Local channel half that dialled for from_leg',
    MODIFY COLUMN dialstring TEXT COMMENT 'what was dialled (DialBegin DialString)',
    MODIFY COLUMN outcome VARCHAR(64) COMMENT 'Asterisk''s DIALSTATUS word: ANSWER, NOANSWER, BUSY, CANCEL, CONGESTION, CHANUNAVAIL...',
    MODIFY COLUMN via VARCHAR(64) NOT NULL COMMENT 'how it came about: dial, queue, ringgroup, transfer, forward, pickup, originate, park',
    MODIFY COLUMN app_id VARCHAR(64) COMMENT 'the application context (apps.app_id) that rang, e.g. the queue',
    MODIFY COLUMN agent TEXT COMMENT 'queue member name when a queue rang',
    MODIFY COLUMN began_at DATETIME(6) COMMENT 'UTC time the ringing began',
    MODIFY COLUMN answered_at DATETIME(6) COMMENT 'UTC time it was answered',
    MODIFY COLUMN ended_at DATETIME(6) COMMENT 'UTC time the attempt ended (ring stopped or talk ended)',
    MODIFY COLUMN ring_s DOUBLE COMMENT 'seconds of ringing',
    MODIFY COLUMN talk_s DOUBLE COMMENT 'seconds of talk (0 when not answered)';

ALTER TABLE conference_members COMMENT = 'One row per conference member (a member-less conference: one row, leg NULL)';

ALTER TABLE conference_members
    MODIFY COLUMN call_id VARCHAR(36) NOT NULL COMMENT 'the call (calls.call_id)',
    MODIFY COLUMN seq INTEGER NOT NULL COMMENT 'position within the call''s conferences',
    MODIFY COLUMN room TEXT NOT NULL COMMENT 'conference room name',
    MODIFY COLUMN bridge_id VARCHAR(64) NOT NULL COMMENT 'Asterisk bridge uniqueid of the conference',
    MODIFY COLUMN leg VARCHAR(64) COMMENT 'leg_id of the member',
    MODIFY COLUMN joined_at DATETIME(6) COMMENT 'UTC time the member joined',
    MODIFY COLUMN left_at DATETIME(6) COMMENT 'UTC time the member left';

ALTER TABLE legs COMMENT = 'One row per channel of a call';

ALTER TABLE legs
    MODIFY COLUMN leg_id VARCHAR(64) NOT NULL COMMENT 'our leg id: a UUID derived from the server and the channel''s uniqueid',
    MODIFY COLUMN call_id VARCHAR(36) NOT NULL COMMENT 'the call (calls.call_id)',
    MODIFY COLUMN seq INTEGER NOT NULL COMMENT 'position of the leg in the call, from 0 (0: the caller''s channel)',
    MODIFY COLUMN server VARCHAR(255) NOT NULL COMMENT 'the Asterisk server the call was captured from (the name given to the capture)',
    MODIFY COLUMN uniqueid VARCHAR(150) NOT NULL COMMENT 'Asterisk''s uniqueid of the channel (unique on one server only)',
    MODIFY COLUMN channel TEXT NOT NULL COMMENT 'Asterisk channel name, e.g. PJSIP/201-0000002a',
    MODIFY COLUMN caller_num TEXT COMMENT 'the channel''s caller ID number',
    MODIFY COLUMN caller_name TEXT COMMENT 'the channel''s caller ID name',
    MODIFY COLUMN connected_num TEXT COMMENT 'the connected line number (who the channel talks to)',
    MODIFY COLUMN connected_name TEXT COMMENT 'the connected line name',
    MODIFY COLUMN created_at DATETIME(6) COMMENT 'UTC time the channel was created',
    MODIFY COLUMN answered_at DATETIME(6) COMMENT 'UTC time the channel went Up',
    MODIFY COLUMN ended_at DATETIME(6) COMMENT 'UTC time the channel hung up',
    MODIFY COLUMN hangup_cause INTEGER COMMENT 'Q.850 hangup cause code',
    MODIFY COLUMN local_peer VARCHAR(64) COMMENT 'for a Local channel half, the leg_id of its other half',
    MODIFY COLUMN context TEXT COMMENT 'the dialplan context the channel first ran in',
    MODIFY COLUMN exten TEXT COMMENT 'the dialplan extension the channel first ran in',
    MODIFY COLUMN answered BOOL NOT NULL COMMENT 'true when the channel went Up (answered_at may be unknown)' DEFAULT false;

ALTER TABLE transfers COMMENT = 'One row per transfer (blind or attended)';

ALTER TABLE transfers
    MODIFY COLUMN call_id VARCHAR(36) NOT NULL COMMENT 'the call (calls.call_id)',
    MODIFY COLUMN seq INTEGER NOT NULL COMMENT 'the transfer''s number within the call, from 1',
    MODIFY COLUMN kind VARCHAR(64) NOT NULL COMMENT 'blind or attended',
    MODIFY COLUMN transferer_leg VARCHAR(64) COMMENT 'leg_id of who transferred',
    MODIFY COLUMN transferee_leg VARCHAR(64) COMMENT 'leg_id of who was transferred',
    MODIFY COLUMN target_leg VARCHAR(64) COMMENT 'leg_id of the transfer target',
    MODIFY COLUMN target_exten TEXT COMMENT 'the extension transferred to',
    MODIFY COLUMN target_context TEXT COMMENT 'the context transferred to',
    MODIFY COLUMN at DATETIME(6) COMMENT 'UTC time of the transfer',
    MODIFY COLUMN completed BOOL NOT NULL COMMENT 'false when the transfer failed or was aborted';

CREATE VIEW cdr_fixed AS SELECT cdr.calldate, cdr.start, cdr.answer, cdr.end, cdr.clid, cdr.src, cdr.dst, cdr.dcontext, cdr.channel, cdr.dstchannel, cdr.lastapp, cdr.lastdata, cdr.duration, cdr.billsec, cdr.disposition, cdr.amaflags, cdr.accountcode, cdr.uniqueid, cdr.linkedid, cdr.userfield, cdr.sequence, cdr.peeraccount, cdr.call_id, cdr.server, cdr.queue, cdr.agent, cdr.transfer
FROM (SELECT attempts.began_at AS calldate, attempts.began_at AS start, attempts.answered_at AS answer, attempts.ended_at AS end, CASE WHEN (from_leg.caller_name IS NOT NULL AND from_leg.caller_name != '') THEN concat('"', from_leg.caller_name, '" <', coalesce(coalesce(from_leg.caller_num, calls.caller_num), ''), '>') ELSE coalesce(coalesce(from_leg.caller_num, calls.caller_num), '') END AS clid, coalesce(coalesce(from_leg.caller_num, calls.caller_num), '') AS src, coalesce(CASE WHEN (attempts.via = 'transfer') THEN coalesce((SELECT min(xfer.target_exten) AS min_1
FROM transfers AS xfer
WHERE xfer.call_id = attempts.call_id AND xfer.target_leg = attempts.to_leg), coalesce(nullif(nullif(to_leg.exten, ''), 's'), to_leg.caller_num)) WHEN (attempts.via = 'park') THEN coalesce(from_leg.exten, calls.dialed) ELSE coalesce(coalesce(nullif(nullif(to_leg.exten, ''), 's'), to_leg.caller_num), calls.dialed) END, '') AS dst, coalesce(from_leg.context, '') AS dcontext, coalesce(from_leg.channel, '') AS channel, coalesce(to_leg.channel, '') AS dstchannel, CASE WHEN (attempts.via = 'queue') THEN 'Queue' WHEN (attempts.via = 'park') THEN 'ParkedCall' ELSE 'Dial' END AS lastapp, coalesce(CASE WHEN (attempts.via = 'queue') THEN queue_app.name ELSE attempts.dialstring END, '') AS lastdata, CAST(FLOOR(coalesce(coalesce(attempts.ring_s, 0.0) + coalesce(attempts.talk_s, 0.0), 0.0)) AS SIGNED) AS duration, CASE WHEN (attempts.outcome = 'ANSWER') THEN CAST(FLOOR(coalesce(attempts.talk_s, 0.0)) AS SIGNED) ELSE 0 END AS billsec, CASE WHEN (attempts.outcome = 'ANSWER') THEN 'ANSWERED' WHEN (attempts.outcome = 'BUSY') THEN 'BUSY' WHEN (attempts.outcome IN ('NOANSWER', 'CANCEL') OR attempts.outcome IS NULL) THEN 'NO ANSWER' ELSE 'FAILED' END AS disposition, 3 AS amaflags, '' AS accountcode, concat(attempts.call_id, ':', CAST(attempts.seq AS CHAR)) AS uniqueid, coalesce(first_leg.uniqueid, '') AS linkedid, '' AS userfield, attempts.seq AS sequence, '' AS peeraccount, attempts.call_id AS call_id, calls.server AS server, CASE WHEN (attempts.via = 'queue') THEN queue_app.name ELSE NULL END AS queue, attempts.agent AS agent, CASE WHEN (attempts.via = 'transfer') THEN (SELECT min(xfer.kind) AS min_2
FROM transfers AS xfer
WHERE xfer.call_id = attempts.call_id AND xfer.target_leg = attempts.to_leg) ELSE NULL END AS transfer
FROM attempts INNER JOIN calls ON calls.call_id = attempts.call_id LEFT OUTER JOIN legs AS from_leg ON from_leg.leg_id = attempts.from_leg LEFT OUTER JOIN legs AS to_leg ON to_leg.leg_id = attempts.to_leg LEFT OUTER JOIN legs AS first_leg ON first_leg.call_id = calls.call_id AND first_leg.seq = 0 LEFT OUTER JOIN apps AS queue_app ON queue_app.call_id = attempts.call_id AND queue_app.app_id = attempts.app_id
WHERE attempts.via != 'originate' AND calls.status != 'in_progress' UNION ALL SELECT calls.started_at AS calldate, calls.started_at AS start, CASE WHEN calls.answered THEN calls.answered_at ELSE NULL END AS answer, calls.ended_at AS end, CASE WHEN (calls.caller_name IS NOT NULL AND calls.caller_name != '') THEN concat('"', calls.caller_name, '" <', coalesce(calls.caller_num, ''), '>') ELSE coalesce(calls.caller_num, '') END AS clid, coalesce(calls.caller_num, '') AS src, coalesce(calls.dialed, '') AS dst, coalesce(first_leg.context, '') AS dcontext, coalesce(first_leg.channel, '') AS channel, '' AS dstchannel, CASE (SELECT apps.app
FROM apps
WHERE apps.call_id = calls.call_id ORDER BY apps.seq
 LIMIT 1) WHEN 'queue' THEN 'Queue' WHEN 'ivr' THEN 'Background' WHEN 'ringgroup' THEN 'Dial' WHEN 'voicemail' THEN 'VoiceMail' WHEN 'conference' THEN 'ConfBridge' WHEN 'park' THEN 'Park' WHEN 'parkedcall' THEN 'ParkedCall' ELSE '' END AS lastapp, coalesce((SELECT apps.name
FROM apps
WHERE apps.call_id = calls.call_id ORDER BY apps.seq
 LIMIT 1), '') AS lastdata, CASE WHEN (calls.ended_at IS NULL) THEN 0 ELSE CAST(FLOOR(coalesce((TIMESTAMPDIFF(MICROSECOND, calls.started_at, calls.ended_at) / 1E6), 0.0)) AS SIGNED) END AS duration, CASE WHEN calls.answered THEN CAST(FLOOR(coalesce((TIMESTAMPDIFF(MICROSECOND, calls.answered_at, calls.ended_at) / 1E6), 0.0)) AS SIGNED) ELSE 0 END AS billsec, CASE WHEN calls.answered THEN 'ANSWERED' ELSE 'NO ANSWER' END AS disposition, 3 AS amaflags, '' AS accountcode, concat(calls.call_id, ':0') AS uniqueid, coalesce(first_leg.uniqueid, '') AS linkedid, '' AS userfield, 0 AS sequence, '' AS peeraccount, calls.call_id AS call_id, calls.server AS server, (SELECT min(apps.name) AS min_3
FROM apps
WHERE apps.call_id = calls.call_id AND apps.app = 'queue') AS queue, NULL AS agent, NULL AS transfer
FROM calls LEFT OUTER JOIN legs AS first_leg ON first_leg.call_id = calls.call_id AND first_leg.seq = 0
WHERE calls.status != 'in_progress' AND NOT (EXISTS (SELECT row_attempt.seq
FROM attempts AS row_attempt
WHERE row_attempt.call_id = calls.call_id AND row_attempt.via != 'originate'))) AS cdr;

CREATE VIEW report_calls AS SELECT calls.call_id AS call_id, calls.server AS server, calls.started_at AS started_at, (SELECT min(rung.answered_at) AS min_1
FROM attempts AS rung
WHERE rung.call_id = calls.call_id AND rung.via != 'originate' AND rung.outcome = 'ANSWER') AS first_answer_at, calls.ended_at AS ended_at, (TIMESTAMPDIFF(MICROSECOND, calls.started_at, (SELECT min(rung.answered_at) AS min_1
FROM attempts AS rung
WHERE rung.call_id = calls.call_id AND rung.via != 'originate' AND rung.outcome = 'ANSWER')) / 1E6) AS ring_s, (TIMESTAMPDIFF(MICROSECOND, calls.started_at, calls.ended_at) / 1E6) AS duration_s, calls.caller_num AS caller_num, calls.caller_name AS caller_name, calls.dialed AS dialed, first_leg.channel AS caller_channel, calls.answered AS answered, CASE WHEN calls.answered THEN 'answered' WHEN (calls.status = 'in_progress') THEN 'in progress' WHEN ((EXISTS (SELECT apps.app_id
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

CREATE VIEW report_agent_sessions AS SELECT stat_agent_sessions.session_id AS session_id, stat_agent_sessions.server AS server, stat_agent_sessions.agent AS agent, stat_agent_sessions.queue AS queue, stat_agent_sessions.kind AS kind, stat_agent_sessions.started_at AS started_at, stat_agent_sessions.ended_at AS ended_at, (TIMESTAMPDIFF(MICROSECOND, stat_agent_sessions.started_at, stat_agent_sessions.ended_at) / 1E6) AS duration_s, stat_agent_sessions.reason AS reason
FROM stat_agent_sessions;
