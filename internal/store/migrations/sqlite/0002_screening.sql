-- Watchlists, versioned, and screening hits with their decisions. List
-- entries are public and kept in clear; a hit's explanation quotes the
-- person's name and is sealed.
CREATE TABLE list_versions (
	id      INTEGER PRIMARY KEY,
	list    TEXT NOT NULL,
	source  TEXT NOT NULL,
	loaded  INTEGER NOT NULL,
	entries INTEGER NOT NULL,
	added   INTEGER NOT NULL,
	changed INTEGER NOT NULL,
	removed INTEGER NOT NULL
);

CREATE TABLE list_entries (
	list       TEXT NOT NULL,
	entry_id   TEXT NOT NULL,
	version_id INTEGER NOT NULL,
	digest     BLOB NOT NULL,
	body       TEXT NOT NULL,
	removed    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (list, entry_id)
);

CREATE TABLE hits (
	id            INTEGER PRIMARY KEY,
	person_id     INTEGER NOT NULL,
	list          TEXT NOT NULL,
	entry_id      TEXT NOT NULL,
	score         REAL NOT NULL,
	state         TEXT NOT NULL,
	person_digest BLOB NOT NULL,
	entry_digest  BLOB NOT NULL,
	sealed        BLOB NOT NULL,
	created       INTEGER NOT NULL,
	updated       INTEGER NOT NULL,
	UNIQUE (person_id, list, entry_id)
);
CREATE INDEX hits_state ON hits(state);
CREATE INDEX hits_entry ON hits(list, entry_id);

CREATE TABLE screened (
	person_id     INTEGER PRIMARY KEY,
	person_digest BLOB NOT NULL,
	at            INTEGER NOT NULL
);
