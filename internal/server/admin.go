package server

import (
	"net/http"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/web/pages"
)

// adminTool is one tool of the 管理 hub: the action of its route, where it
// is, and its name and one-line description (message ids).
type adminTool struct {
	action                   authz.Action
	href, label, description string
}

// adminGroups are the hub's tools by group, in the order shown. Their
// actions are authz.AdminTools (TestAdminHubListsTheAdminTools): the
// policy allows the hub to whoever may open one of them.
var adminGroups = []struct {
	label string
	tools []adminTool
}{
	{"admin.group.cycle", []adminTool{
		{authz.ManageCycles, "/cycles", "nav.cycles", "admin.tool.cycles"},
		{authz.ViewReminders, "/reminders/escalation", "remind.esc.title", "admin.tool.escalation"},
		{authz.ViewReminders, "/reminders", "remind.rules.title", "admin.tool.reminders"},
		{authz.ManageIncidentTemplates, "/incidents/templates", "nav.incident_templates", "admin.tool.incident_templates"},
	}},
	{"admin.group.access", []adminTool{
		{authz.ListUsers, "/users", "nav.users", "admin.tool.users"},
		{authz.ManageTokens, "/tokens", "nav.tokens", "admin.tool.tokens"},
		{authz.ManageWebhooks, "/webhooks", "nav.webhooks", "admin.tool.webhooks"},
	}},
	{"admin.group.records", []adminTool{
		{authz.ViewAudit, "/audit", "nav.audit", "admin.tool.audit"},
		{authz.ViewDeadJobs, "/admin/jobs", "nav.dead_jobs", "admin.tool.dead_jobs"},
	}},
}

// adminHub returns the tools of the hub p may open, by group; a group
// without any is left out. The policy decides each tool, as it does the
// tool's route.
func adminHub(p *identity.Principal) []pages.AdminGroup {
	var out []pages.AdminGroup
	for _, g := range adminGroups {
		group := pages.AdminGroup{Label: g.label}
		for _, t := range g.tools {
			if authz.Can(p, t.action, authz.Resource{}) {
				group.Tools = append(group.Tools, pages.AdminTool{Href: t.href, Label: t.label, Description: t.description})
			}
		}
		if len(group.Tools) > 0 {
			out = append(out, group)
		}
	}
	return out
}

// handleAdmin is the 管理 hub: the administration tools the signed-in
// user may open, grouped, each with what it is for.
func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, pages.Admin(pages.AdminView{Groups: adminHub(principal(r))}))
}
