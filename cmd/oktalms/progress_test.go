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
	p.update(1, 4)
	p.update(4, 4)
	out := buf.String()
	if !strings.Contains(out, "applying: 1/4 ops") || !strings.Contains(out, "applying: 4/4 ops") || !strings.HasSuffix(out, "\n") {
		t.Errorf("progress = %q", out)
	}
}
