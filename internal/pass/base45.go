package pass

import (
	"errors"
	"strings"
)

// base45 is RFC 9285: the QR alphanumeric alphabet, 2 bytes to 3 characters.
// A QR code stores these at 5.5 bits each, against 8 for base64 in byte mode,
// so the same pass makes a smaller, easier to scan code. It is also what the
// EU Digital COVID Certificate used, so phone and gate scanners cope with it.
const alphabet45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var index45 = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(alphabet45); i++ {
		t[alphabet45[i]] = int8(i)
	}
	return t
}()

var errBase45 = errors.New("invalid base45")

func encode45(b []byte) string {
	var sb strings.Builder
	sb.Grow((len(b)/2)*3 + 2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		sb.WriteByte(alphabet45[n%45])
		sb.WriteByte(alphabet45[(n/45)%45])
		sb.WriteByte(alphabet45[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		sb.WriteByte(alphabet45[n%45])
		sb.WriteByte(alphabet45[n/45])
	}
	return sb.String()
}

func decode45(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, errBase45
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		n, k := 0, min(3, len(s)-i)
		for j := k - 1; j >= 0; j-- {
			v := index45[s[i+j]]
			if v < 0 {
				return nil, errBase45
			}
			n = n*45 + int(v)
		}
		if k == 3 {
			if n > 0xFFFF {
				return nil, errBase45
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xFF {
				return nil, errBase45
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
