package lms

import (
	"context"
	"fmt"

	"github.com/oktalms/oktalms/reconcile"
)

// userWriter is what each client does to one account; applyUser maps a
// plan's ops onto it the same way for every LMS.
type userWriter interface {
	// create makes the account and returns its LMS id.
	create(ctx context.Context, op reconcile.Op) (string, error)
	// archive removes the account's access, keeping its data.
	archive(ctx context.Context, op reconcile.Op) error
	// update sends the op's changes, restoring the account first when restore is set.
	update(ctx context.Context, op reconcile.Op, restore bool) error
}

// applyUser performs a person's op and returns the record the LMS now
// holds; an error names the op and the person.
func applyUser(ctx context.Context, w userWriter, op reconcile.Op) (reconcile.User, error) {
	rec := op.Record
	var err error
	switch op.Action {
	case reconcile.ActionCreate:
		rec.LMSID, err = w.create(ctx, op)
	case reconcile.ActionArchive:
		err = w.archive(ctx, op)
	case reconcile.ActionLink, reconcile.ActionUpdate, reconcile.ActionReactivate:
		err = w.update(ctx, op, op.Action == reconcile.ActionReactivate || op.Restore)
	default:
		err = fmt.Errorf("unknown action %q", op.Action)
	}
	if err != nil {
		return reconcile.User{}, fmt.Errorf("%s %s (okta %s): %w", op.Action, op.Email, op.OktaID, err)
	}
	return rec, nil
}

// Apply performs one op on Lessonly and returns the record it now holds.
func (c *Lessonly) Apply(ctx context.Context, op reconcile.Op) (reconcile.User, error) {
	return applyUser(ctx, c, op)
}

// Apply performs one op on Learn Amp and returns the record it now holds.
func (c *LearnAmp) Apply(ctx context.Context, op reconcile.Op) (reconcile.User, error) {
	return applyUser(ctx, c, op)
}

// Apply performs one op on the SCIM service and returns the record it now holds.
func (c *SCIM) Apply(ctx context.Context, op reconcile.Op) (reconcile.User, error) {
	return applyUser(ctx, c, op)
}
