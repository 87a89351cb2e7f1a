package lms

import (
	"context"
	"fmt"

	"github.com/oktalms/oktalms/reconcile"
	oksync "github.com/oktalms/oktalms/sync"
)

// groupWriter is what a client offers to mirror groups: every target that
// has groups (Lessonly groups, SCIM Groups, Learn Amp teams) has these.
type groupWriter interface {
	CreateGroup(ctx context.Context, name string) (id string, err error)
	RenameGroup(ctx context.Context, id, name string) error
	AddMembers(ctx context.Context, groupID string, userIDs []string) error
	RemoveMembers(ctx context.Context, groupID string, userIDs []string) error
}

// managerWriter is offered by targets whose groups have managers (Lessonly).
type managerWriter interface {
	AddManagers(ctx context.Context, groupID string, userIDs []string) error
	RemoveManagers(ctx context.Context, groupID string, userIDs []string) error
}

// groupArchiver is offered by targets that can archive a group.
type groupArchiver interface {
	ArchiveGroup(ctx context.Context, id string) error
}

// applyGroup performs a group or membership op through w and returns the
// group as the LMS now holds it.
func applyGroup(ctx context.Context, w groupWriter, op reconcile.Op) (reconcile.Group, error) {
	group := reconcile.Group{OktaID: op.GroupOktaID, LMSID: op.GroupLMSID, Name: op.GroupName}
	if op.GroupRecord != nil {
		group = *op.GroupRecord
		group.LMSID = op.GroupLMSID
	}
	managers, hasManagers := w.(managerWriter)
	var err error
	switch op.Action {
	case reconcile.ActionGroupCreate:
		group.LMSID, err = w.CreateGroup(ctx, op.GroupName)
	case reconcile.ActionGroupLink, reconcile.ActionGroupRename:
		if op.Changed(reconcile.ChangeName) {
			err = w.RenameGroup(ctx, op.GroupLMSID, op.GroupName)
		}
	case reconcile.ActionMemberAdd:
		err = w.AddMembers(ctx, op.GroupLMSID, []string{op.LMSID})
	case reconcile.ActionMemberRemove:
		err = w.RemoveMembers(ctx, op.GroupLMSID, []string{op.LMSID})
	case reconcile.ActionManagerAdd, reconcile.ActionManagerRemove:
		if !hasManagers {
			return reconcile.Group{}, fmt.Errorf("%s: this LMS has no group managers (unset groups.managers)", op.Action)
		}
		if op.Action == reconcile.ActionManagerAdd {
			err = managers.AddManagers(ctx, op.GroupLMSID, []string{op.LMSID})
		} else {
			err = managers.RemoveManagers(ctx, op.GroupLMSID, []string{op.LMSID})
		}
	case reconcile.ActionGroupArchive:
		archiver, ok := w.(groupArchiver)
		if !ok {
			return reconcile.Group{}, fmt.Errorf("this LMS cannot archive a group (unset groups.archive_removed)")
		}
		err = archiver.ArchiveGroup(ctx, op.GroupLMSID)
	default:
		return reconcile.Group{}, fmt.Errorf("%s is not a group op", op.Action)
	}
	return group, err
}

// ApplyGroup performs a group or membership op on Lessonly.
func (c *Lessonly) ApplyGroup(ctx context.Context, op reconcile.Op) (reconcile.Group, error) {
	return applyGroup(ctx, c, op)
}

// ApplyGroup performs a group or membership op on the SCIM service's Groups.
func (c *SCIM) ApplyGroup(ctx context.Context, op reconcile.Op) (reconcile.Group, error) {
	return applyGroup(ctx, c, op)
}

// ApplyGroup performs a group or membership op on Learn Amp's teams.
func (c *LearnAmp) ApplyGroup(ctx context.Context, op reconcile.Op) (reconcile.Group, error) {
	return applyGroup(ctx, c, op)
}

var (
	_ oksync.GroupTarget = (*SCIM)(nil)
	_ oksync.GroupTarget = (*LearnAmp)(nil)
)
