package pass

import (
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// Passes are printed on bad printers and shown on cracked phone screens, so
// the codes keep 25% error correction (go-qrcode's High, QR level Q).
const defaultLevel = qrcode.High

// QRPNG renders token as a PNG QR code of size x size pixels (at least one
// pixel per module; go-qrcode enlarges size when it is too small).
func QRPNG(token string, size int) ([]byte, error) {
	q, err := qrcode.New(token, defaultLevel)
	if err != nil {
		return nil, fmt.Errorf("pass: QR: %w", err)
	}
	return q.PNG(size)
}

// QRSVG renders token as an SVG QR code, module per unit with the quiet
// zone, scaled to size x size. It is drawn from the QR bitmap as one path of
// horizontal runs, so it prints sharp at any size and needs no library.
func QRSVG(token string, size int) (string, error) {
	q, err := qrcode.New(token, defaultLevel)
	if err != nil {
		return "", fmt.Errorf("pass: QR: %w", err)
	}
	return bitmapSVG(q.Bitmap(), size), nil
}

func bitmapSVG(bm [][]bool, size int) string {
	n := len(bm)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges">`, n, n, size, size)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&sb, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	sb.WriteString(`"/></svg>`)
	return sb.String()
}
