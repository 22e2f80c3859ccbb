package lists

import "io"

// consFiles are the file names of the OFAC consolidated (non-SDN) legacy CSV set.
var consFiles = [4]string{"cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv"}

// ParseCons reads the OFAC consolidated non-SDN list (SSI, NS-PLC, CMIC and
// others) from its legacy CSV files, which have the SDN files' columns:
// cons_prim.csv (required) and cons_alt.csv, cons_add.csv and
// cons_comments.csv (each may be nil).
func ParseCons(prim, alt, add, comments io.Reader) ([]Entry, error) {
	return parseOFAC(OFACCons, ofacFiles{Prim: prim, Alt: alt, Add: add, Comments: comments}, consFiles)
}

// LoadCons reads the consolidated set in dir.
func LoadCons(dir string) ([]Entry, error) {
	return loadOFACDir(dir, OFACCons, consFiles)
}
