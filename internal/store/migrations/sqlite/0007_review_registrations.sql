-- The registrations whose comparison put a pair in the review queue: a
-- reviewer's decision is then a labelled pair of records, which the
-- linkage engine learns m from (people merge; registrations do not).
-- NULL for pairs queued before this migration and for undone merges.
ALTER TABLE review_pairs ADD COLUMN reg_a INTEGER;
ALTER TABLE review_pairs ADD COLUMN reg_b INTEGER;
