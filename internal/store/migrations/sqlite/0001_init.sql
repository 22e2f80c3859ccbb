-- muster schema, SQLite. Personal data lives only in the *sealed* columns
-- (XChaCha20-Poly1305 under the data key) and as keyed blind indexes; ids,
-- categories, stages and partner names are clear so that counts need no key.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE keyring (
	id      INTEGER PRIMARY KEY,
	purpose TEXT NOT NULL UNIQUE,
	wrapped BLOB NOT NULL,
	created INTEGER NOT NULL
);

CREATE TABLE cases (
	id           INTEGER PRIMARY KEY,
	partner      TEXT NOT NULL,
	category     TEXT NOT NULL DEFAULT '',
	priority     INTEGER NOT NULL DEFAULT 0,
	principal_id INTEGER,
	merged_into  INTEGER,
	created      INTEGER NOT NULL,
	updated      INTEGER NOT NULL
);

CREATE TABLE case_sources (
	case_id  INTEGER NOT NULL REFERENCES cases(id),
	source   TEXT NOT NULL,
	case_ref TEXT NOT NULL,
	PRIMARY KEY (source, case_ref)
) WITHOUT ROWID;
CREATE INDEX case_sources_case ON case_sources(case_id);

CREATE TABLE persons (
	id          INTEGER PRIMARY KEY,
	case_id     INTEGER NOT NULL REFERENCES cases(id),
	partner     TEXT NOT NULL,
	category    TEXT NOT NULL DEFAULT '',
	stage       TEXT NOT NULL,
	flags       TEXT NOT NULL DEFAULT '',
	merged_into INTEGER,
	sealed      BLOB NOT NULL,
	created     INTEGER NOT NULL,
	updated     INTEGER NOT NULL
);
CREATE INDEX persons_case ON persons(case_id);
CREATE INDEX persons_stage ON persons(category, stage);

CREATE TABLE registrations (
	id        INTEGER PRIMARY KEY,
	source    TEXT NOT NULL,
	source_id TEXT NOT NULL,
	person_id INTEGER NOT NULL REFERENCES persons(id),
	version   INTEGER NOT NULL,
	digest    BLOB NOT NULL,
	imported  INTEGER NOT NULL,
	UNIQUE (source, source_id)
);
CREATE INDEX registrations_person ON registrations(person_id);

CREATE TABLE registration_versions (
	registration_id INTEGER NOT NULL REFERENCES registrations(id),
	version         INTEGER NOT NULL,
	sealed          BLOB NOT NULL,
	imported        INTEGER NOT NULL,
	PRIMARY KEY (registration_id, version)
) WITHOUT ROWID;

CREATE TABLE blind (
	kind      TEXT NOT NULL,
	hash      BLOB NOT NULL,
	person_id INTEGER NOT NULL REFERENCES persons(id),
	PRIMARY KEY (kind, hash, person_id)
) WITHOUT ROWID;
CREATE INDEX blind_person ON blind(person_id);

CREATE TABLE chain (
	id   INTEGER PRIMARY KEY,
	seq  INTEGER NOT NULL,
	hash BLOB NOT NULL
);

CREATE TABLE events (
	seq        INTEGER PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	at         INTEGER NOT NULL,
	actor      TEXT NOT NULL,
	type       TEXT NOT NULL,
	person_id  INTEGER,
	case_id    INTEGER,
	partner    TEXT NOT NULL DEFAULT '',
	from_stage TEXT NOT NULL DEFAULT '',
	to_stage   TEXT NOT NULL DEFAULT '',
	category   TEXT NOT NULL DEFAULT '',
	sealed     BLOB,
	hash       BLOB NOT NULL
);
CREATE INDEX events_person ON events(person_id);
CREATE INDEX events_type_at ON events(type, at);

CREATE TABLE users (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	role         TEXT NOT NULL,
	partner      TEXT NOT NULL DEFAULT '',
	gate         TEXT NOT NULL DEFAULT '',
	pw_hash      TEXT NOT NULL,
	totp_sealed  BLOB,
	failed       INTEGER NOT NULL DEFAULT 0,
	locked_until INTEGER NOT NULL DEFAULT 0,
	disabled     INTEGER NOT NULL DEFAULT 0,
	created      INTEGER NOT NULL
);

CREATE TABLE sessions (
	token_hash BLOB PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users(id),
	csrf       TEXT NOT NULL,
	created    INTEGER NOT NULL,
	expires    INTEGER NOT NULL,
	revoked    INTEGER NOT NULL DEFAULT 0
);
