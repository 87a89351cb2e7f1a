package reconcile_test

import (
	"fmt"
	"testing"

	"github.com/oktalms/oktalms/reconcile"
)

// population is n desired people, the snapshot of the same n applied, and
// a change on every hundredth: the shape of a daily run.
func population(n int) (desired, recorded reconcile.State) {
	desired.Users = make([]reconcile.User, n)
	recorded.Users = make([]reconcile.User, n)
	for i := range n {
		u := person(fmt.Sprintf("00u%08d", i), fmt.Sprintf("p%08d@example.com", i), true,
			"job_title", "Engineer", "hire_date", "2021-03-04", "custom:Employee ID", fmt.Sprint(i))
		recorded.Users[i] = applied(u, fmt.Sprint(i))
		if i%100 == 0 {
			u = withTitle(u, "Lead")
		}
		desired.Users[i] = u
	}
	return desired, recorded
}

// BenchmarkDiff measures the plan of 10k and 100k people (target: under a
// second at 100k).
func BenchmarkDiff(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		desired, recorded := population(n)
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				plan := reconcile.Diff(desired, recorded, nil, opts)
				if len(plan.Ops) != n/100 {
					b.Fatalf("%d ops, want %d", len(plan.Ops), n/100)
				}
			}
		})
	}
}
