-- The operations API (issue #13): camera geometry and topology, ids for events and aggregate rows (keyset
-- pagination and acknowledgement need a stable key), and the indexes the API's queries use.
-- (v0006 is another change's number.)

-- Zones and lines of a camera, as the `alert` stage declares them: {"walkway": {"polygon": [[x, y], ...],
-- "space": "pixels" | "map", ...}}; lines {"door": {"points": [[x, y], [x, y]], ...}}. Checked by the
-- alert stage's own reader before they are stored.
ALTER TABLE cameras
    ADD COLUMN zones jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN lines jsonb NOT NULL DEFAULT '{}';
CREATE INDEX cameras_environment ON cameras (environment_id) WHERE environment_id IS NOT NULL;

-- The `reidentify` topology: a person leaving `camera_id` may appear on `to_camera_id` after a transit
-- between the two times (0 for overlapping views).
CREATE TABLE camera_links (
    camera_id           integer NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    to_camera_id        integer NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    min_transit_seconds double precision NOT NULL DEFAULT 0 CHECK (min_transit_seconds >= 0),
    max_transit_seconds double precision NOT NULL,
    PRIMARY KEY (camera_id, to_camera_id),
    CHECK (camera_id <> to_camera_id),
    CHECK (max_transit_seconds >= min_transit_seconds)
);
CREATE INDEX camera_links_to ON camera_links (to_camera_id);

-- Partitioned tables cannot have identity columns before PostgreSQL 17: a sequence default instead. The
-- sink's COPY names its columns, so it leaves `id` to the default.
CREATE SEQUENCE events_id_seq AS bigint;
ALTER TABLE events
    ADD COLUMN id bigint NOT NULL DEFAULT nextval('events_id_seq'),
    ADD COLUMN acknowledged_at timestamptz,
    ADD COLUMN acknowledged_by uuid;
ALTER SEQUENCE events_id_seq OWNED BY events.id;
CREATE SEQUENCE aggregates_id_seq AS bigint;
ALTER TABLE aggregates ADD COLUMN id bigint NOT NULL DEFAULT nextval('aggregates_id_seq');
ALTER SEQUENCE aggregates_id_seq OWNED BY aggregates.id;

-- Keyset pages, newest first: (time, id) walked backwards. By id: acknowledgement and GET /events/{id}.
CREATE INDEX events_time_id ON events (time, id);
CREATE INDEX events_id ON events (id);
CREATE INDEX events_global_time ON events (global_id, time) WHERE global_id IS NOT NULL;
CREATE INDEX aggregates_time_id ON aggregates (time, id);
-- A person's trajectory across cameras.
CREATE INDEX track_points_global_time ON track_points (global_id, time) WHERE global_id IS NOT NULL;
-- Tracks and identities, newest first, and by global id.
CREATE INDEX tracks_first_seen ON tracks (first_seen, run_id, camera_id, track_id);
CREATE INDEX tracks_global ON tracks (run_id, global_id) WHERE global_id IS NOT NULL;
CREATE INDEX identities_first_seen ON identities (first_seen, run_id, global_id);
CREATE INDEX identities_cameras ON identities USING gin (cameras);
