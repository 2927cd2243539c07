package server

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/remind"
	"github.com/kijun-portal/kijun/web/pages/reminders"
)

// reminderRoutes: a cycle's reminder rules (督促) and the escalation list
// of operators that have not submitted (docs/notifications.md).
func (s *Server) reminderRoutes(h routeFunc) {
	h(http.MethodGet, "/reminders", authz.ViewReminders, s.handleReminderRules)
	h(http.MethodPost, "/reminders/rules", authz.ManageReminders, s.handleReminderRuleAdd)
	h(http.MethodPost, "/reminders/rules/{id}/delete", authz.ManageReminders, s.handleReminderRuleDelete)
	h(http.MethodGet, "/reminders/escalation", authz.ViewReminders, s.handleEscalation)
	h(http.MethodPost, "/reminders/escalation", authz.SendReminders, s.handleEscalationSend)
	h(http.MethodGet, "/reminders/escalation/export", authz.ViewReminders, s.handleEscalationExport)
}

// canManageRule: a default needs the NCO's admin, a sector's rule the
// policy on that sector.
func canManageRule(p *identity.Principal, sector string) bool {
	if sector == "" {
		return authz.Can(p, authz.ManageDefaultReminders, authz.Resource{})
	}
	return authz.Can(p, authz.ManageReminders, authz.Resource{SectorCode: sector})
}

// chooseCycle picks the cycle of ?cycle= (or the form's), else the newest
// open one, else the newest.
func chooseCycle(cycles []assessment.Cycle, id int64) assessment.Cycle {
	for _, c := range cycles {
		if c.ID == id {
			return c
		}
	}
	for _, c := range cycles {
		if c.Status == assessment.CycleOpen {
			return c
		}
	}
	if len(cycles) > 0 {
		return cycles[0]
	}
	return assessment.Cycle{}
}

// reminderSectors are the sectors p may work on here: every sector for
// the NCO, else those its ministries oversee, in reference order.
func reminderSectors(p *identity.Principal, names kijun.ReferenceNames, action authz.Action) []kijun.Named {
	var out []kijun.Named
	for _, s := range names.Sectors {
		if authz.Can(p, action, authz.Resource{SectorCode: s.Code}) {
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) handleReminderRules(w http.ResponseWriter, r *http.Request) error {
	notice := map[string]string{"added": "remind.rules.added", "deleted": "remind.rules.deleted"}[r.URL.Query().Get("done")]
	id, _ := queryID(r, "cycle")
	return s.renderRules(w, r, http.StatusOK, id, reminders.RuleForm{Kind: string(remind.Before), Days: "7"}, notice)
}

func (s *Server) renderRules(w http.ResponseWriter, r *http.Request, status int, cycle int64, form reminders.RuleForm, notice string) error {
	p := principal(r)
	names, err := postgres.LoadReferenceNames(r.Context(), s.db)
	if err != nil {
		return err
	}
	v := reminders.RulesView{Form: form, Notice: notice, Defaults: canManageRule(p, ""),
		Sectors: reminderSectors(p, names, authz.ManageReminders)}
	v.CanAdd = v.Defaults || len(v.Sectors) > 0
	sectorName := kijun.NameMap(names.Sectors)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Cycles, err = postgres.ListCycles(r.Context(), tx); err != nil {
			return err
		}
		v.Cycle = chooseCycle(v.Cycles, cycle)
		if v.Cycle.ID == 0 {
			return nil
		}
		rules, err := postgres.ListReminderRules(r.Context(), tx, v.Cycle.ID)
		for _, x := range rules {
			v.Rules = append(v.Rules, reminders.RuleRow{Rule: x, SectorName: sectorName[x.SectorCode], CanDelete: canManageRule(p, x.SectorCode)})
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, status, reminders.Rules(v))
}

// handleReminderRuleAdd adds a rule; bad input comes back in its field.
func (s *Server) handleReminderRuleAdd(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	cycle := formID(r.PostFormValue("cycle"))
	form := reminders.RuleForm{Sector: r.PostFormValue("sector"), Kind: r.PostFormValue("kind"), Days: r.PostFormValue("days")}
	rule, errs := remind.ParseRule(form.Kind, form.Days)
	rule.CycleID, rule.SectorCode = cycle, form.Sector
	if !canManageRule(p, form.Sector) {
		errs["sector"] = "remind.error.sector"
	}
	form.Errors = errs
	if len(errs) == 0 {
		err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
			_, err := postgres.AddReminderRule(r.Context(), tx, p, rule, middleware.GetReqID(r.Context()))
			return err
		})
		if kijun.ErrorCode(err) == kijun.EConflict {
			form.Errors["days"] = "remind.error.duplicate"
		} else if err != nil {
			return err
		}
	}
	if len(form.Errors) > 0 {
		return s.renderRules(w, r, http.StatusUnprocessableEntity, cycle, form, "")
	}
	http.Redirect(w, r, "/reminders?done=added&cycle="+itoa(cycle), http.StatusSeeOther)
	return nil
}

func (s *Server) handleReminderRuleDelete(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var cycle int64
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		rule, err := postgres.GetReminderRule(r.Context(), tx, id)
		if err != nil {
			return err
		}
		if !canManageRule(p, rule.SectorCode) {
			return errNotFound
		}
		cycle = rule.CycleID
		return postgres.DeleteReminderRule(r.Context(), tx, p, rule, middleware.GetReqID(r.Context()))
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/reminders?done=deleted&cycle="+itoa(cycle), http.StatusSeeOther)
	return nil
}

// escalation reads the list of the request's cycle and sector (a sector
// the reader may not see is refused as not found).
func (s *Server) escalation(r *http.Request, tx pgx.Tx, cycle int64, sector string) (reminders.EscalationView, error) {
	p := principal(r)
	v := reminders.EscalationView{Sector: sector, Today: s.now(), Sent: -1}
	names, err := postgres.LoadReferenceNames(r.Context(), tx)
	if err != nil {
		return v, err
	}
	v.Sectors = reminderSectors(p, names, authz.ViewReminders)
	if sector != "" && !slices.ContainsFunc(v.Sectors, func(n kijun.Named) bool { return n.Code == sector }) {
		return v, errNotFound
	}
	if v.Cycles, err = postgres.ListCycles(r.Context(), tx); err != nil {
		return v, err
	}
	v.Cycle = chooseCycle(v.Cycles, cycle)
	if v.Cycle.ID == 0 {
		return v, nil
	}
	v.CanSend = authz.Can(p, authz.SendReminders, authz.Resource{SectorCode: sector})
	// The operator's users are contacts for whoever may see the
	// operator's users (the user directory's policy).
	users := authz.Can(p, authz.ListUsers, authz.Resource{SectorCode: sector})
	cs, err := postgres.ListEscalation(r.Context(), tx, v.Cycle.ID, sector, users)
	if err != nil {
		return v, err
	}
	sectorName := kijun.NameMap(names.Sectors)
	for _, c := range cs {
		res := authz.Resource{SectorCode: c.SectorCode, OperatorID: c.OperatorID}
		if !authz.Can(p, authz.ViewReminders, res) {
			continue
		}
		if !authz.Can(p, authz.ListUsers, res) {
			c.Contacts = slices.DeleteFunc(c.Contacts, func(k remind.Contact) bool { return k.User })
		}
		v.Rows = append(v.Rows, reminders.Row{C: c, SectorName: sectorName[c.SectorCode],
			DaysOverdue: c.DaysOverdue(v.Today), RemindedToday: c.RemindedOnDay(v.Today)})
	}
	return v, nil
}

func (s *Server) handleEscalation(w http.ResponseWriter, r *http.Request) error {
	var v reminders.EscalationView
	cycle, _ := queryID(r, "cycle")
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		var err error
		v, err = s.escalation(r, tx, cycle, r.URL.Query().Get("sector"))
		return err
	})
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("sent")); err == nil && n >= 0 {
		v.Sent = n
	}
	// A page past the last shows the last.
	v.Page = min(queryPage(r.URL.Query()), max(1, (len(v.Rows)+reminders.PageSize-1)/reminders.PageSize))
	return s.render(w, r, http.StatusOK, reminders.Escalation(v))
}

// handleEscalationSend reminds one listed operator (assessment=) or every
// listed one now. One already reminded today is skipped, so a second
// click sends nothing (the page says so).
func (s *Server) handleEscalationSend(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	cycle, sector := formID(r.PostFormValue("cycle")), r.PostFormValue("sector")
	one := formID(r.PostFormValue("assessment"))
	var sent int
	var chosen int64
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		v, err := s.escalation(r, tx, cycle, sector)
		if err != nil {
			return err
		}
		chosen = v.Cycle.ID
		var cs []remind.Candidate
		for _, row := range v.Rows {
			if (one == 0 || row.C.AssessmentID == one) &&
				authz.Can(p, authz.SendReminders, authz.Resource{SectorCode: row.C.SectorCode, OperatorID: row.C.OperatorID}) {
				cs = append(cs, row.C)
			}
		}
		if one != 0 && len(cs) == 0 {
			return errNotFound
		}
		sent, err = postgres.SendReminderNow(r.Context(), tx, p, cs, v.Cycle.FiscalYear, v.Today, middleware.GetReqID(r.Context()))
		return err
	})
	if err != nil {
		return err
	}
	q := "/reminders/escalation?cycle=" + itoa(chosen) + "&sent=" + strconv.Itoa(sent)
	if sector != "" {
		q += "&sector=" + sector
	}
	http.Redirect(w, r, q, http.StatusSeeOther)
	return nil
}

// handleEscalationExport writes the list as the page shows it: CSV
// (UTF-8 with a BOM, cells defused against formulas) or XLSX.
func (s *Server) handleEscalationExport(w http.ResponseWriter, r *http.Request) error {
	var v reminders.EscalationView
	cycle, _ := queryID(r, "cycle")
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "xlsx" {
		return errNotFound
	}
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		var err error
		v, err = s.escalation(r, tx, cycle, r.URL.Query().Get("sector"))
		return err
	})
	if err != nil {
		return err
	}
	l := i18n.From(r.Context())
	header := reminders.Header(l)
	name := unsafeFileChars.ReplaceAllString("not-submitted-"+strconv.Itoa(int(v.Cycle.FiscalYear))+"-"+v.Sector+"-"+
		s.now().In(kijun.JST).Format("20060102"), "_")
	w.Header().Set("Cache-Control", "no-store")
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		setAttachment(w, name+".csv")
		cw, err := exchange.NewCSVWriter(w, header)
		if err != nil {
			return err
		}
		for _, row := range v.Rows {
			if err := cw.Write(reminders.Record(l, row)); err != nil {
				return err
			}
		}
		return cw.Flush()
	}
	cols := make([]exchange.Column, len(header))
	for i, h := range header {
		cols[i] = exchange.Column{Header: h}
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	setAttachment(w, name+".xlsx")
	x, err := exchange.NewXLSXWriter(w, "not-submitted", cols)
	if err != nil {
		return err
	}
	for _, row := range v.Rows {
		if err := x.Write(reminders.Record(l, row)); err != nil {
			x.Close()
			return err
		}
	}
	return x.Close()
}
