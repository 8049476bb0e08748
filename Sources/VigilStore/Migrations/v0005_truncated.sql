-- Footage semantics for batch work (issue #12, part 6): truncated runs, recorded time per source.

-- A recorded input cut short (a dashcam's power loss), processed up to its end: the run is 'truncated'
-- (not failed); its `error` names the source and the frames reached ("plaza: truncated after 57 frames").
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('running', 'completed', 'truncated', 'failed', 'interrupted'));

-- Per source, the wall-clock time of media time 0 when the job declared one (the recorded time of a file,
-- a declared start): {"plaza": "2024-01-01T10:30:05+00:00"}. Sources not in it use `time_origin`.
ALTER TABLE runs ADD COLUMN time_origins jsonb NOT NULL DEFAULT '{}';
