// Package lmstest provides in-process fakes of the learning-management APIs
// oktalms talks to. Each fake serves real HTTP through net/http/httptest, so
// the code under test runs unchanged: Basic auth headers, status codes, JSON
// shapes, rate limiting and dropped connections all cross a real socket.
//
// The fakes back both the tests and the demo command, so the package never
// imports package testing, and it depends only on the standard library: it is
// an independent reading of the vendors' documentation, which keeps a
// misunderstanding in the client from being copied into its own fake.
package lmstest
