-- The live people's counts by category and stage (Status, the dashboard)
-- read this index alone: the table's rows carry each person's sealed
-- record, and under writes SQLite re-reads the pages of every query from
-- the file, so a scan of the table cost ~80 ms cold at 13,000 people
-- where the index costs a few. merged_into is in the columns so that the
-- index covers the query's filter. id leads so that an import appends to
-- the index's end: led by (category, stage, partner) the index cost a
-- 100k import 0.8 s of 9.5 (new entries landed mid-tree, splitting
-- pages), for a grouping a sort of the index does in a few ms.
CREATE INDEX persons_live ON persons(id, category, stage, partner, merged_into) WHERE merged_into IS NULL;
