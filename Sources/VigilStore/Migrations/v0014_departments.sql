-- Facility activity (issue #14, part 4): staff belong to departments of their tenant; the dashboard's
-- statistics are computed from users, sessions, activity_logs, events and runs.
CREATE TABLE departments (
    id          serial PRIMARY KEY,
    tenant_id   integer NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX departments_name ON departments (tenant_id, lower(name));

ALTER TABLE users ADD COLUMN department_id integer REFERENCES departments (id) ON DELETE SET NULL;
CREATE INDEX users_department ON users (department_id) WHERE department_id IS NOT NULL;

-- Response times: the alerts a user acknowledged.
CREATE INDEX events_acknowledged_by ON events (acknowledged_by, acknowledged_at) WHERE acknowledged_by IS NOT NULL;
