-- Alerts with a lifecycle: one row per alert (its `start`), kept current by its `update`s and its `end`
-- (never a second row), keyed by the stage's stable alert id. The row's `time` is the alert's start.
ALTER TABLE events
    ADD COLUMN alert_id        text,
    ADD COLUMN phase           text CHECK (phase IN ('start', 'update', 'end')),
    ADD COLUMN ended_at        timestamptz,
    ADD COLUMN end_media_time  double precision,
    ADD COLUMN duration        double precision,
    ADD COLUMN value           double precision,
    ADD COLUMN peak_value      double precision;
CREATE INDEX events_alert_id ON events (alert_id, time) WHERE alert_id IS NOT NULL;

-- Daily statistics per camera and per subject (a driver, a site: the alert stage's `subject`), refreshed
-- for the days the sink touched, like the rollups. Subject '' stands for the camera as a whole.
CREATE TABLE daily_statistics (
    day                 date NOT NULL,
    camera_id           integer NOT NULL,
    subject             text NOT NULL DEFAULT '',
    monitored_seconds   double precision NOT NULL,
    alerts              bigint NOT NULL,
    info                bigint NOT NULL,
    warning             bigint NOT NULL,
    critical            bigint NOT NULL,
    -- {"kind": count} of the alerts started that day
    by_kind             jsonb NOT NULL,
    -- 24 counts: alerts started in each UTC hour
    by_hour             bigint[] NOT NULL,
    alerts_per_hour     double precision NOT NULL,
    -- 100 * (1 - exp(-R / 10)), R = (info + 3 warning + 10 critical) per monitored hour (see README)
    risk_score          double precision NOT NULL,
    refreshed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (camera_id, subject, day)
);

-- Recomputes the days from `low` to `high` (UTC) from events (alerts that have a lifecycle, by their
-- start) and aggregates (`monitored_seconds` rows of the aggregate stage).
CREATE FUNCTION vigil_refresh_daily_statistics(low timestamptz, high timestamptz) RETURNS void
LANGUAGE sql AS $fn$
    DELETE FROM daily_statistics
    WHERE day BETWEEN (low AT TIME ZONE 'UTC')::date AND (high AT TIME ZONE 'UTC')::date;
    WITH days AS (
        SELECT (low AT TIME ZONE 'UTC')::date AS first_day, (high AT TIME ZONE 'UTC')::date AS last_day
    ), monitored AS (
        SELECT (a.time AT TIME ZONE 'UTC')::date AS day, a.camera_id, coalesce(a.dimensions->>'subject', '') AS subject,
               sum(a.value) AS seconds
        FROM aggregates a, days
        WHERE a.name = 'monitored_seconds' AND a.time >= first_day AND a.time < last_day + 1
        GROUP BY 1, 2, 3
    ), alerts AS (
        SELECT (e.time AT TIME ZONE 'UTC')::date AS day, e.camera_id, coalesce(e.attributes->>'subject', '') AS subject,
               e.kind, e.severity, extract(hour FROM e.time AT TIME ZONE 'UTC')::int AS hour
        FROM events e, days
        WHERE e.alert_id IS NOT NULL AND e.kind NOT IN ('zone_enter', 'zone_exit', 'line_cross')
          AND e.time >= first_day AND e.time < last_day + 1
    ), keys AS (
        SELECT day, camera_id, subject FROM monitored UNION SELECT day, camera_id, subject FROM alerts
    ), counted AS (
        SELECT k.day, k.camera_id, k.subject,
               coalesce((SELECT m.seconds FROM monitored m WHERE (m.day, m.camera_id, m.subject) = (k.day, k.camera_id, k.subject)), 0) AS seconds,
               (SELECT count(*) FROM alerts a WHERE (a.day, a.camera_id, a.subject) = (k.day, k.camera_id, k.subject)) AS alerts,
               (SELECT count(*) FROM alerts a WHERE (a.day, a.camera_id, a.subject) = (k.day, k.camera_id, k.subject) AND a.severity = 'info') AS info,
               (SELECT count(*) FROM alerts a WHERE (a.day, a.camera_id, a.subject) = (k.day, k.camera_id, k.subject) AND a.severity = 'warning') AS warning,
               (SELECT count(*) FROM alerts a WHERE (a.day, a.camera_id, a.subject) = (k.day, k.camera_id, k.subject) AND a.severity = 'critical') AS critical,
               coalesce((SELECT jsonb_object_agg(kind, n) FROM (SELECT a.kind, count(*) AS n FROM alerts a
                         WHERE (a.day, a.camera_id, a.subject) = (k.day, k.camera_id, k.subject) GROUP BY a.kind) x), '{}') AS by_kind,
               ARRAY(SELECT (SELECT count(*) FROM alerts a WHERE (a.day, a.camera_id, a.subject) = (k.day, k.camera_id, k.subject) AND a.hour = h)
                     FROM generate_series(0, 23) h) AS by_hour
        FROM keys k
    )
    INSERT INTO daily_statistics (day, camera_id, subject, monitored_seconds, alerts, info, warning, critical, by_kind, by_hour,
                                  alerts_per_hour, risk_score)
    SELECT day, camera_id, subject, seconds, alerts, info, warning, critical, by_kind, by_hour,
           CASE WHEN seconds > 0 THEN alerts / (seconds / 3600) ELSE 0 END,
           CASE WHEN seconds > 0 THEN 100 * (1 - exp(-((info + 3 * warning + 10 * critical) / (seconds / 3600)) / 10))
                WHEN alerts > 0 THEN 100 ELSE 0 END
    FROM counted;
$fn$;
