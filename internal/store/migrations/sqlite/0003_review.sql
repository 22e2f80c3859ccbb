-- Record linkage's review queue: pairs of people the engine could not
-- decide on, and the reviewers' decisions, which become must-link (a
-- merge) or cannot-link constraints.
CREATE TABLE review_pairs (
	id       INTEGER PRIMARY KEY,
	person_a INTEGER NOT NULL,
	person_b INTEGER NOT NULL,
	score    REAL NOT NULL,
	state    TEXT NOT NULL,
	sealed   BLOB NOT NULL,
	created  INTEGER NOT NULL,
	updated  INTEGER NOT NULL,
	UNIQUE (person_a, person_b)
);
CREATE INDEX review_pairs_state ON review_pairs(state);
