-- Each camera's latest frame (issue #13, part 5), written by the `preview` sink at a capped rate: JPEG as the
-- camera saw it and with the tracks drawn. UNLOGGED: a preview is worth nothing after a crash, and
-- rewriting it a few times a second should not go through the write-ahead log.
CREATE UNLOGGED TABLE camera_frames (
    camera_id   integer PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
    run_id      bigint,
    time        timestamptz NOT NULL,
    media_time  double precision NOT NULL,
    frame_index bigint NOT NULL,
    width       integer NOT NULL,
    height      integer NOT NULL,
    raw         bytea NOT NULL,
    annotated   bytea NOT NULL
);
