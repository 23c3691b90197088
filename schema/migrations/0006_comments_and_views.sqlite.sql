-- 0006: the reporting views (cdr_fixed, report_calls, report_queue_calls, report_agent_sessions).
-- SQLite keeps no comments.

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
