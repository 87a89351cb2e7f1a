package reconcile

import (
	"reflect"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name    string
		in, out User
	}{
		{"clean", User{Email: "ada@example.com", Name: "Ada Okafor", Fields: map[string]string{"job_title": "Engineer"}},
			User{Email: "ada@example.com", Name: "Ada Okafor", Fields: map[string]string{"job_title": "Engineer"}}},
		{"spaces and case", User{OktaID: " 00u1 ", Email: " Ada@Example.COM ", Name: "  Ada \t Okafor ", Role: " admin"},
			User{OktaID: "00u1", Email: "ada@example.com", Name: "Ada Okafor", Role: "admin"}},
		{"one trailing space", User{Name: "Ada "}, User{Name: "Ada"}},
		{"white space only", User{Name: " \n"}, User{Name: ""}},
		{"unicode space", User{Name: "Ada\u00a0Okafor"}, User{Name: "Ada Okafor"}},
		{"field values", User{Fields: map[string]string{"job_title": " Engineer ", "department": "", FieldManagerEmail: "Boss@Example.com"},
			Custom: map[string]string{"Region": "  "}},
			User{Fields: map[string]string{"job_title": "Engineer", FieldManagerEmail: "boss@example.com"}, Custom: map[string]string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := clone(tt.in)
			got := Normalize(tt.in)
			if !reflect.DeepEqual(got, tt.out) {
				t.Errorf("Normalize = %+v, want %+v", got, tt.out)
			}
			if !reflect.DeepEqual(tt.in, before) {
				t.Errorf("Normalize changed its argument's maps: %+v, was %+v", tt.in, before)
			}
		})
	}
}

// A clean record keeps its maps: normalising 100,000 of them must not copy them.
func TestNormalizeSharesCleanMaps(t *testing.T) {
	u := User{Email: "ada@example.com", Fields: map[string]string{"job_title": "Engineer"}, Custom: map[string]string{"Region": "EMEA"}}
	got := Normalize(u)
	if reflect.ValueOf(got.Fields).UnsafePointer() != reflect.ValueOf(u.Fields).UnsafePointer() ||
		reflect.ValueOf(got.Custom).UnsafePointer() != reflect.ValueOf(u.Custom).UnsafePointer() {
		t.Error("Normalize copied maps that needed nothing")
	}
}

func clone(u User) User {
	if u.Fields != nil {
		u.Fields = cloneMap(u.Fields)
	}
	if u.Custom != nil {
		u.Custom = cloneMap(u.Custom)
	}
	return u
}
