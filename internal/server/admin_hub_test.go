package server

import (
	"slices"
	"testing"

	"github.com/kijun-portal/kijun/internal/authz"
)

// TestAdminHubListsTheAdminTools: the hub's tools are the policy's
// AdminTools, no more and no fewer, so that the hub's route and the entry
// in the header are allowed exactly when the hub lists a tool.
func TestAdminHubListsTheAdminTools(t *testing.T) {
	var listed []authz.Action
	for _, g := range adminGroups {
		for _, tool := range g.tools {
			if !slices.Contains(listed, tool.action) {
				listed = append(listed, tool.action)
			}
		}
	}
	want := slices.Clone(authz.AdminTools)
	slices.Sort(listed)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("the hub lists %v, the policy's AdminTools are %v", listed, want)
	}
}

// AdminHubActions maps each tool of the hub to its action, for the test
// that its route asks the policy for the same action (admin_test.go).
func AdminHubActions() map[string]authz.Action {
	m := map[string]authz.Action{}
	for _, g := range adminGroups {
		for _, tool := range g.tools {
			m[tool.href] = tool.action
		}
	}
	return m
}
