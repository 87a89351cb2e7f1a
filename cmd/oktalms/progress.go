package main

import (
	"fmt"
	"io"
	"os"
	stdsync "sync"
	"time"
)

// progressLine draws the apply's progress on one terminal line: done of
// total, rate and time left. It is drawn only on a terminal, never into a
// log or a pipe, and at most ten times a second.
type progressLine struct {
	w     io.Writer
	start time.Time
	mu    stdsync.Mutex
	last  time.Time
}

// newProgress returns the progress callback for w, or nil when w is not a terminal.
func newProgress(w io.Writer) func(done, total int) {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if info, err := f.Stat(); err != nil || info.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	p := &progressLine{w: w, start: time.Now()}
	return p.update
}

func (p *progressLine) update(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start)
	rate := float64(done) / max(elapsed.Seconds(), 0.001)
	left := time.Duration(float64(total-done) / max(rate, 0.001) * float64(time.Second)).Round(time.Second)
	fmt.Fprintf(p.w, "\r\033[Kapplying: %d/%d ops, %.1f/s, about %s left", done, total, rate, left)
	if done == total {
		fmt.Fprintln(p.w)
	}
}
