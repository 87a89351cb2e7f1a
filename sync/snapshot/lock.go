package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	oksync "github.com/oktalms/oktalms/sync"
)

// Lock takes the run lock: an flock on a file beside the database. The
// kernel releases it when the process ends, however it ends, so a run that
// was killed never blocks the next one.
func (s *Store) Lock(ctx context.Context) (release func() error, err error) {
	f, err := os.OpenFile(s.lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the run lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, oksync.ErrLocked
		}
		return nil, fmt.Errorf("take the run lock: %w", err)
	}
	return func() error {
		// Closing the file releases the flock.
		return f.Close()
	}, nil
}
