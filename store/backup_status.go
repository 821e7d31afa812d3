package store

import (
	"context"
	"errors"
)

// BackupCheckError is the error of the last read of set's source: "" when
// it succeeded or the set was never read. It makes the store a backup.Store.
func (s *Store) BackupCheckError(ctx context.Context, set string) (string, error) {
	c, err := s.BackupCheck(ctx, set)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return c.Err, nil
}
