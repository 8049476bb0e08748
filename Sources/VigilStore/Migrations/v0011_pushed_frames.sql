-- Frames pushed by clients (issue #13, part 8): `POST /api/v1/ingest/{camera}` and the WebSocket's `frame`
-- messages store each JPEG here with `NOTIFY vigil_pushed_frames` (payload: the camera id); the `push`
-- source of the worker running the camera's task reads them in order. Any server takes frames for any
-- worker, with no new infrastructure. UNLOGGED and short: a camera keeps the last seconds only (the
-- server deletes older frames as it inserts), so a source that fell behind skips to the present.
CREATE UNLOGGED TABLE pushed_frames (
    camera_id   integer NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    seq         bigserial,
    received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- When the client says it took the frame (optional); the source's clock otherwise.
    captured_at timestamptz,
    jpeg        bytea NOT NULL,
    PRIMARY KEY (camera_id, seq)
);
