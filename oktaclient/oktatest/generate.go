package oktatest

import (
	"fmt"
	"strings"
)

var (
	// The name lists have coprime lengths so that first and last names
	// pair up differently for a long stretch before the pattern repeats.
	firstNames = []string{
		"Ada", "Grace", "Alan", "Linus", "Margaret", "Dennis", "Barbara", "Ken",
		"Frances", "Edsger", "Radia", "Tim", "Katherine", "Donald", "Hedy",
		"John", "Sophie", "Guido", "Anita", "Bjarne",
	}
	lastNames = []string{
		"Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Ritchie",
		"Liskov", "Thompson", "Allen", "Dijkstra", "Perlman", "Lee", "Johnson",
		"Knuth", "Lamarr", "McCarthy", "Wilson", "Borg", "Stroustrup",
	}
	departments = []struct {
		name   string
		titles []string
	}{
		{"Engineering", []string{"Software Engineer", "Senior Software Engineer", "Engineering Manager"}},
		{"Sales", []string{"Account Executive", "Sales Development Representative"}},
		{"Marketing", []string{"Marketing Specialist", "Content Strategist"}},
		{"Finance", []string{"Financial Analyst", "Accountant"}},
		{"Human Resources", []string{"HR Business Partner", "Recruiter"}},
		{"Support", []string{"Support Specialist", "Support Team Lead"}},
	}
)

// GenerateUsers adds n ACTIVE users with realistic, deterministic profiles
// (login and email "first.last.N@example.com", with N counting across calls,
// plus firstName, lastName, title, department and hireDate) and puts each in
// one of groupIDs, round-robin. It returns the new ids in creation order.
func (s *Server) GenerateUsers(n int, groupIDs []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, n)
	for i := range n {
		s.nGen++
		k := s.nGen

		first := firstNames[k%len(firstNames)]
		last := lastNames[k%len(lastNames)]
		dept := departments[k%len(departments)]
		email := strings.ToLower(fmt.Sprintf("%s.%s.%d@example.com", first, last, k))
		id := s.addUser(User{Profile: map[string]any{
			"login":      email,
			"email":      email,
			"firstName":  first,
			"lastName":   last,
			"title":      dept.titles[(k/len(departments))%len(dept.titles)],
			"department": dept.name,
			"hireDate":   "2021-03-04",
		}})
		if len(groupIDs) > 0 {
			s.addMember(groupIDs[i%len(groupIDs)], id)
		}
		ids = append(ids, id)
	}
	return ids
}
