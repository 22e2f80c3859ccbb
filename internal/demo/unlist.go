package demo

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"

	"muster/internal/lists"
)

//go:embed lists/un-sc-2026-02-27.xml.gz
var unListGz []byte

// UNListSource names the embedded list version.
const UNListSource = "UN SC Consolidated List, generated 2026-02-27"

// UNList parses the embedded UN Security Council Consolidated List.
func UNList() ([]lists.Entry, error) {
	zr, err := gzip.NewReader(bytes.NewReader(unListGz))
	if err != nil {
		return nil, fmt.Errorf("embedded UN list: %w", err)
	}
	defer zr.Close()
	return lists.ParseUN(zr)
}
