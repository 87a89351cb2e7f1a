package lms_test

import (
	"context"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/oktalms/oktalms/lms/lmstest"
	"github.com/oktalms/oktalms/reconcile"
)

func TestFindAccount(t *testing.T) {
	fake := newFake(t)
	ann := fake.AddUser(lmstest.LessonlyUser{Name: "Ann Lee", Email: "ann@example.com", ExtUID: "00uann", JobTitle: "Chef",
		Custom: map[string]string{"Employee ID": "7"}})
	bob := fake.AddUser(lmstest.LessonlyUser{Name: "Bob Stone", Email: "Bob@Example.com", Role: "admin"}) // made by hand
	archived := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	cy := fake.AddUser(lmstest.LessonlyUser{Name: "Cy Ro", Email: "cy@example.com", ExtUID: "00ucy", ArchivedAt: &archived})
	for i := range 60 { // a tenant past one page: a lookup must still cost one or two requests
		fake.AddUser(lmstest.LessonlyUser{Name: "User " + strconv.Itoa(i), Email: "u" + strconv.Itoa(i) + "@example.com"})
	}

	c := newLessonly(t, fake)
	checkFindAccount(t, c, fake.ResetRequests, func() int { return len(fake.Requests()) }, asListed(t, c), []findCase{
		{"by ext_uid", "00uann", "ann@example.com", strconv.Itoa(ann), "ext_uid", 1},
		{"ext_uid before email", "00uann", "bob@example.com", strconv.Itoa(ann), "ext_uid", 1},
		{"by email in other letter case", "00ubob", "BOB@example.COM", strconv.Itoa(bob), "email", 2},
		{"by email alone", "", "bob@example.com", strconv.Itoa(bob), "email", 1},
		{"archived account", "00ucy", "", strconv.Itoa(cy), "ext_uid", 1},
		{"not found", "00unone", "none@example.com", "", "", 2},
	})

	fake.ResetRequests()
	if _, _, _, err := c.FindAccount(context.Background(), "", ""); err == nil || len(fake.Requests()) != 0 {
		t.Errorf("with nothing to look for: err %v after %d requests, want an error and none", err, len(fake.Requests()))
	}
}

// findCase is one account lookup and what it must find.
type findCase struct {
	name, extUID, email string
	wantID, wantRule    string // wantID "": not found
	wantRequests        int
}

type accountFinder interface {
	FindAccount(ctx context.Context, extUID, email string) (reconcile.User, string, bool, error)
}

// checkFindAccount runs each lookup on c, counting the requests it sends
// (reset, then counted), and checks what it found: the account's LMS id and
// the rule that matched, and, when wantAccount is given, the whole account.
func checkFindAccount(t *testing.T, c accountFinder, reset func(), requests func() int, wantAccount func(lmsID string) reconcile.User, tests []findCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reset()
			acct, rule, found, err := c.FindAccount(context.Background(), tt.extUID, tt.email)
			if err != nil {
				t.Fatal(err)
			}
			if n := requests(); n != tt.wantRequests {
				t.Errorf("%d requests, want %d", n, tt.wantRequests)
			}
			if found != (tt.wantID != "") || acct.LMSID != tt.wantID || rule != tt.wantRule {
				t.Fatalf("found %v %q by %q, want %q by %q", found, acct.LMSID, rule, tt.wantID, tt.wantRule)
			}
			if wantAccount == nil || !found {
				return
			}
			if want := wantAccount(tt.wantID); !reflect.DeepEqual(acct, want) {
				t.Errorf("account = %+v\nwant %+v", acct, want)
			}
		})
	}
}

// asListed answers each account as c's listing shows it: a lookup must
// find the same record a listing reads.
func asListed(t *testing.T, c interface {
	ListUsers(context.Context) ([]reconcile.User, error)
}) func(string) reconcile.User {
	t.Helper()
	listed, err := c.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byLMSID := map[string]reconcile.User{}
	for _, u := range listed {
		byLMSID[u.LMSID] = u
	}
	return func(id string) reconcile.User { return byLMSID[id] }
}
