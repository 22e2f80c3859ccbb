// Package resolve owns record linkage: deciding which registrations describe
// the same person. It is Fellegi-Sunter as Splink does it (comparison levels
// per field, u from random pairs, m by EM over blocked pairs without labels,
// term-frequency adjustment), a union of blocking keys with capped blocks,
// and clustering that checks every merge against the whole of both clusters
// and against cannot-link rules, so different people are not chained
// together. Reviewers' decisions enter as must-link and cannot-link pairs,
// and Review lists the doubtful pairs for them. A Linker (incremental.go)
// links one record at a time on arrival with a model a batch run trained,
// over in-memory blocking indexes with the batch's rules and caps. The same
// engine serves muster registrations and the FEBRL and Splink benchmarks;
// only the mapping of columns to fields (and, for registrations, stricter
// thresholds) differs.
package resolve

import (
	"fmt"
	"hash/maphash"
)

// Field is one comparable attribute of a record.
type Field struct {
	Name string
	Cmp  Comparator
	// TF adjusts exact agreement by how common the value is: agreeing on a
	// rare surname is strong evidence, on "Mohammad" or 1 January weak.
	TF bool
	// BlockOnly fields feed blocking keys but are never compared (a full
	// name that repeats the first name and surname the model already
	// counts).
	BlockOnly bool
	// Veto, when > 0, is the first level at which two records cannot be the
	// same person whatever else agrees (two different passport numbers).
	Veto int
}

// Data holds the records to resolve column by column: each field's values
// are interned, so a record is a row of int32 value ids (-1 when empty) and
// exact agreement is an integer comparison.
type Data struct {
	Fields []Field
	IDs    []string // one per record, as the caller knows it
	// Swap, when set, names two fields (given name, surname) that sources
	// sometimes write in each other's column.
	Swap *[2]int
	// Group puts records in groups whose members are known to be different
	// people (the members of one case from one source); -1 for none.
	Group []int32

	vals    [][]int32 // [field][record]
	dict    [][]string
	index   []map[string]int32
	count   [][]int32 // [field][value id] records holding it
	nonNull []int
	groups  map[string]int32
}

// NewData returns an empty data set over fields.
func NewData(fields []Field) *Data {
	d := &Data{Fields: fields, groups: map[string]int32{}}
	n := len(fields)
	d.vals, d.dict, d.index, d.count, d.nonNull = make([][]int32, n), make([][]string, n), make([]map[string]int32, n), make([][]int32, n), make([]int, n)
	for f := range fields {
		d.index[f] = map[string]int32{}
	}
	return d
}

// Add appends a record. values are aligned with Fields; "" is missing.
// group names the record's known-distinct group ("" for none).
func (d *Data) Add(id, group string, values []string) error {
	if len(values) != len(d.Fields) {
		return fmt.Errorf("record %d: %d values for %d fields", len(d.IDs)+1, len(values), len(d.Fields))
	}
	d.IDs = append(d.IDs, id)
	d.Group = append(d.Group, d.groupOf(group))
	for f, v := range values {
		d.vals[f] = append(d.vals[f], d.intern(f, v))
	}
	return nil
}

// groupOf returns group's number, adding it (-1 for no group).
func (d *Data) groupOf(group string) int32 {
	if group == "" {
		return -1
	}
	g, ok := d.groups[group]
	if !ok {
		g = int32(len(d.groups))
		d.groups[group] = g
	}
	return g
}

// intern returns value v's number in field f's dictionary, adding it and
// counting one more use (-1 for a missing value, which is not counted).
func (d *Data) intern(f int, v string) int32 {
	if v == "" {
		return -1
	}
	id, ok := d.index[f][v]
	if !ok {
		id = int32(len(d.dict[f]))
		d.index[f][v] = id
		d.dict[f] = append(d.dict[f], v)
		d.count[f] = append(d.count[f], 0)
	}
	d.count[f][id]++
	d.nonNull[f]++
	return id
}

// Len is the number of records.
func (d *Data) Len() int { return len(d.IDs) }

// Value returns record i's value of field f, "" when missing.
func (d *Data) Value(f, i int) string {
	if v := d.vals[f][i]; v >= 0 {
		return d.dict[f][v]
	}
	return ""
}

// FieldIndex returns the index of the named field, or -1.
func (d *Data) FieldIndex(name string) int {
	for i, f := range d.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// prepare hands every comparator its field's distinct values.
func (d *Data) prepare() {
	for f := range d.Fields {
		d.Fields[f].Cmp.Prepare(d.dict[f])
	}
}

const nullLevel = 15 // in a gamma vector: either value missing

// gamma returns the comparison vector of records i and j, four bits per
// field, and whether a veto applies.
func (d *Data) gamma(i, j int32) (g uint64, veto bool) {
	for f := range d.Fields {
		a, b := d.vals[f][i], d.vals[f][j]
		l := nullLevel
		switch {
		case a < 0 || b < 0 || d.Fields[f].BlockOnly:
		case a == b:
			l = 0
		default:
			l = d.Fields[f].Cmp.Level(a, b)
			if v := d.Fields[f].Veto; v > 0 && l >= v {
				veto = true
			}
		}
		g |= uint64(l) << (4 * f)
	}
	if d.Swap != nil {
		g = d.swapped(i, j, g)
	}
	return g, veto
}

// StringLeveler is a Comparator that can also grade two raw strings, which
// swapped fields need (their values sit in different dictionaries).
type StringLeveler interface {
	LevelStrings(a, b string) int
}

// swapped grades the two Swap fields crosswise ("Rowe Caleb" against
// "Caleb Rowe") and keeps the crosswise levels when both agree better than
// the straight ones: a given name and surname written in each other's
// column are the same name.
func (d *Data) swapped(i, j int32, g uint64) uint64 {
	fa, fb := d.Swap[0], d.Swap[1]
	la, lb := level(g, fa), level(g, fb)
	if la == nullLevel || lb == nullLevel || la+lb == 0 {
		return g
	}
	ca, ok1 := d.Fields[fa].Cmp.(StringLeveler)
	cb, ok2 := d.Fields[fb].Cmp.(StringLeveler)
	if !ok1 || !ok2 {
		return g
	}
	xa := ca.LevelStrings(d.Value(fa, int(i)), d.Value(fb, int(j)))
	xb := cb.LevelStrings(d.Value(fb, int(i)), d.Value(fa, int(j)))
	if max(xa, xb) >= max(la, lb) || xa+xb >= la+lb {
		return g
	}
	g &^= 0xF<<(4*fa) | 0xF<<(4*fb)
	return g | uint64(xa)<<(4*fa) | uint64(xb)<<(4*fb)
}

func level(g uint64, f int) int { return int(g>>(4*f)) & 0xF }

var seed = maphash.MakeSeed()
