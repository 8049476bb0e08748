-- A resume costs what is left (issue #12, part 6): the state of the stages that keep some (trackers,
-- re-identifiers), as of checkpoint marks, committed in the same transaction as the frame that carried it.
-- A resumed run seeks to the latest mark every such stage has a state for, instead of replaying its inputs.
CREATE TABLE run_snapshots (
    run_id      bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    -- Media time (seconds) of the mark: the state holds every frame before it.
    mark        double precision NOT NULL,
    stage       text NOT NULL,
    state       bytea NOT NULL,
    PRIMARY KEY (run_id, mark, stage)
);
