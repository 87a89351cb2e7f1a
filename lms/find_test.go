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
	listed, err := c.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byLMSID := map[string]reconcile.User{}
	for _, u := range listed {
		byLMSID[u.LMSID] = u
	}

	tests := []struct {
		name, extUID, email string
		wantID              int // 0: not found
		wantRule            string
		wantRequests        int
	}{
		{"by ext_uid", "00uann", "ann@example.com", ann, "ext_uid", 1},
		{"ext_uid before email", "00uann", "bob@example.com", ann, "ext_uid", 1},
		{"by email in other letter case", "00ubob", "BOB@example.COM", bob, "email", 2},
		{"by email alone", "", "bob@example.com", bob, "email", 1},
		{"archived account", "00ucy", "", cy, "ext_uid", 1},
		{"not found", "00unone", "none@example.com", 0, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.ResetRequests()
			acct, rule, found, err := c.FindAccount(context.Background(), tt.extUID, tt.email)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(fake.Requests()); n != tt.wantRequests {
				t.Errorf("%d requests, want %d", n, tt.wantRequests)
			}
			if found != (tt.wantID != 0) || rule != tt.wantRule {
				t.Fatalf("found %v by %q, want account %d by %q", found, rule, tt.wantID, tt.wantRule)
			}
			want := byLMSID[strconv.Itoa(tt.wantID)] // the zero User when not found
			if !reflect.DeepEqual(acct, want) {
				t.Errorf("account = %+v\nwant as listed: %+v", acct, want)
			}
		})
	}

	fake.ResetRequests()
	if _, _, _, err := c.FindAccount(context.Background(), "", ""); err == nil || len(fake.Requests()) != 0 {
		t.Errorf("with nothing to look for: err %v after %d requests, want an error and none", err, len(fake.Requests()))
	}
}
