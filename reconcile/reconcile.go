// Package reconcile is the pure core of oktalms: it compares the people Okta
// says should be in the LMS with what oktalms last applied (and, when listed,
// what the LMS holds) and computes the operations that close the gap.
//
// It performs no I/O, reads no clock and uses no randomness: the same input
// always yields the same plan, byte for byte. Everything clever — matching,
// normalising, change detection — lives here, where it is cheapest to test.
package reconcile

import (
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Canonical field names of User.Fields. They are Lessonly's wire names; other
// targets translate them.
const (
	FieldJobTitle     = "job_title"
	FieldDepartment   = "department"
	FieldBusinessUnit = "business_unit"
	FieldLocation     = "location"
	FieldHireDate     = "hire_date" // always YYYY-MM-DD
	FieldManagerName  = "manager_name"
	FieldLocale       = "locale"
	// FieldManagerEmail is the manager's email, for LMSs that link a person
	// to their manager's account (Learn Amp's managerEmail, SCIM's manager).
	FieldManagerEmail = "manager_email"
)

// KnownFields lists every canonical field, in display order.
var KnownFields = []string{
	FieldJobTitle, FieldDepartment, FieldBusinessUnit, FieldLocation,
	FieldHireDate, FieldManagerName, FieldManagerEmail, FieldLocale,
}

// Change keys used besides the canonical fields.
const (
	ChangeEmail  = "email"
	ChangeName   = "name"
	ChangeExtUID = "ext_uid"
	ChangeRole   = "role"
	// CustomPrefix starts the change key of a custom field: "custom:Employee ID".
	CustomPrefix = "custom:"
)

// User is the canonical record of one person, on either side.
type User struct {
	OktaID string            `json:"okta_id,omitempty"`
	LMSID  string            `json:"lms_id,omitempty"`
	ExtUID string            `json:"ext_uid,omitempty"` // the LMS's external id; set only on listed LMS accounts
	Email  string            `json:"email"`
	Name   string            `json:"name"`
	Role   string            `json:"role,omitempty"`
	Active bool              `json:"active"`
	Fields map[string]string `json:"fields,omitempty"`
	Custom map[string]string `json:"custom,omitempty"`
}

// Group is a group on either side: an Okta group mirrored in the LMS.
// Members and Managers are Okta user ids in a desired state, LMS user ids
// in a listing of the LMS.
type Group struct {
	OktaID   string   `json:"okta_id,omitempty"`
	LMSID    string   `json:"lms_id,omitempty"`
	Name     string   `json:"name"`
	Members  []string `json:"members,omitempty"`
	Managers []string `json:"managers,omitempty"`
}

// State is one side's view of the population.
type State struct {
	Users []User `json:"users"`
	// Groups are the groups mirrored in the LMS: in a desired state, the
	// synced Okta groups with Okta ids as members; recorded, what was applied.
	Groups []Group `json:"groups,omitempty"`
	// Problems are per-person input errors found while reading the side.
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is a per-person input error: that person (or only that field of
// theirs) is left alone this run, everyone else syncs.
type Problem struct {
	OktaID  string `json:"okta_id"`
	Login   string `json:"login,omitempty"`
	Field   string `json:"field"`
	Value   string `json:"value"`
	Message string `json:"message"`
	// SkipUser leaves the whole person untouched; otherwise only Field is.
	SkipUser bool `json:"skip_user"`
	// Warning says the value was corrected and applied (a name with
	// characters the LMS refuses): nothing is held back.
	Warning bool `json:"warning,omitempty"`
}

// HeldBack reports whether any problem held a person or a field back; warnings do not.
func HeldBack(problems []Problem) bool {
	for _, p := range problems {
		if !p.Warning {
			return true
		}
	}
	return false
}

// SkipsUser reports whether any of the problems leaves the whole person untouched.
func SkipsUser(problems []Problem) bool {
	for _, p := range problems {
		if p.SkipUser {
			return true
		}
	}
	return false
}

// Action is what an Op does to one LMS account.
type Action string

// The actions on people.
const (
	ActionLink       Action = "link"
	ActionCreate     Action = "create"
	ActionUpdate     Action = "update"
	ActionReactivate Action = "reactivate"
	ActionArchive    Action = "archive"
)

// The actions on groups and their memberships.
const (
	ActionGroupCreate   Action = "group-create"
	ActionGroupLink     Action = "group-link"
	ActionGroupRename   Action = "group-rename"
	ActionMemberAdd     Action = "member-add"
	ActionManagerAdd    Action = "manager-add"
	ActionMemberRemove  Action = "member-remove"
	ActionManagerRemove Action = "manager-remove"
	ActionGroupArchive  Action = "group-archive"
)

// Actions lists every action in plan order: groups first, so that people
// can join them; people, created before anyone refers to them; memberships;
// and the destructive ones last, skipped after any failure.
var Actions = []Action{
	ActionGroupCreate, ActionGroupLink, ActionGroupRename,
	ActionLink, ActionCreate, ActionUpdate, ActionReactivate,
	ActionMemberAdd, ActionManagerAdd,
	ActionMemberRemove, ActionManagerRemove, ActionArchive, ActionGroupArchive,
}

// Destructive reports whether the action removes access or data.
func (a Action) Destructive() bool {
	switch a {
	case ActionArchive, ActionMemberRemove, ActionManagerRemove, ActionGroupArchive:
		return true
	}
	return false
}

// OnGroup reports whether the action concerns a group rather than a person's account.
func (a Action) OnGroup() bool {
	switch a {
	case ActionGroupCreate, ActionGroupLink, ActionGroupRename, ActionGroupArchive:
		return true
	}
	return false
}

// OnMembership reports whether the action adds or removes a person in a group.
func (a Action) OnMembership() bool {
	switch a {
	case ActionMemberAdd, ActionManagerAdd, ActionMemberRemove, ActionManagerRemove:
		return true
	}
	return false
}

// Change is one field's move from Before to After.
type Change struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Op is one operation on one LMS account.
type Op struct {
	Action Action `json:"action"`
	OktaID string `json:"okta_id"`
	LMSID  string `json:"lms_id,omitempty"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	// Changes lists only the fields that differ; a create lists every field it sets.
	Changes []Change `json:"changes,omitempty"`
	// Restore is set on a link of an archived account: restore it first.
	Restore bool `json:"restore,omitempty"`
	// Record is what the snapshot holds once the op is applied.
	Record User `json:"record"`
	// Reason is shown to people; it never drives a decision.
	Reason string `json:"reason"`
	// HeldBy names the safety guard that kept this op back (in Plan.Held only).
	HeldBy string `json:"held_by,omitempty"`
	// The group of a group or membership op. GroupLMSID is empty until the
	// group exists: the runner fills it from the group-create applied before.
	GroupOktaID string `json:"group_okta_id,omitempty"`
	GroupLMSID  string `json:"group_lms_id,omitempty"`
	GroupName   string `json:"group_name,omitempty"`
	// GroupRecord is what the snapshot holds of the group once a group op is applied.
	GroupRecord *Group `json:"group_record,omitempty"`
	// SecondPass marks an update of fields naming other people: it runs
	// after every create, update and reactivation, once those people exist.
	SecondPass bool `json:"second_pass,omitempty"`
}

// Changed reports whether the op changes the field with this key.
func (o Op) Changed(key string) bool {
	for _, c := range o.Changes {
		if c.Field == key {
			return true
		}
	}
	return false
}

// Plan is the ordered operations of one run and the problems that held people back.
type Plan struct {
	Ops []Op `json:"ops"`
	// Held are destructive ops a safety guard kept back: shown, never applied.
	Held []Op `json:"held,omitempty"`
	// Guards explain, one sentence each, why ops were held.
	Guards   []string  `json:"guards,omitempty"`
	Problems []Problem `json:"problems,omitempty"`
}

// Count returns how many ops of each action the plan holds.
func (p Plan) Count() map[Action]int {
	n := make(map[Action]int, len(Actions))
	for _, op := range p.Ops {
		n[op.Action]++
	}
	return n
}

// Empty reports whether the plan changes nothing.
func (p Plan) Empty() bool { return len(p.Ops) == 0 }

// Options says which fields the mapping manages: only those are compared, so
// an LMS field nobody mapped is never cleared.
type Options struct {
	Fields       []string
	CustomFields []string
	// ManageRole makes the role follow Okta on every run (mapping.roles);
	// otherwise it is set at creation only.
	ManageRole bool
	// SecondPass are change keys naming other people (a manager's email):
	// a create leaves them to an update planned after every create.
	SecondPass []string
	Groups     GroupOptions
	// CreateOnly are change keys (a field, "custom:<name>") set when an
	// account is created and never updated: an admin may change them by hand.
	CreateOnly []string
}

// Diff computes the plan that brings the LMS from recorded (what oktalms last
// applied) to desired (the Okta pull). live is the LMS listing, nil when the
// LMS was not listed this run; when present, accounts oktalms does not know yet
// are linked instead of duplicated, and known accounts are compared with what
// the LMS actually holds.
func Diff(desired, recorded State, live *State, opts Options) Plan {
	d := newDiffer(desired, recorded, live, opts)
	for _, want := range d.desired {
		d.planUser(want)
	}
	d.planGroups(desired, recorded, live)
	for _, rec := range d.recorded {
		if _, inScope := d.inScope[rec.OktaID]; !inScope && rec.Active && d.exists(rec) {
			before := d.current(rec)
			after := before
			after.Active = false
			d.add(Op{Action: ActionArchive, OktaID: rec.OktaID, LMSID: before.LMSID, Email: before.Email,
				Name: before.Name, Record: after, Reason: "no longer in the Okta scope"})
		}
	}
	return d.plan()
}

type differ struct {
	opts     Options
	desired  []User
	recorded map[string]User     // by Okta id
	live     map[string]User     // by LMS id; nil when not listed
	liveExt  map[string]User     // by ext_uid
	liveMail map[string]User     // by lower-cased email; the LMS keeps emails unique
	claimed  map[string]string   // LMS id → Okta id of the recorded owner
	inScope  map[string]struct{} // Okta ids desired or held back by a problem
	skipped  map[string]map[string]bool
	ops      []Op
	problems []Problem
}

func newDiffer(desired, recorded State, live *State, opts Options) *differ {
	d := &differ{
		opts:     opts,
		recorded: make(map[string]User, len(recorded.Users)),
		claimed:  make(map[string]string, len(recorded.Users)),
		inScope:  make(map[string]struct{}, len(desired.Users)),
		skipped:  make(map[string]map[string]bool),
		problems: append([]Problem(nil), desired.Problems...),
	}
	for _, u := range recorded.Users {
		u = Normalize(u)
		d.recorded[u.OktaID] = u
		if u.LMSID != "" {
			d.claimed[u.LMSID] = u.OktaID
		}
	}
	if live != nil {
		d.live = make(map[string]User, len(live.Users))
		d.liveExt = make(map[string]User, len(live.Users))
		d.liveMail = make(map[string]User, len(live.Users))
		for _, u := range live.Users {
			u = Normalize(u)
			d.live[u.LMSID] = u
			if u.ExtUID != "" {
				d.liveExt[u.ExtUID] = u
			}
			d.liveMail[u.Email] = u
		}
	}
	for _, p := range desired.Problems {
		d.inScope[p.OktaID] = struct{}{}
		if p.Warning {
			continue // corrected and applied: nothing to hold back
		}
		if d.skipped[p.OktaID] == nil {
			d.skipped[p.OktaID] = map[string]bool{}
		}
		if p.SkipUser {
			d.skipped[p.OktaID][""] = true
		} else {
			d.skipped[p.OktaID][p.Field] = true
		}
	}
	d.desired = d.withoutDuplicateEmails(desired.Users)
	for _, u := range d.desired {
		d.inScope[u.OktaID] = struct{}{}
	}
	d.holdUnsyncedManagers()
	return d
}

// holdUnsyncedManagers holds back a manager_email that names nobody the LMS
// will have an account for: an LMS that links a person to their manager's
// account (Learn Amp, SCIM) refuses it, and would on every run.
func (d *differ) holdUnsyncedManagers() {
	if !slices.Contains(d.opts.SecondPass, FieldManagerEmail) || !slices.Contains(d.opts.Fields, FieldManagerEmail) {
		return
	}
	synced := make(map[string]bool, len(d.desired))
	for _, u := range d.desired {
		if u.Active {
			synced[u.Email] = true
		}
	}
	for _, u := range d.desired {
		manager := u.Fields[FieldManagerEmail]
		if manager == "" || synced[manager] || d.skipped[u.OktaID][FieldManagerEmail] {
			continue
		}
		d.problems = append(d.problems, Problem{OktaID: u.OktaID, Login: u.Email, Field: FieldManagerEmail, Value: manager,
			Message: "the manager is not an active person in the Okta scope, so the LMS has no account to link; add them to the scope"})
		if d.skipped[u.OktaID] == nil {
			d.skipped[u.OktaID] = map[string]bool{}
		}
		d.skipped[u.OktaID][FieldManagerEmail] = true
	}
}

// withoutDuplicateEmails normalises the desired users and holds back every
// active person whose email another active person also has: picking one would
// be a guess, so neither is applied and both are reported.
func (d *differ) withoutDuplicateEmails(users []User) []User {
	counted := func(u User) bool { return u.Active && !d.skipped[u.OktaID][""] }
	owners := make(map[string]int, len(users)) // active people by email
	for i := range users {
		users[i] = Normalize(users[i])
		if counted(users[i]) {
			owners[users[i].Email]++
		}
	}
	shared := map[string][]string{} // the Okta ids of each email more than one owns
	for _, u := range users {
		if counted(u) && owners[u.Email] > 1 {
			shared[u.Email] = append(shared[u.Email], u.OktaID)
		}
	}
	kept := make([]User, 0, len(users))
	for _, u := range users {
		if u.Active && owners[u.Email] > 1 {
			d.inScope[u.OktaID] = struct{}{}
			d.problems = append(d.problems, Problem{OktaID: u.OktaID, Login: u.Email, Field: ChangeEmail, Value: u.Email,
				Message:  "the same email belongs to Okta users " + strings.Join(shared[u.Email], ", ") + "; none of them is applied",
				SkipUser: true})
			continue
		}
		if d.skipped[u.OktaID][""] {
			continue
		}
		kept = append(kept, u)
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].OktaID < kept[j].OktaID })
	return kept
}

// exists reports whether a recorded account is still in the LMS, as far as
// this run knows: without a listing, the snapshot is the record.
func (d *differ) exists(rec User) bool {
	if d.live == nil {
		return true
	}
	_, ok := d.live[rec.LMSID]
	return ok
}

// current is what the LMS holds for a recorded person: the live account when
// listed, else the record of what oktalms last applied.
func (d *differ) current(rec User) User {
	if d.live == nil {
		return rec
	}
	acct, ok := d.live[rec.LMSID]
	if !ok {
		return rec
	}
	acct.OktaID = rec.OktaID
	return acct
}

func (d *differ) planUser(want User) {
	if rec, ok := d.recorded[want.OktaID]; ok {
		if !d.exists(rec) {
			if want.Active {
				d.planCreate(want, "the LMS account oktalms applied is gone")
			}
			return
		}
		d.planKnown(want, d.current(rec))
		return
	}
	if !want.Active {
		return // never create, or adopt, someone Okta has deactivated
	}
	if d.live != nil {
		acct, rule, ok := d.match(want)
		if ok {
			d.planLink(want, acct, rule)
			return
		}
		if rule != "" {
			d.problems = append(d.problems, Problem{OktaID: want.OktaID, Login: want.Email, Field: ChangeEmail,
				Value: want.Email, Message: rule, SkipUser: true})
			return
		}
	}
	d.planCreate(want, "new in the Okta scope")
}

// match finds the unclaimed LMS account of a person oktalms has not seen yet:
// by ext_uid first, then by email. With ok false, a non-empty rule explains why
// an account with the email exists but cannot be adopted.
func (d *differ) match(want User) (acct User, rule string, ok bool) {
	if a, found := d.liveExt[want.OktaID]; found {
		if _, taken := d.claimed[a.LMSID]; !taken {
			return a, "matched by ext_uid", true
		}
	}
	a, found := d.liveMail[want.Email]
	switch {
	case !found:
		return User{}, "", false
	case d.claimed[a.LMSID] != "":
		return User{}, "LMS account " + a.LMSID + " with this email already belongs to Okta user " + d.claimed[a.LMSID], false
	case a.ExtUID != "" && a.ExtUID != want.OktaID:
		return User{}, "LMS account " + a.LMSID + " with this email has ext_uid " + a.ExtUID + ", another Okta user's id", false
	}
	return a, "matched by email", true
}

func (d *differ) planCreate(want User, reason string) {
	after := d.keepSkipped(want, User{}, true)
	after.LMSID = ""
	// Fields naming other people wait for a second pass: the people they
	// name may be created in this same run.
	first := withoutKeys(after, d.opts.SecondPass)
	d.add(Op{Action: ActionCreate, OktaID: want.OktaID, Email: after.Email, Name: after.Name,
		Changes: d.changes(User{}, first), Record: first, Reason: reason})
	if second := d.changes(first, after); len(second) > 0 {
		d.add(Op{Action: ActionUpdate, OktaID: want.OktaID, Email: after.Email, Name: after.Name,
			Changes: second, Record: after, Reason: "second pass: names people created in this run", SecondPass: true})
	}
}

// splitChanges separates the changes of the keys from the others.
func splitChanges(changes []Change, keys []string) (others, of []Change) {
	for _, c := range changes {
		if slices.Contains(keys, c.Field) {
			of = append(of, c)
		} else {
			others = append(others, c)
		}
	}
	return others, of
}

// withKeysOf returns u with the fields of the change keys as in from: the
// record of a first pass, which leaves those fields to the second, or a
// record whose held-back fields keep what the LMS has.
func withKeysOf(u, from User, keys []string) User {
	u.Fields, u.Custom = cloneMap(u.Fields), cloneMap(u.Custom)
	for _, key := range keys {
		if name, ok := strings.CutPrefix(key, CustomPrefix); ok {
			setOrDelete(u.Custom, name, from.Custom[name])
			continue
		}
		setOrDelete(u.Fields, key, from.Fields[key])
	}
	return u
}

// withoutKeys returns u without the fields of the change keys; u itself,
// maps shared, when it has none of them.
func withoutKeys(u User, keys []string) User {
	if !slices.ContainsFunc(keys, u.has) {
		return u
	}
	u.Fields, u.Custom = cloneMap(u.Fields), cloneMap(u.Custom)
	for _, key := range keys {
		if name, ok := strings.CutPrefix(key, CustomPrefix); ok {
			delete(u.Custom, name)
			continue
		}
		delete(u.Fields, key)
	}
	return u
}

// has reports whether u has a value for the change key.
func (u User) has(key string) bool {
	if name, ok := strings.CutPrefix(key, CustomPrefix); ok {
		_, in := u.Custom[name]
		return in
	}
	_, in := u.Fields[key]
	return in
}

func (d *differ) planLink(want, acct User, rule string) {
	after := d.keepSkipped(want, acct, false)
	after.LMSID = acct.LMSID
	if !d.opts.ManageRole {
		after.Role = acct.Role // linking adopts the account as it is; its role was set by hand
	}
	changes := d.changes(acct, after)
	if acct.ExtUID != want.OktaID {
		changes = append([]Change{{Field: ChangeExtUID, Before: acct.ExtUID, After: want.OktaID}}, changes...)
	}
	d.claimed[acct.LMSID] = want.OktaID
	reason := "existing LMS account " + rule
	if !acct.Active {
		reason += ", archived: restore"
	}
	d.add(Op{Action: ActionLink, OktaID: want.OktaID, LMSID: acct.LMSID, Email: after.Email, Name: after.Name,
		Changes: changes, Restore: !acct.Active, Record: after, Reason: reason})
}

func (d *differ) planKnown(want, before User) {
	after := d.keepSkipped(want, before, false)
	after.LMSID = before.LMSID
	if !d.opts.ManageRole {
		after.Role = before.Role // the role is set at creation; an admin may raise it by hand
	}
	op := Op{OktaID: want.OktaID, LMSID: before.LMSID, Email: after.Email, Name: after.Name, Record: after}
	switch {
	case want.Active && !before.Active:
		op.Action, op.Reason = ActionReactivate, "active in the Okta scope again"
		op.Changes = d.changes(before, after)
	case !want.Active && before.Active:
		archived := before
		archived.Active = false
		op.Action, op.Reason, op.Record = ActionArchive, "deactivated in Okta", archived
		op.Email, op.Name = before.Email, before.Name
	case want.Active:
		op.Action, op.Reason = ActionUpdate, "changed in Okta"
		if op.Changes = d.changes(before, after); len(op.Changes) == 0 {
			return
		}
	default:
		return
	}
	// Fields naming other people go in a second pass: the person named may
	// change email, or be reactivated, in this same run.
	first, second := splitChanges(op.Changes, d.opts.SecondPass)
	if len(second) > 0 && op.Action != ActionArchive {
		ref := op
		ref.Action, ref.Changes, ref.SecondPass = ActionUpdate, second, true
		ref.Reason = "second pass: names other people"
		d.add(ref)
		op.Changes = first
		op.Record = withKeysOf(after, before, d.opts.SecondPass)
		if op.Action == ActionUpdate && len(first) == 0 {
			return
		}
	}
	d.add(op)
}

// keepSkipped returns want with every field held back by a problem — and,
// unless creating, every create-only field — set to its value in before, so
// that a bad value, or a value an admin owns, changes nothing.
func (d *differ) keepSkipped(want, before User, creating bool) User {
	held := d.skipped[want.OktaID]
	if len(held) == 0 && (creating || len(d.opts.CreateOnly) == 0) {
		return want
	}
	keys := make([]string, 0, len(held)+len(d.opts.CreateOnly))
	for key := range held {
		keys = append(keys, key)
	}
	if !creating {
		keys = append(keys, d.opts.CreateOnly...)
	}
	return withKeysOf(want, before, keys)
}

// changes lists the managed fields that differ between before and after, in a
// fixed order: email, name, mapped fields, custom fields.
func (d *differ) changes(before, after User) []Change {
	// Gathered on the stack, then copied at their exact size: a plan of
	// 100,000 creates holds half a million of them.
	var buf [16]Change
	out := buf[:0]
	add := func(key, b, a string) {
		if b != a {
			out = append(out, Change{Field: key, Before: b, After: a})
		}
	}
	add(ChangeEmail, before.Email, after.Email)
	add(ChangeName, before.Name, after.Name)
	if d.opts.ManageRole {
		add(ChangeRole, before.Role, after.Role)
	}
	for _, f := range d.opts.Fields {
		add(f, before.Fields[f], after.Fields[f])
	}
	for _, c := range d.opts.CustomFields {
		if b, a := before.Custom[c], after.Custom[c]; b != a { // the key is built only when needed
			add(CustomPrefix+c, b, a)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return slices.Clone(out)
}

func (d *differ) add(op Op) { d.ops = append(d.ops, op) }

func (d *differ) plan() Plan {
	rank := make(map[Action]int, len(Actions))
	for i, a := range Actions {
		rank[a] = i
	}
	// A second-pass update ranks after the reactivations: between the
	// people's ops and the memberships.
	order := func(op Op) float64 {
		if op.SecondPass {
			return float64(rank[ActionReactivate]) + 0.5
		}
		return float64(rank[op.Action])
	}
	sort.SliceStable(d.ops, func(i, j int) bool {
		a, b := d.ops[i], d.ops[j]
		if order(a) != order(b) {
			return order(a) < order(b)
		}
		if a.GroupName != b.GroupName {
			return a.GroupName < b.GroupName
		}
		if a.Email != b.Email {
			return a.Email < b.Email
		}
		return a.OktaID < b.OktaID
	})
	sort.SliceStable(d.problems, func(i, j int) bool {
		if d.problems[i].OktaID != d.problems[j].OktaID {
			return d.problems[i].OktaID < d.problems[j].OktaID
		}
		return d.problems[i].Field < d.problems[j].Field
	})
	return Plan{Ops: d.ops, Problems: d.problems}
}

// Normalize trims every value, lower-cases the email and drops empty fields,
// so that values that mean the same compare equal. Unicode normalisation
// (NFC) is the reading side's job: it needs a library this package must not import.
func Normalize(u User) User {
	u.OktaID = strings.TrimSpace(u.OktaID)
	u.LMSID = strings.TrimSpace(u.LMSID)
	u.ExtUID = strings.TrimSpace(u.ExtUID)
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	u.Name = collapseSpaces(u.Name)
	u.Role = strings.TrimSpace(u.Role)
	u.Fields = normalizeMap(u.Fields, FieldManagerEmail) // an email: its case means nothing
	u.Custom = normalizeMap(u.Custom, "")
	return u
}

// collapseSpaces trims s and turns every run of white space in it into one
// space. A name that needs nothing is returned as it is: populations are
// large, and mostly clean.
func collapseSpaces(s string) string {
	afterSpace := true // a leading space is one too many
	for _, r := range s {
		space := unicode.IsSpace(r)
		if space && (afterSpace || r != ' ') {
			return strings.Join(strings.Fields(s), " ")
		}
		afterSpace = space
	}
	if afterSpace && s != "" {
		return strings.TrimRight(s, " ")
	}
	return s
}

// normalizeMap trims the values of m, lower-cases the value of lowerKey and
// drops empty values. It returns m itself when nothing needs it, else a
// copy: maps are never changed in place, so the two sides may share them.
func normalizeMap(m map[string]string, lowerKey string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	clean := func(k, v string) string {
		v = strings.TrimSpace(v)
		if k == lowerKey {
			v = strings.ToLower(v)
		}
		return v
	}
	changed := false
	for k, v := range m {
		if v == "" || clean(k, v) != v {
			changed = true
			break
		}
	}
	if !changed {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v = clean(k, v); v != "" {
			out[k] = v
		}
	}
	return out
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func setOrDelete(m map[string]string, k, v string) {
	if v == "" {
		delete(m, k)
		return
	}
	m[k] = v
}
