-- Departures of the last 24 hours (Status's throughput and backlog) from
-- an index of departures alone: through events_type_at every stage change
-- of the day was read from the table to find the departures. The
-- statement writes to_stage as a literal so that the partial index
-- serves it, and leads with two equalities so the planner prefers it.
CREATE INDEX events_departed ON events(type, to_stage, at, partner) WHERE to_stage = 'departed';
