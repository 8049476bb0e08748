-- Footage semantics for batch work (issue #12, part 6): recorded time per source.

-- Per source, the wall-clock time of media time 0 when the job declared one (the recorded time of a file,
-- a declared start): {"plaza": "2024-01-01T10:30:05+00:00"}. Sources not in it use `time_origin`.
ALTER TABLE runs ADD COLUMN time_origins jsonb NOT NULL DEFAULT '{}';
