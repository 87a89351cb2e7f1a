package reconcile

import (
	"fmt"
	"path"
	"strings"
)

// Safety guard keys: each names the config key of the guard, shown as an
// op's HeldBy.
const (
	GuardProtected      = "safety.protected"
	GuardMisses         = "safety.archive_after_misses"
	GuardMaxArchives    = "safety.max_archives"
	GuardMaxArchivePct  = "safety.max_archive_percent"
	GuardMaxShrinkPct   = "safety.max_shrink_percent"
	guardForcedSentence = "--force: the safety brakes are released for this run"
)

// brakes are the guards that stop a run short (exit 3) and --force releases.
// The others are policy: a protected person is never touched, a leaver is
// archived only after enough misses.
var brakes = map[string]bool{GuardMaxArchives: true, GuardMaxArchivePct: true, GuardMaxShrinkPct: true}

// Safety is the configuration of the guards on destructive ops.
type Safety struct {
	// MaxArchives caps the archives of one run (0: no cap).
	MaxArchives int
	// MaxArchivePercent caps them as a percentage of the active people in
	// the snapshot (0: no cap).
	MaxArchivePercent float64
	// MaxShrinkPercent holds every archive when the active people in scope
	// are fewer than the snapshot's by more than this percentage: an empty
	// or truncated Okta read must never look like a mass departure (0: no cap).
	MaxShrinkPercent float64
	// ArchiveAfterMisses is how many runs in a row a person must be out of
	// scope (or deactivated) before the archive (1: at once).
	ArchiveAfterMisses int
	// Protected are emails or glob patterns (path.Match, case-insensitive):
	// never archived nor changed.
	Protected []string
	// Force releases the brakes for this run.
	Force bool
}

// Guard applies the safety guards to a plan from Diff. recorded is the
// snapshot Diff was given, desired the Okta pull; misses counts, by Okta id,
// the earlier consecutive runs each person was already out of scope.
// Held ops leave Ops for Held, with the guard's key in HeldBy and one
// sentence per breach in Guards. Destructive ops are all held or all kept:
// holding some of them would be an arbitrary choice of whom to archive.
// Guard consumes p: the ops it keeps are moved up in p.Ops's own array, as
// slices.DeleteFunc does, so that a plan of 100,000 creates is not copied.
func Guard(p Plan, desired, recorded State, misses map[string]int, s Safety) Plan {
	out := guard(p, desired, recorded, misses, s)
	clear(p.Ops[len(out.Ops):]) // what moved or left is not kept alive twice
	return out
}

func guard(p Plan, desired, recorded State, misses map[string]int, s Safety) Plan {
	out := Plan{Ops: p.Ops[:0], Problems: p.Problems, Held: p.Held, Guards: p.Guards}
	var recordedEmails map[string]string // only needed to protect someone whose email changes
	if len(s.Protected) > 0 {
		recordedEmails = make(map[string]string, len(recorded.Users))
		for _, u := range recorded.Users {
			recordedEmails[u.OktaID] = u.Email
		}
	}
	var archives []Op
	for _, op := range p.Ops {
		switch {
		case protected(op.Email, s.Protected) || protected(recordedEmails[op.OktaID], s.Protected):
			op.HeldBy = GuardProtected
			out.Held = append(out.Held, op)
		case op.Action == ActionArchive && misses[op.OktaID]+1 < s.ArchiveAfterMisses:
			op.HeldBy = GuardMisses
			op.Reason = fmt.Sprintf("%s; out of scope %d of the %d runs in a row safety.archive_after_misses asks",
				op.Reason, misses[op.OktaID]+1, s.ArchiveAfterMisses)
			out.Held = append(out.Held, op)
		case op.Action.Destructive():
			archives = append(archives, op)
		default:
			out.Ops = append(out.Ops, op)
		}
	}
	if len(archives) == 0 {
		return out
	}
	breach := brake(archives, inScope(desired), activeCount(recorded.Users), s)
	switch {
	case breach.key == "":
		out.Ops = append(out.Ops, archives...)
	case s.Force:
		out.Guards = append(out.Guards, breach.sentence+"; "+guardForcedSentence)
		out.Ops = append(out.Ops, archives...)
	default:
		out.Guards = append(out.Guards, breach.sentence+"; none of them this run (--force to apply them)")
		for _, op := range archives {
			op.HeldBy = breach.key
			out.Held = append(out.Held, op)
		}
	}
	return out
}

type breach struct{ key, sentence string }

// brake returns the first brake the destructive ops breach, if any.
func brake(destructive []Op, inScope, recorded int, s Safety) breach {
	archives := len(destructive)
	what := "archives"
	for _, op := range destructive {
		if op.Action != ActionArchive {
			what = "destructive ops (archives, membership removals)"
			break
		}
	}
	if s.MaxShrinkPercent > 0 && recorded > 0 {
		if shrink := 100 * float64(recorded-inScope) / float64(recorded); shrink > s.MaxShrinkPercent {
			return breach{GuardMaxShrinkPct, fmt.Sprintf(
				"Okta has %d active people in scope, %.0f%% fewer than the %d in the snapshot (%s is %g%%): a failed or filtered read is likelier than so many leavers",
				inScope, shrink, recorded, GuardMaxShrinkPct, s.MaxShrinkPercent)}
		}
	}
	if s.MaxArchives > 0 && archives > s.MaxArchives {
		return breach{GuardMaxArchives, fmt.Sprintf("%d %s exceed %s (%d)", archives, what, GuardMaxArchives, s.MaxArchives)}
	}
	if s.MaxArchivePercent > 0 && recorded > 0 {
		if pct := 100 * float64(archives) / float64(recorded); pct > s.MaxArchivePercent {
			return breach{GuardMaxArchivePct, fmt.Sprintf("%d %s are %.0f%% of the %d active people in the snapshot, over %s (%g%%)",
				archives, what, pct, recorded, GuardMaxArchivePct, s.MaxArchivePercent)}
		}
	}
	return breach{}
}

// Blocked reports whether a brake held ops back: the run is stopped short.
func (p Plan) Blocked() bool {
	for _, op := range p.Held {
		if brakes[op.HeldBy] {
			return true
		}
	}
	return false
}

// MissedArchives are the Okta ids out of scope this run but not archived yet
// because safety.archive_after_misses wants more runs: their miss count grows.
func (p Plan) MissedArchives() []string {
	var ids []string
	for _, op := range p.Held {
		if op.HeldBy == GuardMisses {
			ids = append(ids, op.OktaID)
		}
	}
	return ids
}

func protected(email string, patterns []string) bool {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return false
	}
	for _, p := range patterns {
		if ok, err := path.Match(strings.ToLower(strings.TrimSpace(p)), email); ok && err == nil {
			return true
		}
	}
	return false
}

// inScope counts the active people of the pull, and those held back by a
// problem in their record: they are in scope too, only not applied.
func inScope(desired State) int {
	held := map[string]bool{}
	for _, p := range desired.Problems {
		if p.SkipUser {
			held[p.OktaID] = true
		}
	}
	return activeCount(desired.Users) + len(held)
}

func activeCount(users []User) int {
	n := 0
	for _, u := range users {
		if u.Active {
			n++
		}
	}
	return n
}
