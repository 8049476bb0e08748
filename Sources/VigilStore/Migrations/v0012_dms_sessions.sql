-- Driver monitoring (issue #14, part 1): a driver's monitoring session is a processing task of
-- Pipelines/driver-monitoring.yaml over the driver's own push camera, from start to end. At the end the
-- session keeps its duration and its alert counts (from the events of that camera in the session), so the
-- history reads one row per session however many frames it had.
CREATE TABLE dms_sessions (
    id                 bigserial PRIMARY KEY,
    tenant_id          integer NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    driver_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    camera_id          integer NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    task_id            bigint REFERENCES processing_tasks (id) ON DELETE SET NULL,
    started_at         timestamptz NOT NULL DEFAULT now(),
    ended_at           timestamptz,
    total_alerts       integer,
    drowsiness_alerts  integer,
    distraction_alerts integer,
    yawn_alerts        integer
);
CREATE INDEX dms_sessions_driver ON dms_sessions (driver_id, started_at DESC);
CREATE INDEX dms_sessions_tenant ON dms_sessions (tenant_id, started_at DESC);
-- At most one running session per driver.
CREATE UNIQUE INDEX dms_sessions_running ON dms_sessions (driver_id) WHERE ended_at IS NULL;
