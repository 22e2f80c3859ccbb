package lists

import "io"

// sdnFiles are the file names of the OFAC SDN legacy CSV set.
var sdnFiles = [4]string{"sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"}

// ParseSDN reads the OFAC Specially Designated Nationals list from its
// legacy CSV files: sdn.csv (required) and alt.csv, add.csv and
// sdn_comments.csv (each may be nil). Remarks are parsed for dates and
// places of birth, nationality and citizenship, gender, documents and weak
// aliases (a.k.a. 'X'); the whole remark stays in Entry.Remarks.
func ParseSDN(sdn, alt, add, comments io.Reader) ([]Entry, error) {
	return parseOFAC(OFACSDN, ofacFiles{Prim: sdn, Alt: alt, Add: add, Comments: comments}, sdnFiles)
}

// LoadSDN reads the SDN set in dir.
func LoadSDN(dir string) ([]Entry, error) {
	return loadOFACDir(dir, OFACSDN, sdnFiles)
}
