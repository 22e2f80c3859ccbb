package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress writes a self-overwriting status line to a terminal, at most ten
// times a second; on anything but a terminal it stays silent so that logs
// and CI output hold only the final counts.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	on    bool
	label string
	start time.Time
	last  time.Time
}

// termWriter reports whether w is a terminal (a character device), where a
// self-overwriting progress line makes sense.
func termWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func newProgress(w io.Writer, label string) *progress {
	return &progress{w: w, on: termWriter(w), label: label, start: time.Now()}
}

// Set reports n of total items done (total 0 if unknown).
func (p *progress) Set(n, total int) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && n != total {
		return
	}
	p.last = now
	rate := float64(n) / now.Sub(p.start).Seconds()
	if total > 0 {
		fmt.Fprintf(p.w, "\r%s: %d/%d (%.0f%%, %.0f/s)   ", p.label, n, total, 100*float64(n)/float64(total), rate)
	} else {
		fmt.Fprintf(p.w, "\r%s: %d (%.0f/s)   ", p.label, n, rate)
	}
}

// Done clears the line.
func (p *progress) Done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
