package main

import (
	"fmt"
	"io"
	"os"
	stdsync "sync"
	"time"
)

// progressLine draws a run's progress on one terminal line: the phase, how
// far it is, the rate and, when the total is known, the time left. It is
// drawn only on a terminal, never into a log or a pipe, and at most ten
// times a second.
type progressLine struct {
	w           io.Writer
	mu          stdsync.Mutex
	phase       string
	start, last time.Time
	done, total int  // total 0: not known (Okta does not say how many a pull will read)
	drawn       bool // the line holds a phase not ended yet
}

// newProgress returns a progress line on w, or nil when w is not a terminal.
func newProgress(w io.Writer) *progressLine {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if info, err := f.Stat(); err != nil || info.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &progressLine{w: w}
}

// update counts done (of total, when known) in phase; a new phase ends the
// line of the one before, showing where it finished.
func (p *progressLine) update(phase string, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if phase != p.phase {
		p.endLine(now)
		p.phase, p.start, p.last = phase, now, time.Time{}
	}
	p.done, p.total = done, total
	finished := total > 0 && done >= total
	if !finished && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	p.draw(now)
	if finished {
		p.endLine(now)
	}
}

// end ends the line of the phase in progress, if any.
func (p *progressLine) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endLine(time.Now())
}

func (p *progressLine) endLine(now time.Time) {
	if !p.drawn {
		return
	}
	p.draw(now)
	fmt.Fprintln(p.w)
	p.drawn = false
}

func (p *progressLine) draw(now time.Time) {
	elapsed := now.Sub(p.start)
	rate := float64(p.done) / max(elapsed.Seconds(), 0.001)
	if p.total == 0 {
		fmt.Fprintf(p.w, "\r\033[K%s: %d people, %.0f/s, %s", p.phase, p.done, rate, elapsed.Round(100*time.Millisecond))
	} else {
		left := time.Duration(float64(p.total-p.done) / max(rate, 0.001) * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(p.w, "\r\033[K%s: %d/%d ops, %.1f/s, about %s left", p.phase, p.done, p.total, rate, left)
	}
	p.drawn = true
}
