-- The job queue shared by every `vigil worker` (the design of River and Oban): jobs claimed with
-- FOR UPDATE SKIP LOCKED under a renewable lease; each lease has an epoch (a fencing token) that a run's
-- commits must present; one leader at a time (a lease row) rescues expired leases, fires schedules and
-- prunes finished jobs. Workers wake on NOTIFY vigil_jobs (payload: the queue) instead of polling fast.

CREATE TABLE jobs (
    id                  bigserial PRIMARY KEY,
    tenant_id           integer NOT NULL DEFAULT 1 REFERENCES tenants (id) ON DELETE CASCADE,
    kind                text NOT NULL CHECK (kind IN ('run', 'stream', 'export', 'maintenance')),
    queue               text NOT NULL DEFAULT 'default',
    args                jsonb NOT NULL DEFAULT '{}',
    -- 0 runs first (as in Oban).
    priority            smallint NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 9),
    state               text NOT NULL DEFAULT 'available'
                        CHECK (state IN ('available', 'running', 'retryable', 'completed', 'failed', 'cancelled')),
    attempt             integer NOT NULL DEFAULT 0,
    max_attempts        integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
    -- One object per failed attempt: {attempt, at, worker, error}.
    errors              jsonb NOT NULL DEFAULT '[]',
    unique_key          text,
    leased_by           text,
    lease_until         timestamptz,
    -- Raised by every claim and every rescue: a holder whose epoch is not the row's has lost the job.
    lease_epoch         bigint NOT NULL DEFAULT 0,
    -- The holder's last sign of life (claim, renewal, hand-back), and the one before the current claim:
    -- a live camera taken over reports the time since then as a gap.
    renewed_at          timestamptz,
    previous_renewed_at timestamptz,
    cancel_requested    boolean NOT NULL DEFAULT false,
    progress            jsonb,
    result              jsonb,
    scheduled_at        timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    attempted_at        timestamptz,
    finished_at         timestamptz
);
-- Enqueueing is idempotent per unique key while a job with it is waiting, running or completed.
CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state NOT IN ('failed', 'cancelled');
-- In claim order, without the queue: `queue = ANY(...)` on a leading column would make every claim read and
-- sort all waiting jobs (a claim of 20,000 waiting jobs took 14 ms instead of well under one).
CREATE INDEX jobs_fetch ON jobs (priority, scheduled_at, id) WHERE state IN ('available', 'retryable');
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('completed', 'failed', 'cancelled');

CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state IN ('available', 'retryable') THEN
        PERFORM pg_notify('vigil_jobs', NEW.queue);
    END IF;
    IF NEW.cancel_requested AND NEW.state = 'running' THEN
        PERFORM pg_notify('vigil_jobs_cancel', NEW.id::text);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE OF state, cancel_requested ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobs_notify();

-- Workers alive (heartbeat) and what they offer.
CREATE TABLE job_workers (
    name                text PRIMARY KEY,
    host                text NOT NULL,
    pid                 integer NOT NULL,
    queues              text[] NOT NULL,
    concurrency         integer NOT NULL,
    capacity_cameras    integer NOT NULL,
    started_at          timestamptz NOT NULL DEFAULT now(),
    heartbeat_at        timestamptz NOT NULL DEFAULT now(),
    stopping            boolean NOT NULL DEFAULT false
);

-- The single leader lease.
CREATE TABLE job_leader (
    id                  integer PRIMARY KEY CHECK (id = 1),
    holder              text,
    lease_until         timestamptz NOT NULL,
    epoch               bigint NOT NULL
);
INSERT INTO job_leader (id, holder, lease_until, epoch) VALUES (1, NULL, '-infinity', 0);

-- Schedules from job files with `schedule:`, and the last fire time each has handled.
CREATE TABLE job_schedules (
    name                text PRIMARY KEY,
    cron                text NOT NULL,
    time_zone           text NOT NULL,
    missed              text NOT NULL CHECK (missed IN ('skip', 'catch_up')),
    last_fire           timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Recordings a `new_only` job has processed: a file is processed once; a replaced file (other size,
-- modification time or content) again.
CREATE TABLE processed_inputs (
    job_name            text NOT NULL,
    path                text NOT NULL,
    size                bigint NOT NULL,
    modified_at         timestamptz NOT NULL,
    content_hash        text NOT NULL,
    job_id              bigint,
    processed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_name, path, size, modified_at, content_hash)
);

-- The run a job's lease writes: the fence its sink's commits check.
ALTER TABLE runs ADD COLUMN job_id bigint;
