package web

import (
	"fmt"
	"strconv"

	"muster"
	"muster/internal/store"
)

// chart is an SVG chart laid out on the server: the template only draws
// rectangles and text at the positions computed here, so no script and no
// chart library reach the browser.
type chart struct {
	W, H   int
	Label  string // for screen readers
	Bars   []bar
	Ticks  []tick
	Empty  bool
	Detail string
}

type bar struct {
	X, Y, W, H float64
	Value      int
	Label      string
	// Where the label and the value are written.
	LX, LY, VX, VY float64
	Title          string
}

type tick struct {
	X, Y  float64
	Label string
}

func fx(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// funnelChart draws how many people reached at least each stage of the main
// path: the funnel from registered to arrived. People in a side stage
// (withdrawn, no-show, denied) are counted at registered only, since the
// stage they left from is in the event log, not in the counts.
func funnelChart(st *store.Status) chart {
	path := muster.Stages[:9]
	reached := make([]int, len(path))
	for i := range path {
		for _, t := range path[i:] {
			reached[i] += st.ByStage[t]
		}
	}
	reached[0] = st.Totals.Registered
	const left, width, rowH, gap = 110.0, 380.0, 22.0, 6.0
	c := chart{W: 560, H: int(float64(len(path))*(rowH+gap) + gap), Label: "Funnel: people who reached each stage"}
	max := reached[0]
	c.Empty = max == 0
	for i, s := range path {
		w := 0.0
		if max > 0 {
			w = width * float64(reached[i]) / float64(max)
		}
		if reached[i] > 0 && w < 2 {
			w = 2
		}
		y := gap + float64(i)*(rowH+gap)
		c.Bars = append(c.Bars, bar{X: left, Y: y, W: w, H: rowH, Value: reached[i], Label: stageLabel(s),
			LX: left - 8, LY: y + rowH*0.7, VX: left + w + 6, VY: y + rowH*0.7,
			Title: fmt.Sprintf("%s: %d", stageLabel(s), reached[i])})
	}
	return c
}

// throughputChart draws departures per hour over the last 24 hours.
func throughputChart(st *store.Status) chart {
	const left, bottom, plotH, barW, gap, top = 36.0, 24.0, 140.0, 18.0, 4.0, 14.0
	n := len(st.Throughput)
	c := chart{W: int(left + float64(n)*(barW+gap) + gap), H: int(top + plotH + bottom), Label: "Departures per hour, last 24 hours"}
	max, total := 0, 0
	for _, v := range st.Throughput {
		total += v
		if v > max {
			max = v
		}
	}
	c.Empty = total == 0
	c.Detail = fmt.Sprintf("%d departed in the last 24 hours", total)
	scale := 1
	if max > 0 {
		scale = max
	}
	base := top + plotH
	hour := st.At.UTC().Hour()
	for i, v := range st.Throughput {
		h := plotH * float64(v) / float64(scale)
		if v > 0 && h < 2 {
			h = 2
		}
		x := left + gap + float64(i)*(barW+gap)
		label := ""
		hh := (hour - (n - 1 - i) + 48) % 24
		if i%3 == 2 || i == n-1 {
			label = fmt.Sprintf("%02d", hh)
		}
		b := bar{X: x, Y: base - h, W: barW, H: h, Value: v, Label: label, LX: x + barW/2, LY: base + 16,
			VX: x + barW/2, VY: base - h - 3, Title: fmt.Sprintf("%02d:00 UTC: %d departed", hh, v)}
		c.Bars = append(c.Bars, b)
	}
	c.Ticks = []tick{{X: left - 4, Y: base, Label: "0"}, {X: left - 4, Y: top + 4, Label: strconv.Itoa(max)}}
	return c
}
