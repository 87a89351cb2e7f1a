package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestProgressOnlyOnATerminal(t *testing.T) {
	if newProgress(&bytes.Buffer{}) != nil {
		t.Error("progress drawn into a buffer: logs and pipes must stay clean")
	}
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if newProgress(f) != nil {
		t.Error("progress drawn into a regular file")
	}
}

func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	p := &progressLine{w: &buf}
	p.update("pulling Okta", 1, 0)
	p.update("pulling Okta", 2, 0) // within 100ms: not drawn, but where the phase ends
	p.update("applying", 1, 4)
	p.update("applying", 4, 4)
	lines := strings.Split(buf.String(), "\n")
	if len(lines) != 3 || lines[2] != "" {
		t.Fatalf("progress = %q, want two lines: the pull's, then the apply's", buf.String())
	}
	for i, want := range []string{"pulling Okta: 2 people", "applying: 4/4 ops"} {
		last := lines[i][strings.LastIndex(lines[i], "\r\033[K"):]
		if !strings.Contains(last, want) {
			t.Errorf("line %d ends as %q, want %q", i+1, last, want)
		}
	}
	if !strings.Contains(lines[1], "applying: 1/4 ops") {
		t.Errorf("apply line = %q, want its first count drawn", lines[1])
	}
	p.end()
	if strings.Count(buf.String(), "\n") != 2 {
		t.Errorf("end after a finished phase wrote more: %q", buf.String())
	}
}
