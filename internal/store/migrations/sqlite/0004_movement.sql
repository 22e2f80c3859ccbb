-- Movement control (issue 5): pass keys, gates and their windows, call-forward
-- assignments, revocations, gate check-ins, flights, seats and arrivals.
-- Times are unix microseconds; pass ids are the pass's 64-bit id stored as a
-- signed BIGINT (the same bits).

-- The operation's pass signing key and document key, each sealed under the
-- data key; public is the Ed25519 public key (not secret).
CREATE TABLE move_keys (
	purpose TEXT PRIMARY KEY,
	key_id  INTEGER NOT NULL DEFAULT 0,
	public  BLOB,
	sealed  BLOB NOT NULL,
	created INTEGER NOT NULL
);

CREATE TABLE gates (
	name      TEXT PRIMARY KEY,
	open_min  INTEGER NOT NULL,
	close_min INTEGER NOT NULL,
	window_s  INTEGER NOT NULL,
	capacity  INTEGER NOT NULL,
	closed    INTEGER NOT NULL DEFAULT 0,
	created   INTEGER NOT NULL,
	updated   INTEGER NOT NULL
);

-- One row per window that has bookings; booked is kept by the statements
-- that book (UPDATE ... WHERE booked + n <= capacity) so two planners
-- cannot overbook.
CREATE TABLE gate_slots (
	gate     TEXT NOT NULL,
	start_at INTEGER NOT NULL,
	end_at   INTEGER NOT NULL,
	capacity INTEGER NOT NULL,
	booked   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (gate, start_at)
);

-- The case's current call-forward; state called | checked_in.
CREATE TABLE callforward (
	case_id  INTEGER PRIMARY KEY,
	gate     TEXT NOT NULL,
	start_at INTEGER NOT NULL,
	end_at   INTEGER NOT NULL,
	people   INTEGER NOT NULL,
	pass_id  INTEGER NOT NULL UNIQUE,
	token    BLOB NOT NULL,
	state    TEXT NOT NULL,
	no_shows INTEGER NOT NULL DEFAULT 0,
	created  INTEGER NOT NULL,
	updated  INTEGER NOT NULL
);
CREATE INDEX callforward_gate ON callforward(gate, state);

-- The people a pass admits, in pass order, with their document hash (an
-- HMAC under the document key, as in the pass) and the gate's sealed
-- minimal summary of them (initials, sex, birth year, relationship).
CREATE TABLE pass_people (
	pass_id   INTEGER NOT NULL,
	idx       INTEGER NOT NULL,
	person_id INTEGER NOT NULL,
	doc_hash  BLOB NOT NULL,
	summary   BLOB,
	PRIMARY KEY (pass_id, idx)
);
CREATE INDEX pass_people_person ON pass_people(person_id);

CREATE TABLE revocations (
	pass_id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL,
	gate    TEXT NOT NULL,
	reason  TEXT NOT NULL,
	at      INTEGER NOT NULL
);
CREATE INDEX revocations_gate ON revocations(gate);

CREATE TABLE gate_tokens (
	hash    BLOB PRIMARY KEY,
	gate    TEXT NOT NULL,
	created INTEGER NOT NULL,
	revoked INTEGER NOT NULL DEFAULT 0
);

-- Every admission a gate reports, once per gate-minted event id; a second
-- admission of the same person (another gate, another pass) is kept and
-- marked duplicate.
CREATE TABLE checkins (
	event_id  TEXT PRIMARY KEY,
	gate      TEXT NOT NULL,
	person_id INTEGER NOT NULL,
	case_id   INTEGER NOT NULL,
	pass_id   INTEGER NOT NULL,
	method    TEXT NOT NULL,
	at        INTEGER NOT NULL,
	received  INTEGER NOT NULL,
	duplicate INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX checkins_person ON checkins(person_id);

CREATE TABLE flights (
	id          TEXT PRIMARY KEY,
	capacity    INTEGER NOT NULL,
	booked      INTEGER NOT NULL DEFAULT 0,
	departs     INTEGER NOT NULL,
	destination TEXT NOT NULL,
	state       TEXT NOT NULL DEFAULT 'open',
	created     INTEGER NOT NULL,
	updated     INTEGER NOT NULL
);

-- A person holds at most one seat.
CREATE TABLE manifest_seats (
	person_id     INTEGER PRIMARY KEY,
	flight_id     TEXT NOT NULL,
	case_id       INTEGER NOT NULL,
	minor         INTEGER NOT NULL DEFAULT 0,
	unaccompanied INTEGER NOT NULL DEFAULT 0,
	boarded       INTEGER NOT NULL DEFAULT 0,
	boarded_at    INTEGER NOT NULL DEFAULT 0,
	created       INTEGER NOT NULL
);
CREATE INDEX manifest_seats_flight ON manifest_seats(flight_id);

-- Arrival reconciliation: one row per manifested person (arrived or
-- missing) and per extra line of the destination's list (person_id NULL,
-- what the line said sealed).
CREATE TABLE arrivals (
	id        INTEGER PRIMARY KEY,
	flight_id TEXT NOT NULL,
	person_id INTEGER,
	status    TEXT NOT NULL,
	sealed    BLOB,
	at        INTEGER NOT NULL
);
CREATE INDEX arrivals_flight ON arrivals(flight_id);
