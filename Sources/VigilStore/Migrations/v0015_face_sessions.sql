-- Facial-analysis sessions (issue #14, part 3): a user's session is a live processing task of
-- Pipelines/facial-analysis.yaml over the user's own push camera. Its facial data are the per-second
-- aggregates its task's runs write (face present, EAR, MAR, head pose, blinks, emotion probabilities); at
-- its end the session keeps a summary. Deleting a session deletes its data.
CREATE TABLE face_sessions (
    id          bigserial PRIMARY KEY,
    tenant_id   integer NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    camera_id   integer NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    task_id     bigint REFERENCES processing_tasks (id) ON DELETE SET NULL,
    name        text NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,
    summary     jsonb
);
CREATE INDEX face_sessions_user ON face_sessions (user_id, started_at DESC);
CREATE INDEX face_sessions_tenant ON face_sessions (tenant_id, started_at DESC);
-- At most one running session per user (their one camera).
CREATE UNIQUE INDEX face_sessions_running ON face_sessions (user_id) WHERE ended_at IS NULL;

CREATE TABLE face_session_feedback (
    id          bigserial PRIMARY KEY,
    session_id  bigint NOT NULL REFERENCES face_sessions (id) ON DELETE CASCADE,
    user_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    rating      smallint CHECK (rating BETWEEN 1 AND 5),
    comment     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX face_session_feedback_session ON face_session_feedback (session_id, created_at);
