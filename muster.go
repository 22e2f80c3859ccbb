// Package muster holds the domain of an evacuation operation: the people who
// must leave, the cases (families) they travel in, the registrations that
// partners sent about them, the stage each person has reached, and the
// append-only events from which every count is derived.
//
// Capabilities live in internal/ (names, lists, screen, resolve, intake,
// schedule, pass, mrz, gate, store, web); this package has no dependencies
// beyond the standard library so that all of them can share its types.
package muster

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Stage is where a person stands on the way out. The main path runs from
// StageRegistered to StageArrived; the three terminal side stages take a
// person out of the count of those still to move.
type Stage string

const (
	StageRegistered Stage = "registered"
	StageResolved   Stage = "resolved"
	StageScreened   Stage = "screened"
	StageApproved   Stage = "approved"
	StageCalled     Stage = "called"
	StageCheckedIn  Stage = "checked_in"
	StageManifested Stage = "manifested"
	StageDeparted   Stage = "departed"
	StageArrived    Stage = "arrived"
	StageWithdrawn  Stage = "withdrawn"
	StageNoShow     Stage = "no_show"
	StageDenied     Stage = "denied_by_decision"
)

// Stages lists every stage in display order: the path first, then the exits.
var Stages = []Stage{
	StageRegistered, StageResolved, StageScreened, StageApproved, StageCalled,
	StageCheckedIn, StageManifested, StageDeparted, StageArrived,
	StageWithdrawn, StageNoShow, StageDenied,
}

// Rank orders stages on the main path; side stages rank -1.
func (s Stage) Rank() int {
	for i, t := range Stages[:9] {
		if t == s {
			return i
		}
	}
	return -1
}

// Valid reports whether s is a known stage.
func (s Stage) Valid() bool {
	for _, t := range Stages {
		if t == s {
			return true
		}
	}
	return false
}

// Out reports whether a person at this stage has left the country.
func (s Stage) Out() bool { return s == StageDeparted || s == StageArrived }

// Closed reports whether a person at this stage no longer waits to move:
// out, withdrawn, or denied.
func (s Stage) Closed() bool { return s.Out() || s == StageWithdrawn || s == StageDenied }

// Category is an eligibility category. The default set is
// DefaultCategories; an operation may configure its own.
type Category string

const (
	CategoryCitizen              Category = "citizen"
	CategoryDualNational         Category = "dual_national"
	CategoryPermanentResident    Category = "permanent_resident"
	CategorySIVApplicant         Category = "siv_applicant"
	CategoryRefugeeReferral      Category = "refugee_referral"
	CategoryOtherAtRisk          Category = "other_at_risk"
	CategoryThirdCountryNational Category = "third_country_national"
)

// DefaultCategories is the category set of a new operation, in priority order.
var DefaultCategories = []Category{
	CategoryCitizen, CategoryDualNational, CategoryPermanentResident,
	CategorySIVApplicant, CategoryRefugeeReferral, CategoryOtherAtRisk,
	CategoryThirdCountryNational,
}

// Operation is one evacuation: its name, its categories and their weights.
type Operation struct {
	ID         int64
	Name       string
	Categories []Category
	Created    time.Time
}

// HasCategory reports whether c is configured for the operation.
func (o *Operation) HasCategory(c Category) bool {
	for _, k := range o.Categories {
		if k == c {
			return true
		}
	}
	return false
}

// Sex as recorded on documents.
type Sex string

const (
	SexUnknown Sex = ""
	SexMale    Sex = "M"
	SexFemale  Sex = "F"
	SexOther   Sex = "X"
)

// Precision says how much of a date is known.
type Precision int

const (
	PrecisionUnknown Precision = iota
	PrecisionYear
	PrecisionMonth
	PrecisionDay
)

func (p Precision) String() string {
	switch p {
	case PrecisionYear:
		return "year"
	case PrecisionMonth:
		return "month"
	case PrecisionDay:
		return "day"
	}
	return "unknown"
}

// Date is a date of birth as far as it is known, always in the Gregorian
// calendar once parsed; Written keeps what the source wrote and Calendar the
// calendar it was written in ("gregorian" or "solar_hijri"). Fields beyond
// the precision are zero. A Solar Hijri year alone spans two Gregorian years:
// Year is the one holding most of it, and YearTo the other (else 0).
type Date struct {
	Year      int       `json:"y,omitempty"`
	Month     int       `json:"m,omitempty"`
	Day       int       `json:"d,omitempty"`
	YearTo    int       `json:"y2,omitempty"`
	Precision Precision `json:"p,omitempty"`
	Calendar  string    `json:"cal,omitempty"`
	Written   string    `json:"w,omitempty"`
}

// String renders the known part of the date: 1986, 1986-08, 1986-08-03.
func (d Date) String() string {
	switch d.Precision {
	case PrecisionYear:
		return fmt.Sprintf("%04d", d.Year)
	case PrecisionMonth:
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	case PrecisionDay:
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
	}
	return ""
}

// Known reports whether at least the year is known.
func (d Date) Known() bool { return d.Precision > PrecisionUnknown }

// Document is an identity document.
type Document struct {
	Type    string `json:"type"` // passport, national_id (tazkira), other
	Number  string `json:"number"`
	Country string `json:"country,omitempty"` // ISO 3166 alpha-2 of the issuer
}

// Flag marks a value that is odd but possible, or needs a human: a placeholder
// date, an ambiguous date kept as written, a screening hit.
type Flag struct {
	Field  string `json:"field,omitempty"`
	Code   string `json:"code"`
	Detail string `json:"detail,omitempty"`
}

func (f Flag) String() string {
	s := f.Code
	if f.Field != "" {
		s = f.Field + ": " + s
	}
	if f.Detail != "" {
		s += " (" + f.Detail + ")"
	}
	return s
}

// Person is one human being, however many registrations name them. Personal
// fields are sealed at rest by the store; only ids, category and stage are
// stored in clear.
type Person struct {
	ID            int64      `json:"id"`
	CaseID        int64      `json:"case_id"`
	Relationship  string     `json:"relationship,omitempty"`
	Given         string     `json:"given,omitempty"`
	Family        string     `json:"family,omitempty"`
	Father        string     `json:"father,omitempty"`
	FullName      string     `json:"full_name,omitempty"`
	NativeName    string     `json:"native_name,omitempty"`
	Sex           Sex        `json:"sex,omitempty"`
	DOB           Date       `json:"dob"`
	PlaceOfBirth  string     `json:"place_of_birth,omitempty"`
	Nationalities []string   `json:"nationalities,omitempty"`
	Documents     []Document `json:"documents,omitempty"`
	Phones        []string   `json:"phones,omitempty"`
	Emails        []string   `json:"emails,omitempty"`
	Needs         []string   `json:"needs,omitempty"` // declared needs (medical, disability, pregnant, other): sealed like the rest
	Category      Category   `json:"category,omitempty"`
	Stage         Stage      `json:"stage"`
	Flags         []Flag     `json:"flags,omitempty"`
	Created       time.Time  `json:"created"`
	Updated       time.Time  `json:"updated"`
}

// DisplayName is the best name to show for p.
func (p *Person) DisplayName() string {
	if n := strings.TrimSpace(strings.TrimSpace(p.Given) + " " + strings.TrimSpace(p.Family)); n != "" {
		return n
	}
	if p.FullName != "" {
		return p.FullName
	}
	return p.NativeName
}

// Names returns every name written for p: the structured one, the full name
// as written and the native-script one, without blanks or repeats.
func (p *Person) Names() []string {
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	add(strings.TrimSpace(p.Given + " " + p.Family))
	add(p.FullName)
	add(p.NativeName)
	return out
}

// Case is a family or travelling group that moves together.
type Case struct {
	ID          int64     `json:"id"`
	Ref         string    `json:"ref"` // muster's own case number
	PrincipalID int64     `json:"principal_id,omitempty"`
	Category    Category  `json:"category,omitempty"`
	Priority    int       `json:"priority"`
	Partner     string    `json:"partner,omitempty"` // the source (organisation) that referred it
	SourceRefs  []string  `json:"source_refs,omitempty"`
	Members     []int64   `json:"members,omitempty"`
	Created     time.Time `json:"created"`
}

// Record is one registration row after intake has parsed and normalised it:
// what a source said about one person. Raw keeps the row verbatim.
type Record struct {
	Line          int      `json:"line,omitempty"`
	Source        string   `json:"source"`
	SourceID      string   `json:"source_id"`
	CaseRef       string   `json:"case_ref,omitempty"`
	Relationship  string   `json:"relationship,omitempty"`
	Given         string   `json:"given,omitempty"`
	Family        string   `json:"family,omitempty"`
	Father        string   `json:"father,omitempty"`
	FullName      string   `json:"full_name,omitempty"`
	NativeName    string   `json:"native_name,omitempty"`
	Sex           Sex      `json:"sex,omitempty"`
	DOB           Date     `json:"dob"`
	PlaceOfBirth  string   `json:"place_of_birth,omitempty"`
	Nationalities []string `json:"nationalities,omitempty"`
	Passport      string   `json:"passport,omitempty"`
	NationalID    string   `json:"national_id,omitempty"`
	Phones        []string `json:"phones,omitempty"`
	Emails        []string `json:"emails,omitempty"`
	Needs         []string `json:"needs,omitempty"`
	Category      Category `json:"category,omitempty"`
	Flags         []Flag   `json:"flags,omitempty"`
	Raw           []string `json:"raw,omitempty"`
	Header        []string `json:"header,omitempty"`
}

// Key is the identity of a registration: re-importing it updates, never duplicates.
func (r *Record) Key() string { return r.Source + "\x00" + r.SourceID }

// Documents returns the record's documents.
func (r *Record) Documents() []Document {
	var ds []Document
	if r.Passport != "" {
		ds = append(ds, Document{Type: "passport", Number: r.Passport})
	}
	if r.NationalID != "" {
		ds = append(ds, Document{Type: "national_id", Number: r.NationalID, Country: "AF"})
	}
	return ds
}

// Registration is a stored Record: immutable once written (a re-import of the
// same source and source id writes a new version and an event), linked to the
// person it became.
type Registration struct {
	ID       int64     `json:"id"`
	PersonID int64     `json:"person_id"`
	Record   Record    `json:"record"`
	Version  int       `json:"version"`
	Imported time.Time `json:"imported"`
}

// Event is one append-only fact: who did what, when, to which person or case.
// Events are hash-chained by the store.
type Event struct {
	Seq      int64           `json:"seq"`
	ID       string          `json:"id"` // globally unique; gates mint their own so sync is idempotent
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Type     string          `json:"type"`
	PersonID int64           `json:"person_id,omitempty"`
	CaseID   int64           `json:"case_id,omitempty"`
	From     Stage           `json:"from,omitempty"`
	To       Stage           `json:"to,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
	Hash     []byte          `json:"hash,omitempty"`
}

// Event types.
const (
	EventImported    = "registration.imported"
	EventUpdated     = "registration.updated"
	EventStage       = "person.stage"
	EventMerged      = "person.merged"
	EventSplit       = "person.split"
	EventRead        = "person.read"
	EventCaseMerged  = "case.merged"
	EventLogin       = "user.login"
	EventLoginFailed = "user.login_failed"
	EventUserAdded   = "user.added"
	EventExport      = "export"
	EventDecision    = "screen.decision"
	EventHit         = "screen.hit"
	EventListLoaded  = "list.loaded"
	EventCheckIn     = "gate.checkin"
	EventPurge       = "purge"
	EventKeyCreated  = "key.created"
)
