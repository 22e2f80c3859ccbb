-- persons_stage (category, stage) served no query: counts scan the live
-- people with their partner anyway, and stage lookups do not lead with
-- category. It cost one index insert per person on every import.
DROP INDEX IF EXISTS persons_stage;
