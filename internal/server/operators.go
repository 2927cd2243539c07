package server

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/register"
	"github.com/kijun-portal/kijun/web/pages/operators"
)

// registerFilter reads the list's filter from the query.
func registerFilter(r *http.Request) (operators.Filter, register.Filter) {
	q := r.URL.Query()
	f := operators.Filter{
		Sector:      q.Get("sector"),
		Status:      q.Get("status"),
		Designation: q.Get("designation"),
		Query:       strings.TrimSpace(q.Get("q")),
	}
	if f.Status != string(register.Active) && f.Status != string(register.Withdrawn) {
		f.Status = ""
	}
	if !slices.Contains(operators.Designations, register.Designation(f.Designation)) {
		f.Designation = ""
	}
	f.Page = queryPage(q)
	return f, register.Filter{Sector: f.Sector, Status: register.Status(f.Status),
		Designation: register.Designation(f.Designation), Query: f.Query}
}

// visibleSectors are the sectors p may list operators of, for filters.
func (s *Server) visibleSectors(r *http.Request, p *identity.Principal) ([]kijun.Sector, map[string]kijun.Text, error) {
	all, err := postgres.ListSectors(r.Context(), s.db)
	if err != nil {
		return nil, nil, err
	}
	names := map[string]kijun.Text{}
	var out []kijun.Sector
	for _, sc := range all {
		names[sc.Code] = sc.Name
		if p.NCO || p.OverseesSector(sc.Code) {
			out = append(out, sc)
		}
	}
	return out, names, nil
}

// handleOperatorIndex is the register: filters, counts and one page.
// What a ministry sees is its sectors' operators: RLS decides.
func (s *Server) handleOperatorIndex(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	f, pf := registerFilter(r)
	pf.Limit, pf.Offset = operators.PageSize, (f.Page-1)*operators.PageSize
	v := operators.IndexView{Filter: f, CanManage: authz.Can(p, authz.ManageOperators, authz.Resource{})}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Page, err = postgres.SearchOperators(r.Context(), tx, pf); err != nil {
			return err
		}
		if v.CanManage {
			cs, err := postgres.ListCorrections(r.Context(), tx, register.CorrectionFilter{Status: register.CorrectionPending})
			if err != nil {
				return err
			}
			for _, c := range cs {
				if authz.Can(p, authz.ManageOperators, authz.Resource{SectorCode: c.SectorCode}) {
					v.Pending++
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	v.Pages = (v.Page.Total + operators.PageSize - 1) / operators.PageSize
	if v.Sectors, v.SectorMap, err = s.visibleSectors(r, p); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, operators.Index(v))
}

// handleOperatorExport writes exactly the filtered list (every page) as
// CSV (UTF-8 with BOM) or XLSX in the user's language.
func (s *Server) handleOperatorExport(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	_, pf := registerFilter(r)
	format := exchange.Format(r.URL.Query().Get("format"))
	if format != exchange.CSV && format != exchange.XLSX {
		return errNotFound
	}
	var ops []register.Operator
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		pf.Limit = 1000
		for pf.Offset = 0; ; pf.Offset += pf.Limit {
			page, err := postgres.SearchOperators(r.Context(), tx, pf)
			if err != nil {
				return err
			}
			for _, o := range page.Operators {
				ops = append(ops, o.Operator)
			}
			if len(page.Operators) < pf.Limit {
				return nil
			}
		}
	})
	if err != nil {
		return err
	}
	sectors, err := postgres.ListSectors(r.Context(), s.db)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := exchange.WriteOperators(&buf, format, i18n.From(r.Context()).Lang, ops, sectors); err != nil {
		return err
	}
	name := "operators-" + s.now().In(kijun.JST).Format("20060102") + "." + string(format)
	ctype := "text/csv; charset=utf-8"
	if format == exchange.XLSX {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}

// loadOperator reads an operator the principal may see and perform
// action on; anything else is "not found".
func loadOperator(r *http.Request, tx pgx.Tx, p *identity.Principal, id int64, action authz.Action) (register.Record, error) {
	o, err := postgres.GetOperatorRecord(r.Context(), tx, id)
	if err != nil {
		return o, err
	}
	res := authz.Resource{SectorCode: o.SectorCode, OperatorID: o.ID}
	if !authz.Can(p, authz.ViewOperator, res) || !authz.Can(p, action, res) {
		return o, errNotFound
	}
	return o, nil
}

// handleOperatorShow shows one operator's record. Another tenant's
// operator is "not found": RLS hides the row, and the policy is asked
// again with it.
func (s *Server) handleOperatorShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderRecord(w, r, http.StatusOK, func(v *operators.ShowView) {
		if r.URL.Query().Get("saved") != "" {
			v.Notice = "registerui.saved"
		}
	})
}

// renderRecord renders the record page; change adjusts the view (a
// refused withdrawal, a notice).
func (s *Server) renderRecord(w http.ResponseWriter, r *http.Request, status int, change func(*operators.ShowView)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderRecordOf(w, r, id, status, change)
}

// renderRecordOf is renderRecord of the operator id.
func (s *Server) renderRecordOf(w http.ResponseWriter, r *http.Request, id int64, status int, change func(*operators.ShowView)) error {
	var err error
	p := principal(r)
	var v operators.ShowView
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if v.Record, err = loadOperator(r, tx, p, id, authz.ViewOperator); err != nil {
			return err
		}
		res := authz.Resource{SectorCode: v.Record.SectorCode, OperatorID: v.Record.ID}
		v.CanManage = authz.Can(p, authz.ManageOperators, res)
		v.CanPropose = authz.Can(p, authz.ProposeCorrection, res)
		if !v.CanManage && !p.InOperator(id) {
			return nil
		}
		// The ministry sees what waits for its decision; the operator its
		// own proposals and how they were decided.
		f := register.CorrectionFilter{OperatorID: id}
		if v.CanManage {
			f.Status = register.CorrectionPending
		}
		v.Corrections, err = postgres.ListCorrections(r.Context(), tx, f)
		return err
	})
	if err != nil {
		return err
	}
	if v.Sector, err = postgres.GetSector(r.Context(), s.db, v.Record.SectorCode); err != nil {
		return err
	}
	if v.Record.DesignatedBy != "" {
		names, err := s.ministryNames(r)
		if err != nil {
			return err
		}
		v.DesignatedBy = names[v.Record.DesignatedBy]
	}
	if change != nil {
		change(&v)
	}
	return s.render(w, r, status, operators.Show(v))
}

// sectorChoices are the sectors p may register operators in, with scopes.
func (s *Server) sectorChoices(r *http.Request, p *identity.Principal) ([]operators.SectorChoice, error) {
	all, err := postgres.ListSectors(r.Context(), s.db)
	if err != nil {
		return nil, err
	}
	var out []operators.SectorChoice
	for _, sc := range all {
		if authz.Can(p, authz.ManageOperators, authz.Resource{SectorCode: sc.Code}) {
			out = append(out, operators.SectorChoice{Code: sc.Code, Name: sc.Name, Scopes: sc.Scopes})
		}
	}
	return out, nil
}

func (s *Server) renderOperatorForm(w http.ResponseWriter, r *http.Request, status int, f operators.OperatorForm, name kijun.Text) error {
	sectors, err := s.sectorChoices(r, principal(r))
	if err != nil {
		return err
	}
	return s.render(w, r, status, operators.Form(operators.FormView{Form: f, Sectors: sectors, Name: name}))
}

func (s *Server) handleOperatorNew(w http.ResponseWriter, r *http.Request) error {
	return s.renderOperatorForm(w, r, http.StatusOK, operators.OperatorForm{}, kijun.Text{})
}

// formOf is the form showing operator o.
func formOf(o register.Operator) operators.OperatorForm {
	f := operators.OperatorForm{
		ID: o.ID, Version: o.Version, CorporateNumber: o.CorporateNumber, LocalGovCode: o.LocalGovCode,
		NameJa: o.Name.Ja, NameEn: o.Name.En, Sector: o.SectorCode, Designation: string(o.Designation), Reason: o.Reason,
	}
	for _, id := range o.ScopeIDs {
		f.Scopes = append(f.Scopes, itoa(id))
	}
	if o.DesignatedSince.Year() > 1 {
		f.DesignatedSince = kijun.ISODate(o.DesignatedSince)
	}
	return f
}

// readOperatorForm reads the operator form as typed (prefix "" for the
// values, "orig_" for the values the editor started from).
func readOperatorForm(r *http.Request, prefix string) operators.OperatorForm {
	return operators.OperatorForm{
		CorporateNumber: strings.TrimSpace(r.PostFormValue(prefix + "corporate_number")),
		LocalGovCode:    strings.TrimSpace(r.PostFormValue(prefix + "local_gov_code")),
		NameJa:          strings.TrimSpace(r.PostFormValue(prefix + "name_ja")),
		NameEn:          strings.TrimSpace(r.PostFormValue(prefix + "name_en")),
		Sector:          r.PostFormValue(prefix + "sector"),
		Scopes:          r.PostForm[prefix+"scopes"],
		Designation:     r.PostFormValue(prefix + "designation"),
		DesignatedSince: strings.TrimSpace(r.PostFormValue(prefix + "designated_since")),
		Reason:          strings.TrimSpace(r.PostFormValue(prefix + "reason")),
	}
}

// validateOperatorForm checks every field and returns the operator it
// describes; f.Errors names each field that is wrong. The 法人番号 is only
// read for a new operator (it never changes).
func validateOperatorForm(p *identity.Principal, f *operators.OperatorForm, sectors []operators.SectorChoice) register.Operator {
	f.Errors = map[string]i18n.Message{}
	var o register.Operator
	if f.ID == 0 {
		if f.CorporateNumber == "" {
			f.Errors["corporate_number"] = i18n.Msg("registerui.error.required")
		} else if cn, err := register.ParseCorporateNumber(f.CorporateNumber); err != nil {
			f.Errors["corporate_number"] = messageOf(err)
		} else {
			o.CorporateNumber = cn
		}
	}
	if f.LocalGovCode != "" {
		if code, err := register.ParseLocalGovCode(f.LocalGovCode); err != nil {
			f.Errors["local_gov_code"] = messageOf(err)
		} else {
			o.LocalGovCode = code
		}
	}
	if f.NameJa == "" {
		f.Errors["name_ja"] = i18n.Msg("registerui.error.required")
	}
	o.Name = kijun.Text{Ja: f.NameJa, En: f.NameEn}
	var sector *operators.SectorChoice
	for i := range sectors {
		if sectors[i].Code == f.Sector {
			sector = &sectors[i]
		}
	}
	switch {
	case f.Sector == "":
		f.Errors["sector"] = i18n.Msg("registerui.error.choose")
	case sector == nil || !authz.Can(p, authz.ManageOperators, authz.Resource{SectorCode: f.Sector}):
		f.Errors["sector"] = i18n.Msg("registerui.error.sector_not_yours")
	default:
		o.SectorCode = f.Sector
	}
	if len(f.Scopes) == 0 {
		f.Errors["scopes"] = i18n.Msg("registerui.error.scopes_required")
	} else if sector != nil {
		for _, v := range f.Scopes {
			id := formID(v)
			if !slices.ContainsFunc(sector.Scopes, func(sc kijun.BusinessScope) bool { return sc.ID == id }) {
				f.Errors["scopes"] = i18n.Msg("registerui.error.scope_of_other_sector")
				break
			}
			if !slices.Contains(o.ScopeIDs, id) {
				o.ScopeIDs = append(o.ScopeIDs, id)
			}
		}
		slices.Sort(o.ScopeIDs)
	}
	if d := register.Designation(f.Designation); slices.Contains(operators.Designations, d) {
		o.Designation = d
	} else {
		f.Errors["designation"] = i18n.Msg("registerui.error.choose")
	}
	if f.DesignatedSince == "" {
		f.Errors["designated_since"] = i18n.Msg("registerui.error.required")
	} else if d, err := time.Parse(time.DateOnly, f.DesignatedSince); err != nil {
		f.Errors["designated_since"] = i18n.Msg("form.bad_date")
	} else {
		o.DesignatedSince = d
	}
	o.Reason = f.Reason
	for field, id := range o.TextProblems() {
		f.Errors[field] = i18n.Msg(id)
	}
	return o
}

// messageOf is the message of a *kijun.Error, with its arguments.
func messageOf(err error) i18n.Message { return i18n.MessageOf(err, "operators.invalid") }

// designatingMinistry is the ministry of p that oversees sector: the one
// recorded as 指定者. NCO keeps what was there.
func designatingMinistry(p *identity.Principal, oversight map[string][]string, sector, was string) string {
	for _, m := range p.Ministries {
		if slices.Contains(oversight[m], sector) {
			return m
		}
	}
	return was
}

// handleOperatorCreate registers an operator from the form; bad input
// comes back (422) with what was typed.
func (s *Server) handleOperatorCreate(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	sectors, err := s.sectorChoices(r, p)
	if err != nil {
		return err
	}
	f := readOperatorForm(r, "")
	o := validateOperatorForm(p, &f, sectors)
	if len(f.Errors) > 0 {
		return s.renderOperatorForm(w, r, http.StatusUnprocessableEntity, f, kijun.Text{})
	}
	var id int64
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		oversight, err := postgres.Oversight(r.Context(), tx)
		if err != nil {
			return err
		}
		o.DesignatedBy = designatingMinistry(p, oversight, o.SectorCode, "")
		id, err = postgres.RegisterOperator(r.Context(), tx, p, o, middleware.GetReqID(r.Context()))
		return err
	})
	if kijun.ErrorCode(err) == kijun.EConflict || kijun.ErrorCode(err) == kijun.EInvalid || kijun.ErrorCode(err) == kijun.EForbidden {
		field := "corporate_number"
		if kijun.ErrorCode(err) != kijun.EConflict {
			field = "sector"
		}
		f.Errors[field] = messageOf(err)
		return s.renderOperatorFormArgs(w, r, f, err)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/operators/"+itoa(id)+"?saved=1", http.StatusSeeOther)
	return nil
}

// renderOperatorFormArgs re-renders the create form after the store
// refused it; the duplicate message names the number, which the field
// error cannot carry, so it goes in the summary as the field's message.
func (s *Server) renderOperatorFormArgs(w http.ResponseWriter, r *http.Request, f operators.OperatorForm, err error) error {
	if messageOf(err).MessageID == "operators.duplicate_corporate_number" {
		f.Errors["corporate_number"] = i18n.Msg("registerui.error.duplicate_corporate_number")
	}
	return s.renderOperatorForm(w, r, http.StatusUnprocessableEntity, f, kijun.Text{})
}

func (s *Server) handleOperatorEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var o register.Record
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		o, err = loadOperator(r, tx, p, id, authz.ManageOperators)
		return err
	})
	if err != nil {
		return err
	}
	f := formOf(o.Operator)
	orig := f
	f.Orig = &orig
	return s.renderOperatorForm(w, r, http.StatusOK, f, o.Name)
}

// handleOperatorUpdate saves the edit form with optimistic locking: if
// someone changed the operator since the form was opened, nothing is
// written and the form comes back (409) with what changed.
func (s *Server) handleOperatorUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	sectors, err := s.sectorChoices(r, p)
	if err != nil {
		return err
	}
	f := readOperatorForm(r, "")
	orig := readOperatorForm(r, "orig_")
	f.ID, f.Orig = id, &orig
	f.Version = atoiOr0(r.PostFormValue("version"))
	var current register.Record
	status := 0
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if current, err = loadOperator(r, tx, p, id, authz.ManageOperators); err != nil {
			return err
		}
		f.CorporateNumber = current.CorporateNumber
		o := validateOperatorForm(p, &f, sectors)
		if len(f.Errors) > 0 {
			status = http.StatusUnprocessableEntity
			return nil
		}
		if current.Version != f.Version {
			status = http.StatusConflict
			return nil
		}
		oversight, err := postgres.Oversight(r.Context(), tx)
		if err != nil {
			return err
		}
		o.ID, o.Version, o.CorporateNumber = id, f.Version, current.CorporateNumber
		o.DesignatedBy = designatingMinistry(p, oversight, o.SectorCode, current.DesignatedBy)
		_, err = postgres.UpdateOperator(r.Context(), tx, p, o, middleware.GetReqID(r.Context()))
		if kijun.ErrorCode(err) == kijun.EConflict {
			status = http.StatusConflict
			return errConflictRollback
		}
		return err
	})
	if errors.Is(err, errConflictRollback) {
		// Re-read what is there now to show the difference.
		err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
			current, err = loadOperator(r, tx, p, id, authz.ManageOperators)
			return err
		})
	}
	if err != nil {
		return err
	}
	switch status {
	case http.StatusUnprocessableEntity:
		return s.renderOperatorForm(w, r, status, f, current.Name)
	case http.StatusConflict:
		now := formOf(current.Operator)
		f.Changes = s.formChanges(r, orig, now, f)
		f.Version, f.Orig = now.Version, &now
		return s.renderOperatorForm(w, r, status, f, current.Name)
	}
	http.Redirect(w, r, "/operators/"+itoa(id)+"?saved=1", http.StatusSeeOther)
	return nil
}

// errConflictRollback ends a transaction whose update met a newer version.
var errConflictRollback = kijun.Errorf(kijun.EConflict, "operators.conflict", nil)

// formChanges lists the fields that differ between the version the
// editor opened (then) and the one stored now, with the editor's input.
func (s *Server) formChanges(r *http.Request, then, now, yours operators.OperatorForm) []operators.Change {
	show := func(field string, f operators.OperatorForm) string {
		switch field {
		case "local_gov_code":
			return f.LocalGovCode
		case "name_ja":
			return f.NameJa
		case "name_en":
			return f.NameEn
		case "sector":
			return f.Sector
		case "scopes":
			sc := slices.Clone(f.Scopes)
			slices.Sort(sc)
			return strings.Join(sc, ",")
		case "designation":
			return f.Designation
		case "designated_since":
			return f.DesignatedSince
		case "reason":
			return f.Reason
		}
		return ""
	}
	label := s.formLabeller(r)
	var out []operators.Change
	for _, field := range operators.FormFields {
		if field == "corporate_number" {
			continue
		}
		if a, b := show(field, then), show(field, now); a != b {
			out = append(out, operators.Change{Field: field, Then: label(field, a), Now: label(field, b), YourValue: label(field, show(field, yours))})
		}
	}
	return out
}

// formLabeller turns a form value (codes, ids) into what the user reads.
func (s *Server) formLabeller(r *http.Request) func(field, value string) string {
	loc := i18n.From(r.Context())
	sectors, _ := postgres.ListSectors(r.Context(), s.db)
	return func(field, value string) string {
		switch field {
		case "sector":
			for _, sc := range sectors {
				if sc.Code == value {
					return loc.Pick(sc.Name)
				}
			}
		case "designation":
			if value != "" {
				return loc.T("designation." + value)
			}
		case "scopes":
			var names []string
			for v := range strings.SplitSeq(value, ",") {
				id, _ := strconv.ParseInt(v, 10, 64)
				for _, sc := range sectors {
					for _, b := range sc.Scopes {
						if b.ID == id {
							names = append(names, loc.Pick(b.Name))
						}
					}
				}
			}
			return strings.Join(names, loc.T("list.separator"))
		}
		return value
	}
}

// handleOperatorWithdraw marks an operator withdrawn with a reason; the
// record stays. A missing reason brings the record back (422).
func (s *Server) handleOperatorWithdraw(w http.ResponseWriter, r *http.Request) error {
	return s.setOperatorStatus(w, r, true)
}

// handleOperatorReinstate makes a withdrawn operator active again.
func (s *Server) handleOperatorReinstate(w http.ResponseWriter, r *http.Request) error {
	return s.setOperatorStatus(w, r, false)
}

func (s *Server) setOperatorStatus(w http.ResponseWriter, r *http.Request, withdraw bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	version := atoiOr0(r.PostFormValue("version"))
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if _, err := loadOperator(r, tx, p, id, authz.ManageOperators); err != nil {
			return err
		}
		if withdraw {
			return postgres.WithdrawOperator(r.Context(), tx, p, id, version, reason, middleware.GetReqID(r.Context()))
		}
		return postgres.ReinstateOperator(r.Context(), tx, p, id, version, middleware.GetReqID(r.Context()))
	})
	if withdraw && kijun.ErrorCode(err) == kijun.EInvalid {
		return s.renderRecord(w, r, http.StatusUnprocessableEntity, func(v *operators.ShowView) {
			v.WithdrawError, v.WithdrawInput = messageOf(err), reason
		})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/operators/"+itoa(id)+"?saved=1", http.StatusSeeOther)
	return nil
}
