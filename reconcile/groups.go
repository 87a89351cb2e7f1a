package reconcile

import (
	"sort"
	"strings"
)

// GroupOptions say how Okta groups are mirrored in the LMS.
type GroupOptions struct {
	// Exclusive removes members added to a mirrored group by hand; otherwise
	// oktalms adds and removes only the people it manages.
	Exclusive bool
	// ArchiveRemoved archives the LMS group of an Okta group no longer
	// synced; otherwise such a group is left alone.
	ArchiveRemoved bool
}

// planGroups plans the mirrored groups and their memberships. Groups are
// keyed by Okta group id: a rename in Okta renames the LMS group. A group
// not yet mirrored links an LMS group of the same name (in any letter
// case) when the LMS was listed, or is created. Memberships follow the
// Okta group for the people oktalms manages.
func (d *differ) planGroups(desired, recorded State, live *State) {
	managed := d.managedAccounts(recorded)
	recordedGroups := make(map[string]Group, len(recorded.Groups))
	claimed := make(map[string]bool, len(recorded.Groups))
	for _, g := range recorded.Groups {
		recordedGroups[g.OktaID] = g
		claimed[g.LMSID] = true
	}
	var liveByName map[string][]Group
	liveByID := map[string]Group{}
	if live != nil {
		liveByName = make(map[string][]Group, len(live.Groups))
		for _, g := range live.Groups {
			key := strings.ToLower(strings.TrimSpace(g.Name))
			liveByName[key] = append(liveByName[key], g)
			liveByID[g.LMSID] = g
		}
	}
	desiredIDs := make(map[string]bool, len(desired.Groups))
	for _, want := range desired.Groups {
		desiredIDs[want.OktaID] = true
		want.Name = strings.TrimSpace(want.Name)
		before, known := recordedGroups[want.OktaID]
		var unmanaged []User // members added by hand, known only from a listing
		if !known {
			before, unmanaged = d.adoptOrCreateGroup(want, liveByName, claimed)
		} else if g, listed := liveByID[before.LMSID]; listed {
			unmanaged = d.unmanaged(g)
		}
		if known && before.Name != want.Name {
			rec := before
			rec.Name = want.Name
			d.add(Op{Action: ActionGroupRename, GroupOktaID: want.OktaID, GroupLMSID: before.LMSID, GroupName: want.Name,
				Changes: []Change{{Field: ChangeName, Before: before.Name, After: want.Name}}, GroupRecord: &rec,
				Reason: "renamed in Okta"})
		}
		d.planMembers(want, before, managed, ActionMemberAdd, ActionMemberRemove, want.Members, before.Members)
		d.planMembers(want, before, managed, ActionManagerAdd, ActionManagerRemove, want.Managers, before.Managers)
		if d.opts.Groups.Exclusive {
			for _, u := range unmanaged {
				d.add(Op{Action: ActionMemberRemove, LMSID: u.LMSID, Email: u.Email, Name: u.Name, GroupOktaID: want.OktaID,
					GroupLMSID: before.LMSID, GroupName: want.Name, Reason: "added by hand (groups.exclusive)"})
			}
		}
	}
	if !d.opts.Groups.ArchiveRemoved {
		return
	}
	for _, g := range recorded.Groups {
		if !desiredIDs[g.OktaID] {
			d.add(Op{Action: ActionGroupArchive, GroupOktaID: g.OktaID, GroupLMSID: g.LMSID, GroupName: g.Name,
				GroupRecord: &g, Reason: "no longer synced (groups.archive_removed)"})
		}
	}
}

// adoptOrCreateGroup plans the first mirroring of a group and returns what
// the LMS holds of it before — a same-name LMS group is linked (with its
// members, as Okta ids where oktalms manages them), else one is created —
// and the members of a linked group oktalms does not manage.
func (d *differ) adoptOrCreateGroup(want Group, liveByName map[string][]Group, claimed map[string]bool) (Group, []User) {
	var candidates []Group
	for _, g := range liveByName[strings.ToLower(want.Name)] {
		if !claimed[g.LMSID] {
			candidates = append(candidates, g)
		}
	}
	if len(candidates) == 1 {
		g := candidates[0]
		claimed[g.LMSID] = true
		rec := Group{OktaID: want.OktaID, LMSID: g.LMSID, Name: want.Name,
			Members: d.oktaIDs(g.Members), Managers: d.oktaIDs(g.Managers)}
		op := Op{Action: ActionGroupLink, GroupOktaID: want.OktaID, GroupLMSID: g.LMSID, GroupName: want.Name,
			GroupRecord: &rec, Reason: "existing LMS group of the same name"}
		if g.Name != want.Name {
			op.Changes = []Change{{Field: ChangeName, Before: g.Name, After: want.Name}}
		}
		d.add(op)
		return rec, d.unmanaged(g)
	}
	rec := Group{OktaID: want.OktaID, Name: want.Name}
	reason := "new synced Okta group"
	if len(candidates) > 1 {
		reason += "; several LMS groups have this name, none is linked"
	}
	d.add(Op{Action: ActionGroupCreate, GroupOktaID: want.OktaID, GroupName: want.Name, GroupRecord: &rec,
		Changes: []Change{{Field: ChangeName, After: want.Name}}, Reason: reason})
	return rec, nil
}

// planMembers plans the adds and removes that bring one member list (or
// manager list) of a group from before to want. Only active people oktalms
// manages are added; a person is removed when they left the Okta group.
func (d *differ) planMembers(g, before Group, managed map[string]User, add, remove Action, want, had []string) {
	has := make(map[string]bool, len(had))
	for _, id := range had {
		has[id] = true
	}
	wants := make(map[string]bool, len(want))
	for _, id := range want {
		wants[id] = true
		if acct, ok := managed[id]; ok && !has[id] {
			d.add(Op{Action: add, OktaID: id, LMSID: acct.LMSID, Email: acct.Email, Name: acct.Name,
				GroupOktaID: g.OktaID, GroupLMSID: before.LMSID, GroupName: g.Name, Reason: "in the Okta group"})
		}
	}
	for _, id := range had {
		if !wants[id] {
			acct, ok := managed[id]
			if !ok {
				acct = d.recorded[id] // leaving oktalms's care too: known from the snapshot
			}
			d.add(Op{Action: remove, OktaID: id, LMSID: acct.LMSID, Email: acct.Email, Name: acct.Name,
				GroupOktaID: g.OktaID, GroupLMSID: before.LMSID, GroupName: g.Name, Reason: "left the Okta group"})
		}
	}
}

// managedAccounts are the accounts of the people oktalms manages once this
// plan is applied, by Okta id: recorded or planned, active.
func (d *differ) managedAccounts(recorded State) map[string]User {
	out := make(map[string]User, len(recorded.Users))
	for _, want := range d.desired {
		if rec, ok := d.recorded[want.OktaID]; ok && want.Active && d.exists(rec) {
			out[want.OktaID] = User{OktaID: want.OktaID, LMSID: rec.LMSID, Email: want.Email, Name: want.Name}
		}
	}
	for _, op := range d.ops {
		switch op.Action {
		case ActionCreate, ActionLink, ActionReactivate, ActionUpdate:
			out[op.OktaID] = User{OktaID: op.OktaID, LMSID: op.LMSID, Email: op.Email, Name: op.Name}
		case ActionArchive:
			delete(out, op.OktaID)
		}
	}
	return out
}

// oktaIDs maps LMS user ids to the Okta ids of the people oktalms manages;
// others are left out.
func (d *differ) oktaIDs(lmsIDs []string) []string {
	var out []string
	for _, id := range lmsIDs {
		if okta := d.claimed[id]; okta != "" {
			out = append(out, okta)
		}
	}
	sort.Strings(out)
	return out
}

// unmanaged lists the members of a listed LMS group oktalms does not manage.
func (d *differ) unmanaged(g Group) []User {
	var out []User
	for _, id := range g.Members {
		if d.claimed[id] == "" {
			u := d.live[id]
			out = append(out, User{LMSID: id, Email: u.Email, Name: u.Name})
		}
	}
	return out
}
