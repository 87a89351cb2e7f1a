package sync

import (
	"testing"
	"time"
)

func TestRunGateWaitsForAdmittedRunsAndAdmitsNoMore(t *testing.T) {
	var g runGate
	if !g.enter() {
		t.Fatal("an open gate refused a run")
	}
	closed := make(chan struct{})
	go func() { g.closeAndWait(); close(closed) }()

	// closeAndWait must not return while the admitted run goes on.
	select {
	case <-closed:
		t.Fatal("closeAndWait returned with a run still in flight")
	case <-time.After(20 * time.Millisecond):
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		g.mu.Lock()
		shut := g.closed
		g.mu.Unlock()
		if shut {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the gate never closed")
		}
		time.Sleep(time.Millisecond)
	}
	if g.enter() {
		t.Error("a closing gate admitted a run")
	}
	g.leave()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("closeAndWait did not return once the run left")
	}
}
