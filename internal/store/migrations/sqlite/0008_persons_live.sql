-- The live people's counts by category and stage (Status, the dashboard)
-- read this index alone: the table's rows carry each person's sealed
-- record, and under writes SQLite re-reads the pages of every query from
-- the file, so a scan of the table cost ~80 ms cold at 13,000 people
-- where the index costs ~2 ms. merged_into is in the columns so that the
-- index covers the query's filter.
CREATE INDEX persons_live ON persons(category, stage, partner, merged_into) WHERE merged_into IS NULL;
