// Command oktalms keeps a learning platform's users in line with Okta: it
// pulls the people in scope, plans against what it last applied, and applies
// creates, updates, archives and reactivations through the LMS's own API.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time: -ldflags "-X main.version=…".
var version = "dev"

// defaultMemoryLimit makes the garbage collector work harder rather than
// let a run of 100,000 people grow past what a small VM spares (such a run
// keeps about 150 MB live at its peak); GOMEMLIMIT overrides it.
const defaultMemoryLimit = 192 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal ends ctx gracefully; unregistering then gives a second
	// signal its default action: exit at once.
	go func() { <-ctx.Done(); stop() }()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var exit *exitError
		if !errors.As(err, &exit) || exit.err != nil {
			fmt.Fprintln(os.Stderr, "oktalms:", err)
		}
		os.Exit(exitCode(err))
	}
}

// Exit codes of sync, as documented in the README.
const (
	exitOK      = 0
	exitFailed  = 1
	exitPending = 2 // dry run with --detailed-exitcode: changes are pending
	exitBlocked = 3 // a safety brake held archives back
	exitPartial = 4 // finished, but some people failed or were held back
)

// exitError carries an exit code other than 1; err may be nil when the
// command already told the admin everything.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var exit *exitError
	if errors.As(err, &exit) {
		return exit.code
	}
	if err != nil {
		return exitFailed
	}
	return exitOK
}

// run is the whole program, minus the process: tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	root := newRootCommand(ctx, getenv, stdout, stderr)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}
