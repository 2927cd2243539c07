package server

import (
	"net/http"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages"
)

// homeChecks fills the home page's to-do with what waits for the reader's
// internal check (社内確認), in every open cycle and of every period: the
// assessments of the operators whose check the reader does (admins,
// reviewers, and a deputy during an absence), and the plan drafts of the
// ministries whose check the reader does (their admins). The policy
// decides on each row.
func (s *Server) homeChecks(r *http.Request, tx pgx.Tx, p *identity.Principal, v *pages.HomeView) error {
	var ops []int64
	for _, op := range p.Operators {
		if authz.Can(p, authz.SignOffAssessment, authz.Resource{OperatorID: op}) {
			ops = append(ops, op)
		}
	}
	list, err := postgres.AssessmentsAwaitingCheck(r.Context(), tx, ops)
	if err != nil {
		return err
	}
	for _, a := range list {
		if authz.Can(p, authz.SignOffAssessment, assessmentResource(a)) {
			v.CheckAssessments = append(v.CheckAssessments, a)
		}
	}
	var ms []string
	for _, m := range p.AdminMinistries {
		if authz.Can(p, authz.SignOffPlan, authz.Resource{MinistryCode: m}) && !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	plans, err := postgres.PlansAwaitingCheck(r.Context(), tx, ms)
	if err != nil {
		return err
	}
	for _, pl := range plans {
		if authz.Can(p, authz.SignOffPlan, authz.Resource{MinistryCode: pl.MinistryCode}) {
			v.CheckPlans = append(v.CheckPlans, pl)
		}
	}
	return nil
}
