// Package report renders a reconcile.Plan for people and programs. It decides
// nothing: every word it prints comes from the plan.
package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/oktalms/oktalms/reconcile"
)

// FormatVersion is the version of the JSON report's shape. It changes only
// when a name is removed or changes meaning; new names may appear in any version.
const FormatVersion = 1

// Formats lists the formats Write accepts.
var Formats = []string{"text", "json", "csv", "html"}

// Write renders the plan in the named format.
func Write(w io.Writer, format string, p reconcile.Plan) error {
	switch format {
	case "text":
		return Text(w, p)
	case "json":
		return JSON(w, p)
	case "csv":
		return CSV(w, p)
	case "html":
		return HTML(w, p)
	default:
		return fmt.Errorf("unknown report format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
}

var symbols = map[reconcile.Action]string{
	reconcile.ActionLink:          "=",
	reconcile.ActionCreate:        "+",
	reconcile.ActionUpdate:        "~",
	reconcile.ActionReactivate:    "↺",
	reconcile.ActionArchive:       "-",
	reconcile.ActionGroupCreate:   "+",
	reconcile.ActionGroupLink:     "=",
	reconcile.ActionGroupRename:   "~",
	reconcile.ActionMemberAdd:     "+",
	reconcile.ActionManagerAdd:    "+",
	reconcile.ActionMemberRemove:  "-",
	reconcile.ActionManagerRemove: "-",
	reconcile.ActionGroupArchive:  "-",
}

// Text writes the terraform-like report: one block per op with its field
// changes, the ops the safety guards held back, the per-person problems, then
// one summary line.
// It streams: the report of 100,000 creates is never held whole in memory.
func Text(w io.Writer, p reconcile.Plan) error {
	b := bufio.NewWriter(w)
	switch {
	case !p.Empty():
		b.WriteString("oktalms will perform the following actions:\n")
		for _, op := range p.Ops {
			b.WriteString("\n")
			writeOp(b, op)
		}
	case len(p.Held) == 0:
		b.WriteString("No changes. The LMS matches Okta.\n")
	}
	if len(p.Held) > 0 || len(p.Guards) > 0 {
		if !p.Empty() {
			b.WriteString("\n")
		}
		b.WriteString("Safety guards (held ops are not applied):\n")
		for _, g := range p.Guards {
			fmt.Fprintf(b, "  ⚠ %s\n", g)
		}
		for _, op := range p.Held {
			fmt.Fprintf(b, "  ⏸ %s %s  held by %s\n", op.Action, subject(op), op.HeldBy)
		}
	}
	writeProblems(b, p.Problems, false, "Problems (these people, or these fields, are left as they are):")
	writeProblems(b, p.Problems, true, "Warnings (corrected and applied):")
	b.WriteString("\n" + SummaryLine(p) + "\n")
	return b.Flush()
}

func writeOp(b *bufio.Writer, op reconcile.Op) {
	fmt.Fprintf(b, "  %s %s %s\n      # %s\n", symbols[op.Action], op.Action, subject(op), op.Reason)
	if op.Restore {
		b.WriteString("      restore archived account\n")
	}
	width := 0
	for _, c := range op.Changes {
		width = max(width, len(c.Field))
	}
	for _, c := range op.Changes {
		if op.Action == reconcile.ActionCreate {
			fmt.Fprintf(b, "      %-*s = %q\n", width, c.Field, c.After)
			continue
		}
		fmt.Fprintf(b, "      %-*s : %q → %q\n", width, c.Field, c.Before, c.After)
	}
}

// subject is what an op acts on, as its line names it: a person, a group,
// or a person in a group.
func subject(op reconcile.Op) string {
	group := fmt.Sprintf("group %q", op.GroupName)
	switch {
	case op.Action.OnGroup():
		if op.GroupLMSID != "" {
			group += " lms:" + op.GroupLMSID
		}
		return group + "  okta:" + op.GroupOktaID
	case op.Action.OnMembership():
		return op.Email + ids(op) + " in " + group
	}
	return op.Email + ids(op)
}

// ids is what follows an op's email on its line: " (name)  okta:id lms:id".
func ids(op reconcile.Op) string {
	var s string
	if op.Name != "" {
		s = " (" + op.Name + ")"
	}
	s += "  okta:" + op.OktaID
	if op.LMSID != "" {
		s += " lms:" + op.LMSID
	}
	return s
}

// writeProblems writes the problems, or the warnings, under a title.
func writeProblems(b *bufio.Writer, problems []reconcile.Problem, warnings bool, title string) {
	first := true
	for _, pr := range problems {
		if pr.Warning != warnings {
			continue
		}
		if first {
			b.WriteString("\n" + title + "\n")
			first = false
		}
		fmt.Fprintf(b, "  ! %s: %s %q: %s\n", who(pr), pr.Field, pr.Value, pr.Message)
	}
}

func who(pr reconcile.Problem) string {
	if pr.Login != "" {
		return pr.Login + " (okta:" + pr.OktaID + ")"
	}
	return "okta:" + pr.OktaID
}

// SummaryLine is the one-line count of a plan, as the text report ends.
func SummaryLine(p reconcile.Plan) string {
	n := p.Count()
	line := fmt.Sprintf("Plan: %d to link, %d to create, %d to update, %d to reactivate, %d to archive.",
		n[reconcile.ActionLink], n[reconcile.ActionCreate], n[reconcile.ActionUpdate],
		n[reconcile.ActionReactivate], n[reconcile.ActionArchive])
	var groups, adds, removes int
	for a, k := range n {
		switch {
		case a.OnGroup():
			groups += k
		case a.OnMembership() && a.Destructive():
			removes += k
		case a.OnMembership():
			adds += k
		}
	}
	if groups+adds+removes > 0 {
		line += fmt.Sprintf(" Groups: %d to create, link, rename or archive; %d memberships to add, %d to remove.", groups, adds, removes)
	}
	if len(p.Held) > 0 {
		line += fmt.Sprintf(" %d held.", len(p.Held))
	}
	if len(p.Problems) > 0 {
		line += fmt.Sprintf(" %d %s.", len(p.Problems), plural(len(p.Problems), "problem", "problems"))
	}
	return line
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// jsonReport is the documented shape of the JSON report (format_version 1).
type jsonReport struct {
	FormatVersion int             `json:"format_version"`
	Summary       map[string]int  `json:"summary"`
	Operations    []jsonOperation `json:"operations"`
	Held          []jsonOperation `json:"held"`
	Guards        []string        `json:"guards"`
	Problems      []jsonProblem   `json:"problems"`
}

type jsonOperation struct {
	Action  string       `json:"action"`
	OktaID  string       `json:"okta_id"`
	LMSID   string       `json:"lms_id,omitempty"`
	Email   string       `json:"email"`
	Name    string       `json:"name"`
	Restore bool         `json:"restore,omitempty"`
	Reason  string       `json:"reason"`
	Changes []jsonChange `json:"changes"`
	HeldBy  string       `json:"held_by,omitempty"`
}

type jsonChange struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

type jsonProblem struct {
	OktaID   string `json:"okta_id"`
	Login    string `json:"login,omitempty"`
	Field    string `json:"field"`
	Value    string `json:"value"`
	Message  string `json:"message"`
	SkipUser bool   `json:"skip_user"`
	Warning  bool   `json:"warning,omitempty"`
}

// JSON writes the machine-readable report. Within a FormatVersion its names
// are stable, and every array is present, empty rather than null:
//
//	format_version  1
//	summary         link, create, update, reactivate, archive: planned ops of
//	                each action; held: ops held back; problems
//	operations      the ops to apply, in order, each with
//	                  action, okta_id, lms_id (absent on a create), email, name,
//	                  restore (true on a link that restores an archived account),
//	                  reason, changes: [{field, before, after}]
//	held            ops a safety guard kept back: the same object plus held_by,
//	                the guard's config key (e.g. "safety.max_archives")
//	guards          one sentence per guard that held ops back
//	problems        okta_id, login, field, value, message, skip_user
//
// A custom field's change is named "custom:<name>".
func JSON(w io.Writer, p reconcile.Plan) error {
	r := jsonReport{FormatVersion: FormatVersion, Summary: map[string]int{},
		Operations: jsonOps(p.Ops), Held: jsonOps(p.Held), Guards: append([]string{}, p.Guards...),
		Problems: []jsonProblem{}}
	for _, a := range reconcile.Actions {
		r.Summary[string(a)] = 0
	}
	for a, n := range p.Count() {
		r.Summary[string(a)] = n
	}
	r.Summary["held"] = len(p.Held)
	r.Summary["problems"] = len(p.Problems)
	for _, pr := range p.Problems {
		r.Problems = append(r.Problems, jsonProblem(pr))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func jsonOps(ops []reconcile.Op) []jsonOperation {
	out := []jsonOperation{}
	for _, op := range ops {
		jo := jsonOperation{Action: string(op.Action), OktaID: op.OktaID, LMSID: op.LMSID, Email: op.Email,
			Name: op.Name, Restore: op.Restore, Reason: op.Reason, Changes: []jsonChange{}, HeldBy: op.HeldBy}
		for _, c := range op.Changes {
			jo.Changes = append(jo.Changes, jsonChange(c))
		}
		out = append(out, jo)
	}
	return out
}
