-- Driver monitoring (issue #14, part 2): what a driver's pipeline instance is given, per driver.
--
-- A calibration: the driver's open-eye EAR and neutral head pose, measured by a session (the pipeline's
-- face calibration, read from its per-minute aggregates when the session ends) or set by hand.
CREATE TABLE dms_calibrations (
    driver_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tenant_id      integer NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    ear_baseline   double precision NOT NULL CHECK (ear_baseline BETWEEN 0.05 AND 1),
    yaw_neutral    double precision NOT NULL CHECK (yaw_neutral BETWEEN -90 AND 90),
    pitch_neutral  double precision NOT NULL CHECK (pitch_neutral BETWEEN -90 AND 90),
    source         text NOT NULL CHECK (source IN ('measured', 'manual')),
    session_id     bigint REFERENCES dms_sessions (id) ON DELETE SET NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     uuid REFERENCES users (id) ON DELETE SET NULL
);

-- A configuration: the driver's thresholds (NULL: the pipeline file's default) and enabled rules (NULL:
-- all the file's rules).
CREATE TABLE dms_configurations (
    driver_id           uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tenant_id           integer NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    drowsiness_ratio    double precision CHECK (drowsiness_ratio BETWEEN 0.3 AND 0.95),
    drowsiness_seconds  double precision CHECK (drowsiness_seconds BETWEEN 0.2 AND 30),
    yawn_mar            double precision CHECK (yawn_mar BETWEEN 0.2 AND 2),
    yawn_seconds        double precision CHECK (yawn_seconds BETWEEN 0.2 AND 30),
    no_face_seconds     double precision CHECK (no_face_seconds BETWEEN 0.5 AND 60),
    head_turn_degrees   double precision CHECK (head_turn_degrees BETWEEN 5 AND 90),
    head_turn_seconds   double precision CHECK (head_turn_seconds BETWEEN 0.2 AND 60),
    enabled_rules       text[],
    updated_at          timestamptz NOT NULL DEFAULT now(),
    updated_by          uuid REFERENCES users (id) ON DELETE SET NULL
);

-- A calibration session measures (its result is stored at its end, replacing the driver's calibration);
-- a monitoring session uses the stored one, and measures only for a driver without one.
ALTER TABLE dms_sessions ADD COLUMN kind text NOT NULL DEFAULT 'monitoring' CHECK (kind IN ('monitoring', 'calibration'));

-- Alerts a driver's app raised itself (POST /dms/sessions/{id}/alerts) name their session.
CREATE INDEX events_dms_session ON events ((attributes->>'dms_session')) WHERE attributes ? 'dms_session';

-- One risk formula for daily rows and any longer period: 100 * (1 - exp(-R / 10)), R = (info + 3 warning +
-- 10 critical) per monitored hour; alerts without monitored time are the highest risk.
CREATE FUNCTION vigil_risk_score(info double precision, warning double precision, critical double precision,
                                 seconds double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN seconds > 0 THEN 100 * (1 - exp(-((info + 3 * warning + 10 * critical) / (seconds / 3600)) / 10))
                WHEN info + warning + critical > 0 THEN 100 ELSE 0 END
$fn$;

-- Daily statistics also count the alerts by rule (`by_kind` counts by kind: every DMS rule is `metric`).
ALTER TABLE daily_statistics ADD COLUMN by_rule jsonb NOT NULL DEFAULT '{}';

CREATE OR REPLACE FUNCTION vigil_refresh_daily_statistics(low timestamptz, high timestamptz) RETURNS void
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
               e.rule, e.kind, e.severity, extract(hour FROM e.time AT TIME ZONE 'UTC')::int AS hour
        FROM events e, days
        WHERE e.alert_id IS NOT NULL AND e.camera_id IS NOT NULL AND e.kind NOT IN ('zone_enter', 'zone_exit', 'line_cross')
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
               coalesce((SELECT jsonb_object_agg(rule, n) FROM (SELECT a.rule, count(*) AS n FROM alerts a
                         WHERE (a.day, a.camera_id, a.subject) = (k.day, k.camera_id, k.subject) GROUP BY a.rule) x), '{}') AS by_rule,
               ARRAY(SELECT (SELECT count(*) FROM alerts a WHERE (a.day, a.camera_id, a.subject) = (k.day, k.camera_id, k.subject) AND a.hour = h)
                     FROM generate_series(0, 23) h) AS by_hour
        FROM keys k
    )
    INSERT INTO daily_statistics (day, camera_id, subject, monitored_seconds, alerts, info, warning, critical, by_kind, by_rule, by_hour,
                                  alerts_per_hour, risk_score)
    SELECT day, camera_id, subject, seconds, alerts, info, warning, critical, by_kind, by_rule, by_hour,
           CASE WHEN seconds > 0 THEN alerts / (seconds / 3600) ELSE 0 END,
           vigil_risk_score(info, warning, critical, seconds)
    FROM counted;
$fn$;
