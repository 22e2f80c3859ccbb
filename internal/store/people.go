package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"muster"
)

// Scope limits what a caller sees: a partner user sees only what their
// organisation submitted. The zero Scope sees everything.
type Scope struct {
	Partner string
}

// ImportResult counts what an import did.
type ImportResult struct {
	Rows      int `json:"rows"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Cases     int `json:"cases_created"`
	// People lists the people created or updated, for the engines that
	// follow intake (resolution, screening).
	People []int64 `json:"-"`
}

// sealedPerson is what the persons.sealed column holds.
type sealedPerson struct {
	Given         string            `json:"g,omitempty"`
	Family        string            `json:"f,omitempty"`
	Father        string            `json:"fa,omitempty"`
	FullName      string            `json:"fn,omitempty"`
	NativeName    string            `json:"nn,omitempty"`
	Relationship  string            `json:"r,omitempty"`
	Sex           muster.Sex        `json:"s,omitempty"`
	DOB           muster.Date       `json:"dob"`
	PlaceOfBirth  string            `json:"pob,omitempty"`
	Nationalities []string          `json:"nat,omitempty"`
	Documents     []muster.Document `json:"docs,omitempty"`
	Phones        []string          `json:"ph,omitempty"`
	Emails        []string          `json:"em,omitempty"`
	Needs         []string          `json:"nd,omitempty"`
	Flags         []muster.Flag     `json:"fl,omitempty"`
}

// personFromRecords derives a person's fields from its registrations,
// newest first: each single field from the newest registration that has it,
// list fields as the union of all.
func personFromRecords(recs []muster.Record) sealedPerson {
	var p sealedPerson
	first := func(dst *string, v string) {
		if *dst == "" {
			*dst = strings.TrimSpace(v)
		}
	}
	seen := map[string]bool{}
	union := func(dst *[]string, vs []string, kind string) {
		for _, v := range vs {
			if v != "" && !seen[kind+v] {
				seen[kind+v] = true
				*dst = append(*dst, v)
			}
		}
	}
	for _, r := range recs {
		first(&p.Given, r.Given)
		first(&p.Family, r.Family)
		first(&p.Father, r.Father)
		first(&p.FullName, r.FullName)
		first(&p.NativeName, r.NativeName)
		first(&p.Relationship, r.Relationship)
		first(&p.PlaceOfBirth, r.PlaceOfBirth)
		if p.Sex == "" {
			p.Sex = r.Sex
		}
		if r.DOB.Precision > p.DOB.Precision || (p.DOB.Precision == 0 && p.DOB.Written == "") {
			p.DOB = r.DOB
		}
		union(&p.Nationalities, r.Nationalities, "n")
		union(&p.Phones, r.Phones, "p")
		union(&p.Emails, r.Emails, "e")
		union(&p.Needs, r.Needs, "nd")
		for _, d := range r.Documents() {
			if !seen["d"+d.Type+d.Number] {
				seen["d"+d.Type+d.Number] = true
				p.Documents = append(p.Documents, d)
			}
		}
		for _, f := range r.Flags {
			k := "f" + f.Field + f.Code
			if !seen[k] {
				seen[k] = true
				p.Flags = append(p.Flags, f)
			}
		}
	}
	return p
}

func flagCodes(fs []muster.Flag) string {
	var codes []string
	seen := map[string]bool{}
	for _, f := range fs {
		if !seen[f.Code] {
			seen[f.Code] = true
			codes = append(codes, f.Code)
		}
	}
	sort.Strings(codes)
	return strings.Join(codes, ",")
}

// NormDoc normalises a document number for matching: upper-case letters and
// digits only.
func NormDoc(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// nameTokens splits a name into lower-case letter runs for the blind index.
func nameTokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// blindKeys lists the (kind, normalised value) pairs a person can be found by.
func blindKeys(p *sealedPerson) [][2]string {
	var out [][2]string
	seen := map[[2]string]bool{}
	add := func(kind, v string) {
		k := [2]string{kind, v}
		if v != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	// A person is found by their own names; the father's name is shown to
	// tell people apart, not searched.
	for _, n := range []string{p.Given, p.Family, p.FullName, p.NativeName} {
		for _, t := range nameTokens(n) {
			add("name", t)
		}
	}
	for _, d := range p.Documents {
		add("doc", NormDoc(d.Number))
	}
	for _, ph := range p.Phones {
		add("phone", ph)
	}
	for _, e := range p.Emails {
		add("email", strings.ToLower(strings.TrimSpace(e)))
	}
	return out
}

// Import writes records in one transaction: all of them or, on any error,
// none. A record whose source and source id are known updates that
// registration (a new immutable version and an event) unless nothing
// changed; others create a person, joining the case their source's case
// reference names or opening a new one.
func (s *Store) Import(ctx context.Context, actor string, recs []muster.Record, progress func(done int)) (ImportResult, error) {
	res := ImportResult{Rows: len(recs)}
	// The CPU work is prepared a chunk ahead on the other core while the
	// transaction writes the chunk before; memory holds two chunks at most.
	const chunk = 4096
	type batch struct {
		start int
		preps []prepared
	}
	batches := make(chan batch, 1)
	pctx, stopPrep := context.WithCancel(ctx)
	defer stopPrep()
	go func() {
		defer close(batches)
		for start := 0; start < len(recs); start += chunk {
			b := batch{start, s.prepareAll(recs[start:min(start+chunk, len(recs))])}
			select {
			case batches <- b:
			case <-pctx.Done():
				return
			}
		}
	}()
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		im, err := s.newImporter(ctx, tx, actor, now)
		if err != nil {
			return err
		}
		defer im.close()
		if err := im.prefetch(recs); err != nil {
			return err
		}
		for b := range batches {
			for j := range b.preps {
				i := b.start + j
				if err := im.one(&recs[i], &b.preps[j], &res); err != nil {
					return fmt.Errorf("record %s/%s (line %d): %w", recs[i].Source, recs[i].SourceID, recs[i].Line, err)
				}
			}
			if progress != nil {
				progress(b.start + len(b.preps))
			}
		}
		if err := im.flushBlind(); err != nil {
			return err
		}
		if s.dialect == Postgres {
			// Keep the identity sequences past the ids numbered here.
			for _, t := range []string{"cases", "persons", "registrations"} {
				if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT COALESCE(MAX(id), 1) FROM `+t+`))`); err != nil {
					return err
				}
			}
		}
		if progress != nil {
			progress(len(recs))
		}
		return nil
	})
	if err != nil {
		return ImportResult{Rows: len(recs)}, err
	}
	return res, nil
}

type importer struct {
	s     *Store
	ctx   context.Context
	tx    *sql.Tx
	actor string
	now   int64
	stmts map[string]*sql.Stmt
	// blinds waits for flushBlind.
	blinds []blindRow
	// What the database already knows of the import's sources, read once
	// instead of once a row.
	regs    map[string]knownReg // source \x00 source_id
	cases   map[string]int64    // source \x00 case_ref -> case id
	caseCat map[int64]string    // case id -> category
	// The highest ids in use: the importer numbers new rows itself (cheaper
	// than RETURNING), safe because it holds the write lock (SQLite) or the
	// audit chain's row lock (PostgreSQL), which every writer of these
	// tables takes first.
	lastCase, lastPerson, lastReg int64
}

type knownReg struct {
	id, personID int64
	version      int
	digest       []byte
}

// prefetch reads the registrations and cases of the sources in recs.
func (im *importer) prefetch(recs []muster.Record) error {
	im.regs, im.cases, im.caseCat = map[string]knownReg{}, map[string]int64{}, map[int64]string{}
	if _, err := im.s.chainFor(im.ctx, im.tx); err != nil {
		return err
	}
	for _, q := range []struct {
		dst   *int64
		table string
	}{{&im.lastCase, "cases"}, {&im.lastPerson, "persons"}, {&im.lastReg, "registrations"}} {
		if err := im.tx.QueryRowContext(im.ctx, `SELECT COALESCE(MAX(id), 0) FROM `+q.table).Scan(q.dst); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for i := range recs {
		src := recs[i].Source
		if seen[src] {
			continue
		}
		seen[src] = true
		rows, err := im.tx.QueryContext(im.ctx, `SELECT source_id, id, person_id, version, digest FROM registrations WHERE source = $1`, src)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sid string
			var k knownReg
			if err := rows.Scan(&sid, &k.id, &k.personID, &k.version, &k.digest); err != nil {
				rows.Close()
				return err
			}
			im.regs[src+"\x00"+sid] = k
		}
		rows.Close()
		rows, err = im.tx.QueryContext(im.ctx, `SELECT cs.case_ref, c.id, c.category FROM case_sources cs JOIN cases c ON c.id = cs.case_id WHERE cs.source = $1`, src)
		if err != nil {
			return err
		}
		for rows.Next() {
			var ref, cat string
			var id int64
			if err := rows.Scan(&ref, &id, &cat); err != nil {
				rows.Close()
				return err
			}
			im.cases[src+"\x00"+ref] = id
			im.caseCat[id] = cat
		}
		rows.Close()
	}
	return nil
}

var importSQL = map[string]string{
	"newCase":      `INSERT INTO cases (id, partner, category, priority, created, updated) VALUES ($1, $2, $3, 0, $4, $4)`,
	"caseSource":   `INSERT INTO case_sources (case_id, source, case_ref) VALUES ($1, $2, $3)`,
	"setPrincipal": `UPDATE cases SET principal_id = $1, category = $2, updated = $3 WHERE id = $4`,
	"newPerson":    `INSERT INTO persons (id, case_id, partner, category, stage, flags, sealed, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
	"newReg":       `INSERT INTO registrations (id, source, source_id, person_id, version, digest, imported) VALUES ($1, $2, $3, $4, 1, $5, $6)`,
	"newVersion":   `INSERT INTO registration_versions (registration_id, version, sealed, imported) VALUES ($1, $2, $3, $4)`,
	"bumpReg":      `UPDATE registrations SET version = $1, digest = $2, imported = $3 WHERE id = $4`,
	"updPerson":    `UPDATE persons SET category = $1, flags = $2, sealed = $3, updated = $4 WHERE id = $5`,
	"personCase":   `SELECT case_id, partner FROM persons WHERE id = $1`,
	"inheritCat":   `UPDATE persons SET category = $1, updated = $2 WHERE case_id = $3 AND category = ''`,
}

func (s *Store) newImporter(ctx context.Context, tx *sql.Tx, actor string, now time.Time) (*importer, error) {
	im := &importer{s: s, ctx: ctx, tx: tx, actor: actor, now: now.UnixMicro(), stmts: map[string]*sql.Stmt{}}
	for k, q := range importSQL {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			im.close()
			return nil, fmt.Errorf("prepare %s: %w", k, err)
		}
		im.stmts[k] = st
	}
	return im, nil
}

func (im *importer) close() {
	for _, st := range im.stmts {
		st.Close()
	}
}

func (im *importer) exec(name string, args ...any) error {
	_, err := im.stmts[name].ExecContext(im.ctx, args...)
	return err
}

// prepared is the CPU work one record needs (encoding, sealing, keyed
// hashes), done on every core before the write transaction begins so that
// the transaction only writes.
type prepared struct {
	sealedReg, digest []byte
	person            sealedPerson
	sealedPerson      []byte
	flags             string
	blinds            []blindRow // personID set when the person is created
	err               error
}

func (s *Store) prepareAll(recs []muster.Record) []prepared {
	out := make([]prepared, len(recs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(recs) {
					return
				}
				out[i] = s.prepareOne(&recs[i])
			}
		})
	}
	wg.Wait()
	return out
}

func (s *Store) prepareOne(r *muster.Record) (pr prepared) {
	if r.Source == "" || r.SourceID == "" {
		pr.err = muster.Errorf(muster.EINVALID, "a registration needs a source and a source id")
		return pr
	}
	body, err := json.Marshal(r)
	if err != nil {
		pr.err = err
		return pr
	}
	// The digest ignores the line number, so the same row moved in the file
	// is recognised as unchanged.
	c := *r
	c.Line = 0
	canon, _ := json.Marshal(&c)
	pr.digest = s.vault.Blind("registration", string(canon))
	if pr.sealedReg, pr.err = s.vault.Seal(body, "registration"); pr.err != nil {
		return pr
	}
	pr.person = personFromRecords([]muster.Record{*r})
	pbody, err := json.Marshal(&pr.person)
	if err != nil {
		pr.err = err
		return pr
	}
	if pr.sealedPerson, pr.err = s.vault.Seal(pbody, "person"); pr.err != nil {
		return pr
	}
	pr.flags = flagCodes(pr.person.Flags)
	for _, k := range blindKeys(&pr.person) {
		pr.blinds = append(pr.blinds, blindRow{kind: k[0], hash: s.vault.Blind(k[0], k[1])})
	}
	return pr
}

func (im *importer) one(r *muster.Record, pr *prepared, res *ImportResult) error {
	if pr.err != nil {
		return pr.err
	}
	sealed, digest := pr.sealedReg, pr.digest

	var regID, personID int64
	var version int
	var oldDigest []byte
	k, known := im.regs[r.Source+"\x00"+r.SourceID]
	regID, personID, version, oldDigest = k.id, k.personID, k.version, k.digest
	switch {
	case !known:
		return im.create(r, pr, res)
	case string(oldDigest) == string(digest):
		res.Unchanged++
		return nil
	}
	version++
	if err := im.exec("newVersion", regID, version, sealed, im.now); err != nil {
		return err
	}
	if err := im.exec("bumpReg", version, digest, im.now, regID); err != nil {
		return err
	}
	im.regs[r.Source+"\x00"+r.SourceID] = knownReg{id: regID, personID: personID, version: version, digest: digest}
	var caseID int64
	var partner string
	if err := im.stmts["personCase"].QueryRowContext(im.ctx, personID).Scan(&caseID, &partner); err != nil {
		return err
	}
	recs, err := im.s.personRecords(im.ctx, im.tx, personID)
	if err != nil {
		return err
	}
	p := personFromRecords(recs)
	if err := im.writePerson(personID, &p, categoryOf(recs)); err != nil {
		return err
	}
	res.Updated++
	res.People = append(res.People, personID)
	return im.s.appendEventPartner(im.ctx, im.tx, &muster.Event{Actor: im.actor, Type: muster.EventUpdated, PersonID: personID, CaseID: caseID,
		At: time.UnixMicro(im.now), Data: jsonRaw(map[string]any{"registration": regID, "version": version, "source": r.Source})}, partner, categoryOf(recs))
}

func categoryOf(recs []muster.Record) muster.Category {
	for _, r := range recs {
		if r.Category != "" {
			return r.Category
		}
	}
	return ""
}

func (im *importer) writePerson(personID int64, p *sealedPerson, cat muster.Category) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	sealed, err := im.s.vault.Seal(body, "person")
	if err != nil {
		return err
	}
	// The old blind rows are found from the old sealed fields, so they go
	// before the update.
	if err := im.s.unblindPerson(im.ctx, im.tx, personID); err != nil {
		return err
	}
	if err := im.exec("updPerson", string(cat), flagCodes(p.Flags), sealed, im.now, personID); err != nil {
		return err
	}
	return im.s.blindPerson(im.ctx, im.tx, personID, p)
}

// unblindPerson deletes a person's blind index rows. The table has no index
// by person (it would double the cost of every import), so the rows are
// found by their keys, derived from the person's sealed fields as stored:
// call it before those change.
func (s *Store) unblindPerson(ctx context.Context, tx *sql.Tx, id int64) error {
	var sealed []byte
	if err := tx.QueryRowContext(ctx, `SELECT sealed FROM persons WHERE id = $1`, id).Scan(&sealed); err != nil {
		return err
	}
	body, err := s.vault.Open(sealed, "person")
	if err != nil {
		return fmt.Errorf("person %d: %w", id, err)
	}
	var p sealedPerson
	if err := json.Unmarshal(body, &p); err != nil {
		return err
	}
	for _, k := range blindKeys(&p) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM blind WHERE kind = $1 AND hash = $2 AND person_id = $3`, k[0], s.vault.Blind(k[0], k[1]), id); err != nil {
			return err
		}
	}
	return nil
}

// blindPerson writes a person's blind index rows at once.
func (s *Store) blindPerson(ctx context.Context, tx *sql.Tx, id int64, p *sealedPerson) error {
	for _, k := range blindKeys(p) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO blind (kind, hash, person_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, k[0], s.vault.Blind(k[0], k[1]), id); err != nil {
			return err
		}
	}
	return nil
}

// blindRow is one blind index entry waiting to be written.
type blindRow struct {
	kind     string
	hash     []byte
	personID int64
}

// blind queues a person's blind indexes; flushBlind writes them at the end
// of the import, sorted, so that the index B-tree is filled in key order
// instead of at a million random places.
func (im *importer) blind(personID int64, p *sealedPerson) error {
	for _, k := range blindKeys(p) {
		im.blinds = append(im.blinds, blindRow{k[0], im.s.vault.Blind(k[0], k[1]), personID})
	}
	return nil
}

// blindChunk is the rows per INSERT: more rows mean fewer statements, but the
// driver looks up each parameter's name in a list, so cost grows with
// the square of the parameters; 32 rows (96 parameters) balances the two.
const blindChunk = 32

func (im *importer) flushBlind() error {
	rows := im.blinds
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].kind != rows[j].kind {
			return rows[i].kind < rows[j].kind
		}
		if c := bytes.Compare(rows[i].hash, rows[j].hash); c != 0 {
			return c < 0
		}
		return rows[i].personID < rows[j].personID
	})
	stmt := func(n int) (*sql.Stmt, error) {
		name := fmt.Sprintf("blind%d", n)
		if st := im.stmts[name]; st != nil {
			return st, nil
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO blind (kind, hash, person_id) VALUES `)
		for i := 0; i < n; i++ {
			if i > 0 {
				q.WriteString(", ")
			}
			fmt.Fprintf(&q, "($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3)
		}
		q.WriteString(` ON CONFLICT DO NOTHING`)
		st, err := im.tx.PrepareContext(im.ctx, q.String())
		if err != nil {
			return nil, err
		}
		im.stmts[name] = st
		return st, nil
	}
	args := make([]any, 0, 3*blindChunk)
	for len(rows) > 0 {
		n := min(len(rows), blindChunk)
		st, err := stmt(n)
		if err != nil {
			return err
		}
		args = args[:0]
		for _, r := range rows[:n] {
			args = append(args, r.kind, r.hash, r.personID)
		}
		if _, err := st.ExecContext(im.ctx, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	im.blinds = nil
	return nil
}

func isPrincipal(rel string) bool {
	switch strings.ToLower(strings.TrimSpace(rel)) {
	case "principal", "self", "head", "applicant", "main applicant", "head of household":
		return true
	}
	return false
}

func (im *importer) create(r *muster.Record, pr *prepared, res *ImportResult) error {
	sealedReg, digest := pr.sealedReg, pr.digest
	var caseID int64
	newCase := false
	if r.CaseRef != "" {
		caseID = im.cases[r.Source+"\x00"+r.CaseRef]
	}
	if caseID == 0 {
		im.lastCase++
		caseID = im.lastCase
		if err := im.exec("newCase", caseID, r.Source, string(r.Category), im.now); err != nil {
			return err
		}
		ref := r.CaseRef
		if ref == "" {
			ref = "row:" + r.SourceID
		}
		if err := im.exec("caseSource", caseID, r.Source, ref); err != nil {
			return err
		}
		im.cases[r.Source+"\x00"+ref] = caseID
		im.caseCat[caseID] = string(r.Category)
		newCase = true
		res.Cases++
	}
	cat := r.Category
	if cat == "" && !newCase {
		// A member registered without a category travels in the case's.
		cat = muster.Category(im.caseCat[caseID])
	}
	im.lastPerson++
	personID := im.lastPerson
	if err := im.exec("newPerson", personID, caseID, r.Source, string(cat), string(muster.StageRegistered), pr.flags, pr.sealedPerson, im.now); err != nil {
		return err
	}
	if newCase || isPrincipal(r.Relationship) {
		if err := im.exec("setPrincipal", personID, string(cat), im.now, caseID); err != nil {
			return err
		}
		im.caseCat[caseID] = string(cat)
		if cat != "" {
			if err := im.exec("inheritCat", string(cat), im.now, caseID); err != nil {
				return err
			}
		}
	}
	im.lastReg++
	regID := im.lastReg
	if err := im.exec("newReg", regID, r.Source, r.SourceID, personID, digest, im.now); err != nil {
		return err
	}
	im.regs[r.Source+"\x00"+r.SourceID] = knownReg{id: regID, personID: personID, version: 1, digest: digest}
	if err := im.exec("newVersion", regID, 1, sealedReg, im.now); err != nil {
		return err
	}
	for _, b := range pr.blinds {
		b.personID = personID
		im.blinds = append(im.blinds, b)
	}
	res.Created++
	res.People = append(res.People, personID)
	return im.s.appendEventPartner(im.ctx, im.tx, &muster.Event{Actor: im.actor, Type: muster.EventImported, PersonID: personID, CaseID: caseID,
		At: time.UnixMicro(im.now), To: muster.StageRegistered, Data: jsonRaw(map[string]any{"registration": regID, "source": r.Source})}, r.Source, cat)
}

// personRecords returns the newest version of each registration merged into
// a person, newest first.
func (s *Store) personRecords(ctx context.Context, q querier, personID int64) ([]muster.Record, error) {
	regs, err := s.registrations(ctx, q, personID)
	if err != nil {
		return nil, err
	}
	out := make([]muster.Record, len(regs))
	for i, r := range regs {
		out[i] = r.Record
	}
	return out, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) registrations(ctx context.Context, q querier, personID int64) ([]muster.Registration, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.id, r.version, v.sealed, v.imported FROM registrations r
		JOIN registration_versions v ON v.registration_id = r.id AND v.version = r.version
		WHERE r.person_id = $1 ORDER BY v.imported DESC, r.id DESC`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []muster.Registration
	for rows.Next() {
		var reg muster.Registration
		var sealed []byte
		var imported int64
		if err := rows.Scan(&reg.ID, &reg.Version, &sealed, &imported); err != nil {
			return nil, err
		}
		body, err := s.vault.Open(sealed, "registration")
		if err != nil {
			return nil, fmt.Errorf("registration %d: %w", reg.ID, err)
		}
		if err := json.Unmarshal(body, &reg.Record); err != nil {
			return nil, err
		}
		reg.PersonID, reg.Imported = personID, time.UnixMicro(imported).UTC()
		out = append(out, reg)
	}
	return out, rows.Err()
}

// Registrations returns the registrations merged into a person, newest
// first, scoped to what the caller may see.
func (s *Store) Registrations(ctx context.Context, scope Scope, personID int64) ([]muster.Registration, error) {
	if _, err := s.person(ctx, s.db, scope, personID); err != nil {
		return nil, err
	}
	return s.registrations(ctx, s.db, personID)
}

const personCols = `id, case_id, category, stage, sealed, created, updated`

func (s *Store) scanPerson(sc interface{ Scan(...any) error }) (*muster.Person, error) {
	var p muster.Person
	var cat, stage string
	var sealed []byte
	var created, updated int64
	if err := sc.Scan(&p.ID, &p.CaseID, &cat, &stage, &sealed, &created, &updated); err != nil {
		return nil, err
	}
	body, err := s.vault.Open(sealed, "person")
	if err != nil {
		return nil, fmt.Errorf("person %d: %w", p.ID, err)
	}
	var sp sealedPerson
	if err := json.Unmarshal(body, &sp); err != nil {
		return nil, err
	}
	p.Category, p.Stage = muster.Category(cat), muster.Stage(stage)
	p.Created, p.Updated = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	p.Given, p.Family, p.Father, p.FullName, p.NativeName = sp.Given, sp.Family, sp.Father, sp.FullName, sp.NativeName
	p.Relationship, p.Sex, p.DOB, p.PlaceOfBirth = sp.Relationship, sp.Sex, sp.DOB, sp.PlaceOfBirth
	p.Nationalities, p.Documents, p.Phones, p.Emails, p.Flags, p.Needs = sp.Nationalities, sp.Documents, sp.Phones, sp.Emails, sp.Flags, sp.Needs
	return &p, nil
}

func (s *Store) person(ctx context.Context, q querier, scope Scope, id int64) (*muster.Person, error) {
	row := q.QueryRowContext(ctx, `SELECT `+personCols+` FROM persons WHERE id = $1 AND merged_into IS NULL AND ($2 = '' OR partner = $2)`, id, scope.Partner)
	p, err := s.scanPerson(row)
	if err == sql.ErrNoRows {
		return nil, muster.Errorf(muster.ENOTFOUND, "no person %d", id)
	}
	return p, err
}

// Person returns one person and records that actor read it.
func (s *Store) Person(ctx context.Context, actor string, scope Scope, id int64) (*muster.Person, error) {
	p, err := s.person(ctx, s.db, scope, id)
	if err != nil {
		return nil, err
	}
	if actor != "" {
		if err := s.AppendEvent(ctx, &muster.Event{Actor: actor, Type: muster.EventRead, PersonID: id, CaseID: p.CaseID}); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// PeopleFilter selects people.
type PeopleFilter struct {
	Scope
	CaseID   int64
	Stage    muster.Stage
	Category muster.Category
	IDs      []int64
	AfterID  int64
	Limit    int
}

// People returns live people in id order.
func (s *Store) People(ctx context.Context, f PeopleFilter) ([]*muster.Person, error) {
	if f.Limit <= 0 {
		f.Limit = 1 << 30
	}
	ids := ""
	if len(f.IDs) > 0 {
		parts := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			parts[i] = strconv.FormatInt(id, 10)
		}
		ids = " AND id IN (" + strings.Join(parts, ",") + ")"
	}
	w := &where{}
	after := w.arg(f.AfterID)
	w.eq("partner", f.Partner != "", f.Partner)
	w.eq("case_id", f.CaseID != 0, f.CaseID)
	w.eq("stage", f.Stage != "", string(f.Stage))
	w.eq("category", f.Category != "", string(f.Category))
	rows, err := s.db.QueryContext(ctx, `SELECT `+personCols+` FROM persons
		WHERE merged_into IS NULL AND id > `+after+w.String()+ids+` ORDER BY id LIMIT `+w.arg(f.Limit), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*muster.Person
	for rows.Next() {
		p, err := s.scanPerson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Case returns a case with its members and every source reference.
func (s *Store) Case(ctx context.Context, scope Scope, id int64) (*muster.Case, error) {
	var c muster.Case
	var principal sql.NullInt64
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, partner, category, priority, principal_id, created FROM cases WHERE id = $1 AND merged_into IS NULL AND ($2 = '' OR partner = $2)`, id, scope.Partner).
		Scan(&c.ID, &c.Partner, &c.Category, &c.Priority, &principal, &created)
	if err == sql.ErrNoRows {
		return nil, muster.Errorf(muster.ENOTFOUND, "no case %s", CaseRef(id))
	} else if err != nil {
		return nil, err
	}
	c.Ref, c.PrincipalID, c.Created = CaseRef(c.ID), principal.Int64, time.UnixMicro(created).UTC()
	rows, err := s.db.QueryContext(ctx, `SELECT source, case_ref FROM case_sources WHERE case_id = $1 ORDER BY source, case_ref`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var src, ref string
		if err := rows.Scan(&src, &ref); err != nil {
			rows.Close()
			return nil, err
		}
		c.SourceRefs = append(c.SourceRefs, src+":"+ref)
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, `SELECT id FROM persons WHERE case_id = $1 AND merged_into IS NULL ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var pid int64
		if err := rows.Scan(&pid); err != nil {
			return nil, err
		}
		c.Members = append(c.Members, pid)
	}
	return &c, rows.Err()
}

// CaseRef is the case number people and staff quote: C-000042.
func CaseRef(id int64) string { return fmt.Sprintf("C-%06d", id) }

// ParseCaseRef reads a case number ("C-000042", "c42", "42").
func ParseCaseRef(s string) (int64, bool) {
	s = strings.TrimSpace(strings.ToUpper(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "C"), "-")
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// SetStage moves people to a stage, one event each. Moving to a stage a
// person already has is a no-op.
func (s *Store) SetStage(ctx context.Context, actor string, scope Scope, ids []int64, to muster.Stage, reason string) (int, error) {
	if !to.Valid() {
		return 0, muster.Errorf(muster.EINVALID, "unknown stage %q", to)
	}
	moved := 0
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		for _, id := range ids {
			var from, cat, partner string
			var caseID int64
			err := tx.QueryRowContext(ctx, `SELECT stage, category, partner, case_id FROM persons WHERE id = $1 AND merged_into IS NULL AND ($2 = '' OR partner = $2)`, id, scope.Partner).Scan(&from, &cat, &partner, &caseID)
			if err == sql.ErrNoRows {
				return muster.Errorf(muster.ENOTFOUND, "no person %d", id)
			} else if err != nil {
				return err
			}
			if muster.Stage(from) == to {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE persons SET stage = $1, updated = $2 WHERE id = $3`, string(to), now.UnixMicro(), id); err != nil {
				return err
			}
			var data json.RawMessage
			if reason != "" {
				data = jsonRaw(map[string]string{"reason": reason})
			}
			if err := s.appendEventPartner(ctx, tx, &muster.Event{Actor: actor, Type: muster.EventStage, PersonID: id, CaseID: caseID, At: now,
				From: muster.Stage(from), To: to, Data: data}, partner, muster.Category(cat)); err != nil {
				return err
			}
			moved++
		}
		return nil
	})
	return moved, err
}

// FindBy returns the ids of live people whose blind index of kind matches
// value (normalised by the caller as the import normalised it).
func (s *Store) FindBy(ctx context.Context, scope Scope, kind, value string) ([]int64, error) {
	switch kind {
	case "doc":
		value = NormDoc(value)
	case "name", "email":
		value = strings.ToLower(strings.TrimSpace(value))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT p.id FROM blind b JOIN persons p ON p.id = b.person_id
		WHERE b.kind = $1 AND b.hash = $2 AND p.merged_into IS NULL AND ($3 = '' OR p.partner = $3) ORDER BY p.id`,
		kind, s.vault.Blind(kind, value), scope.Partner)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Search finds people by case number, document number, phone, email or
// name tokens (every token must match), scoped.
func (s *Store) Search(ctx context.Context, scope Scope, q string, limit int) ([]*muster.Person, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	if id, ok := ParseCaseRef(q); ok && strings.HasPrefix(strings.ToUpper(q), "C") {
		return s.People(ctx, PeopleFilter{Scope: scope, CaseID: id, Limit: limit})
	}
	var ids []int64
	var err error
	switch {
	case strings.Contains(q, "@"):
		ids, err = s.FindBy(ctx, scope, "email", q)
	case strings.HasPrefix(q, "+"):
		ids, err = s.FindBy(ctx, scope, "phone", q)
	default:
		ids, err = s.FindBy(ctx, scope, "doc", q)
		if err == nil && len(ids) == 0 {
			toks := nameTokens(q)
			for i, t := range toks {
				got, err := s.FindBy(ctx, scope, "name", t)
				if err != nil {
					return nil, err
				}
				if i == 0 {
					ids = got
				} else {
					ids = intersect(ids, got)
				}
			}
		}
	}
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	return s.People(ctx, PeopleFilter{Scope: scope, IDs: ids})
}

func intersect(a, b []int64) []int64 {
	in := map[int64]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []int64
	for _, x := range a {
		if in[x] {
			out = append(out, x)
		}
	}
	return out
}
