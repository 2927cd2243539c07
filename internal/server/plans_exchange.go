package server

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/oscal"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/register"
	"github.com/kijun-portal/kijun/web/pages/plans"
)

// The sector profile's interchange: an XLSX sheet for offline editing
// (drop-down lists, the same preview-then-confirm rules as the operator
// import), and an OSCAL 1.1 profile that imports the baseline catalog.

// profileColumns are the sheet's columns; keys double as message ids
// (plans.col.<key>) of the headers in each language.
var profileColumns = []string{"ref", "section", "title", "applies", "na_reason", "target_status", "target_maturity",
	"tailoring_note", "standard_doc", "standard_clause", "reflection", "reflection_on", "reflection_reason", "sectors"}

// choice lists of the sheet, per language: the cell shows the label.
func profileChoices(ctx context.Context) map[string][]string {
	t := func(id string) string { return i18n.T(ctx, id) }
	return map[string][]string{
		"applies":         {t("plans.applies.yes"), t("plans.applies.no")},
		"target_status":   {t("plans.target.implemented"), t("plans.target.partial")},
		"target_maturity": {"1", "2", "3", "4"},
		"reflection": {t("plans.reflection.reflected"), t("plans.reflection.planned"),
			t("plans.reflection.not_planned")},
	}
}

func (s *Server) loadVersionForExport(r *http.Request) (plan.Plan, *plan.Version, kijun.ReferenceNames, error) {
	var names kijun.ReferenceNames
	id, err := pathID(r, "id")
	if err != nil {
		return plan.Plan{}, nil, names, err
	}
	p := principal(r)
	var pl plan.Plan
	var v *plan.Version
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if pl, err = loadPlan(r.Context(), tx, p, id, authz.ViewPlans); err != nil {
			return err
		}
		if v, err = postgres.GetPlanVersion(r.Context(), tx, id, versionParam(r)); err != nil {
			return err
		}
		names, err = postgres.LoadReferenceNames(r.Context(), tx)
		return err
	})
	return pl, v, names, err
}

// sectorCell names sectors in the user's language, as the sheet shows them.
func sectorCell(ctx context.Context, names kijun.ReferenceNames, codes []string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = i18n.From(ctx).Pick(kijun.Name(names.Sectors, c))
	}
	return strings.Join(out, "、")
}

// parseSectorCell reads a sheet's sectors: names in either language or
// codes, separated by 、 or commas. ok is false when one is unknown.
func parseSectorCell(cell string, names kijun.ReferenceNames) (codes []string, ok bool) {
	codes = []string{}
	for _, part := range strings.FieldsFunc(cell, func(r rune) bool { return r == ',' || r == '、' || r == '，' || r == ';' }) {
		part = strings.TrimSpace(part)
		found := ""
		for _, n := range names.Sectors {
			if strings.EqualFold(part, n.Code) || part == n.Name.Ja || strings.EqualFold(part, n.Name.En) {
				found = n.Code
			}
		}
		if found == "" {
			return nil, false
		}
		if !slices.Contains(codes, found) {
			codes = append(codes, found)
		}
	}
	return codes, true
}

func (s *Server) handleProfileXLSX(w http.ResponseWriter, r *http.Request) error {
	pl, v, names, err := s.loadVersionForExport(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	loc := i18n.From(ctx)
	choices := profileChoices(ctx)
	cols := make([]exchange.Column, len(profileColumns))
	for i, k := range profileColumns {
		cols[i] = exchange.Column{Header: i18n.T(ctx, "plans.col."+k), Choices: choices[k]}
		switch k {
		case "title", "na_reason", "tailoring_note", "reflection_reason":
			cols[i].Width = 40
		}
	}
	var b bytes.Buffer
	x, err := exchange.NewXLSXWriter(&b, i18n.T(ctx, "plans.sheet"), cols)
	if err != nil {
		return err
	}
	for _, c := range v.Profile {
		applies := choices["applies"][0]
		if !c.Applies {
			applies = choices["applies"][1]
		}
		maturity := ""
		if c.TargetMaturity > 0 {
			maturity = strconv.Itoa(c.TargetMaturity)
		}
		reflection := ""
		if c.Reflection != "" {
			reflection = i18n.T(ctx, "plans.reflection."+string(c.Reflection))
		}
		if err := x.Write([]string{c.Ref, c.Section, loc.Pick(c.Title), applies, c.NAReason,
			i18n.T(ctx, "plans.target."+string(c.TargetStatus)), maturity, c.TailoringNote, c.StandardDoc, c.StandardClause,
			reflection, string(c.ReflectionOn), c.ReflectionReason, sectorCell(ctx, names, c.Sectors)}); err != nil {
			return err
		}
	}
	if err := x.Close(); err != nil {
		return err
	}
	name := "plan-" + itoa(pl.ID) + "-v" + strconv.Itoa(v.Version) + "-profile.xlsx"
	return sendFile(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name, b.Bytes())
}

// cellLookup finds a row's cell by the column's header in either language.
func cellLookup(values map[string]string, key string) (string, bool) {
	for _, lang := range []kijun.Lang{kijun.Ja, kijun.En} {
		h := i18n.New(lang).T("plans.col." + key)
		for k, v := range values {
			if strings.EqualFold(strings.TrimSpace(k), h) {
				return strings.TrimSpace(v), true
			}
		}
	}
	return "", false
}

// matchChoice maps a cell to a code by the labels of either language
// (or the code itself).
func matchChoice(cell string, codes []string, prefix string) (string, bool) {
	for _, code := range codes {
		if strings.EqualFold(cell, code) {
			return code, true
		}
		for _, lang := range []kijun.Lang{kijun.Ja, kijun.En} {
			if strings.EqualFold(cell, i18n.New(lang).T(prefix+code)) {
				return code, true
			}
		}
	}
	return "", false
}

// ParseProfileRows checks every row of an uploaded profile sheet against
// the stored profile: a row must name one of its controls; every bad cell
// is reported with its column. It returns each row with what it would
// change.
func parseProfileRows(rows []exchange.Row, stored []plan.ProfileControl, names kijun.ReferenceNames) ([]plans.PreviewRow, []plan.ProfileControl) {
	byRef := map[string]plan.ProfileControl{}
	for _, c := range stored {
		byRef[c.Ref] = c
	}
	seen := map[string]int{}
	var out []plans.PreviewRow
	var valid []plan.ProfileControl
	for _, row := range rows {
		pr := plans.PreviewRow{Line: row.Line}
		bad := func(field, id string, args map[string]any) {
			pr.Problems = append(pr.Problems, plan.FieldProblem{Ref: pr.Ref, Field: field, MessageID: id, Args: args})
		}
		ref, _ := cellLookup(row.Values, "ref")
		pr.Ref = strings.ToUpper(ref)
		old, ok := byRef[pr.Ref]
		switch {
		case pr.Ref == "":
			bad("ref", "plans.import.no_ref", nil)
		case !ok:
			bad("ref", "plans.import.unknown_ref", map[string]any{"Ref": pr.Ref})
		case seen[pr.Ref] != 0:
			bad("ref", "plans.import.duplicate_ref", map[string]any{"Line": seen[pr.Ref]})
		}
		if len(pr.Problems) > 0 {
			out = append(out, pr)
			continue
		}
		seen[pr.Ref] = row.Line
		c := old
		if cell, ok := cellLookup(row.Values, "applies"); ok {
			code, ok := matchChoice(cell, []string{"yes", "no"}, "plans.applies.")
			if !ok {
				bad("applies", "plans.import.bad_choice", map[string]any{"Value": cell})
			}
			c.Applies = code != "no"
		}
		if cell, ok := cellLookup(row.Values, "sectors"); ok {
			codes, ok := parseSectorCell(cell, names)
			if !ok {
				bad("sectors", "plans.import.bad_choice", map[string]any{"Value": cell})
			}
			c.Sectors = codes
		}
		if cell, ok := cellLookup(row.Values, "target_status"); ok {
			code, ok := matchChoice(cell, []string{"implemented", "partial"}, "plans.target.")
			if !ok {
				bad("target_status", "plans.import.bad_choice", map[string]any{"Value": cell})
			}
			c.TargetStatus = assessment.AnswerStatus(code)
		}
		if cell, ok := cellLookup(row.Values, "target_maturity"); ok {
			c.TargetMaturity = 0
			if cell != "" {
				n, err := strconv.Atoi(register.NormalizeDigits(cell))
				if err != nil || n < 1 || n > assessment.MaxMaturity {
					bad("target_maturity", "plans.error.maturity", nil)
				}
				c.TargetMaturity = n
			}
		}
		if cell, ok := cellLookup(row.Values, "reflection"); ok {
			c.Reflection = ""
			if cell != "" {
				code, ok := matchChoice(cell, []string{"reflected", "planned", "not_planned"}, "plans.reflection.")
				if !ok {
					bad("reflection", "plans.import.bad_choice", map[string]any{"Value": cell})
				}
				c.Reflection = plan.Reflection(code)
			}
		}
		if cell, ok := cellLookup(row.Values, "reflection_on"); ok {
			c.ReflectionOn = ""
			if cell != "" {
				d, ok := kijun.ParseDate(cell)
				if !ok {
					bad("reflection_on", "plans.error.date", nil)
				}
				c.ReflectionOn = d
			}
		}
		for key, dst := range map[string]*string{"na_reason": &c.NAReason, "tailoring_note": &c.TailoringNote,
			"standard_doc": &c.StandardDoc, "standard_clause": &c.StandardClause, "reflection_reason": &c.ReflectionReason} {
			if cell, ok := cellLookup(row.Values, key); ok {
				*dst = cell
			}
		}
		if len(pr.Problems) == 0 {
			for _, prob := range c.Check() {
				bad(prob.Field, prob.MessageID, prob.Args)
			}
		}
		a, b := &plan.Version{Profile: []plan.ProfileControl{old}}, &plan.Version{Profile: []plan.ProfileControl{c}}
		pr.Changes = plan.DiffVersions(a, b)
		if len(pr.Problems) > 0 || len(pr.Changes) > 0 {
			out = append(out, pr)
		}
		if len(pr.Problems) == 0 && len(pr.Changes) > 0 {
			valid = append(valid, c)
		}
	}
	return out, valid
}

const sessionProfileImport = "plans.profile.import"

// pendingProfileImport is a previewed profile upload waiting for
// confirmation: the valid changed rows, in the user's server-side session.
type pendingProfileImport struct {
	Token  string
	PlanID int64
	At     time.Time
	Rows   []plan.ProfileControl
}

func init() { gob.Register(pendingProfileImport{}) }

func (s *Server) handleProfileImport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	refuse := func(status int, msgID string, args map[string]any) error {
		return s.renderPlanProfile(w, r, status, plans.ProfileView{ImportError: i18n.From(r.Context()).T(msgID, args)}, nil)
	}
	up, err := readUpload(w, r, "file", exchange.DefaultMaxBytes, "plans.import.no_file")
	var ke *kijun.Error
	if errors.As(err, &ke) {
		return refuse(statusOf(err), ke.MessageID, ke.Args)
	}
	table, err := exchange.Read(bytes.NewReader(up.Data), exchange.ReadOptions{})
	if errors.As(err, &ke) {
		return refuse(http.StatusUnprocessableEntity, ke.MessageID, ke.Args)
	}
	if err != nil {
		return err
	}
	v := plans.PreviewView{FileName: up.Name}
	var valid []plan.ProfileControl
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if v.Plan, err = loadPlan(r.Context(), tx, p, id, authz.EditPlans); err != nil {
			return err
		}
		ver, err := postgres.GetPlanVersion(r.Context(), tx, id, 0)
		if err != nil {
			return err
		}
		if ver.Status != plan.Draft {
			return kijun.Errorf(kijun.EConflict, "plans.error.immutable", nil)
		}
		if v.Names, err = postgres.LoadReferenceNames(r.Context(), tx); err != nil {
			return err
		}
		v.Rows, valid = parseProfileRows(table.Rows, ver.Profile, v.Names)
		return nil
	})
	if err != nil {
		return err
	}
	for _, row := range v.Rows {
		v.Problems += len(row.Problems)
		if len(row.Problems) == 0 {
			v.Changes++
		}
	}
	if len(valid) > 0 {
		v.Token = randomToken()
		s.auth.Sessions.Put(r.Context(), sessionProfileImport, pendingProfileImport{Token: v.Token, PlanID: id, At: s.now(), Rows: valid})
	} else {
		s.auth.Sessions.Remove(r.Context(), sessionProfileImport)
	}
	return s.render(w, r, http.StatusOK, plans.ImportPreview(v))
}

func (s *Server) handleProfileImportConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if _, err := loadPlan(r.Context(), tx, p, id, authz.EditPlans); err != nil {
			return err
		}
		// One confirmation per preview, whatever happens next.
		pending, ok := s.auth.Sessions.Get(r.Context(), sessionProfileImport).(pendingProfileImport)
		if !ok || pending.Token == "" || pending.PlanID != id || r.PostFormValue("token") != pending.Token ||
			s.now().Sub(pending.At) > 30*time.Minute {
			return kijun.Errorf(kijun.EConflict, "plans.import.expired", nil)
		}
		s.auth.Sessions.Remove(r.Context(), sessionProfileImport)
		return postgres.UpdateProfileControls(r.Context(), tx, p, id, pending.Rows, reqID(r))
	})
	if ke, ok := refusal(err); ok {
		// An expired preview, a plan no longer a draft: the profile page
		// again, with why beside the upload form.
		return s.renderPlanProfile(w, r, statusOf(err), plans.ProfileView{ImportError: i18n.From(r.Context()).T(ke.MessageID, ke.Args)}, nil)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/plans/"+itoa(id)+"/profile?saved=1", http.StatusSeeOther)
	return nil
}

// OSCAL profile. A profile selects and tailors the controls of the catalog
// it imports; OSCAL has no place in a profile for controls of its own, so
// the sector's supplementary controls travel as back-matter resources
// with Kijun props (docs/plans.md).

type oscalProfileDoc struct {
	Profile oscalProfile `json:"profile"`
}

type oscalProfile struct {
	UUID       string            `json:"uuid"`
	Metadata   oscal.Metadata    `json:"metadata"`
	Imports    []oscalImport     `json:"imports"`
	Merge      *oscalMerge       `json:"merge,omitempty"`
	Modify     *oscalModify      `json:"modify,omitempty"`
	BackMatter *oscal.BackMatter `json:"back-matter,omitempty"`
}

type oscalImport struct {
	Href            string          `json:"href"`
	IncludeControls []oscalSelectBy `json:"include-controls,omitempty"`
	ExcludeControls []oscalSelectBy `json:"exclude-controls,omitempty"`
}

type oscalSelectBy struct {
	WithIDs []string `json:"with-ids"`
}

type oscalMerge struct {
	AsIs bool `json:"as-is"`
}

type oscalModify struct {
	Alters []oscalAlter `json:"alters,omitempty"`
}

type oscalAlter struct {
	ControlID string     `json:"control-id"`
	Adds      []oscalAdd `json:"adds"`
}

type oscalAdd struct {
	Position string           `json:"position,omitempty"`
	Props    []oscal.Property `json:"props,omitempty"`
	Parts    []oscal.Part     `json:"parts,omitempty"`
}

func kprop(name, value string) oscal.Property {
	return oscal.Property{Name: name, NS: oscal.Namespace, Value: value}
}

// ExportProfileOSCAL writes version v of plan pl as an OSCAL profile of
// the catalog exported at catalogHref.
func exportProfileOSCAL(pl plan.Plan, v *plan.Version, catalogHref string) ([]byte, error) {
	catUUID := oscal.UUID("plan/" + itoa(pl.ID) + "/catalog/" + itoa(v.CatalogID))
	md := oscal.Metadata{Title: v.Title.Ja, Version: strconv.Itoa(v.Version), OSCALVersion: oscal.Version,
		LastModified: oscal.FormatTime(v.UpdatedAt),
		Props: []oscal.Property{kprop("ministry", pl.MinistryCode), kprop("status", string(v.Status)),
			kprop("period-start", strconv.Itoa(int(pl.PeriodStart))), kprop("period-end", strconv.Itoa(int(pl.PeriodEnd)))}}
	for _, sc := range pl.SectorCodes {
		md.Props = append(md.Props, kprop("sector", sc))
	}
	if v.Title.En != "" {
		md.Props = append(md.Props, kprop("title-en", v.Title.En))
	}
	if v.DecidedAt != nil && v.Status == plan.Accepted {
		md.Published = oscal.FormatTime(*v.DecidedAt)
	}
	imp := oscalImport{Href: "#" + catUUID}
	var include, exclude []string
	mod := &oscalModify{}
	for _, c := range v.Profile {
		id := strings.ToLower(c.Ref)
		// A control left out for some of its sectors only still applies to
		// the others: it is included, with the sectors it is left out for.
		if !c.Applies && len(c.Sectors) >= len(c.Eligible) {
			exclude = append(exclude, id)
			continue
		}
		include = append(include, id)
		add := oscalAdd{Position: "ending"}
		for _, sc := range c.Sectors {
			if c.Applies {
				add.Props = append(add.Props, kprop("sector", sc))
			} else {
				add.Props = append(add.Props, kprop("not-applicable-sector", sc))
			}
		}
		if c.Applies {
			add.Props = append(add.Props, targetProps(c.ProfileTarget)...)
		} else if c.NAReason != "" && len(add.Props) > 0 {
			add.Props[0].Remarks = c.NAReason
		}
		if c.TailoringNote != "" {
			add.Parts = append(add.Parts, oscal.Part{ID: id + "_tailoring", Name: "tailoring", NS: oscal.Namespace, Prose: c.TailoringNote})
		}
		mod.Alters = append(mod.Alters, oscalAlter{ControlID: id, Adds: []oscalAdd{add}})
	}
	if len(include) > 0 {
		imp.IncludeControls = []oscalSelectBy{{WithIDs: include}}
	}
	if len(exclude) > 0 {
		imp.ExcludeControls = []oscalSelectBy{{WithIDs: exclude}}
	}
	bm := &oscal.BackMatter{Resources: []oscal.Resource{{UUID: catUUID, Title: v.CatalogName,
		Rlinks: []oscal.Rlink{{Href: catalogHref, MediaType: "application/oscal.catalog+json"}}}}}
	for _, sc := range v.Supplementary {
		props := []oscal.Property{kprop("supplementary-control", sc.Ref), kprop("section", sc.Section)}
		for _, sector := range sc.Sectors {
			props = append(props, kprop("sector", sector))
		}
		props = append(props, targetProps(sc.ProfileTarget)...)
		for _, c := range sc.CSF {
			props = append(props, kprop("csf", c))
		}
		for _, t := range sc.Themes {
			props = append(props, kprop("theme", t))
		}
		if sc.Title.En != "" {
			props = append(props, kprop("title-en", sc.Title.En))
		}
		desc := sc.Statement.Ja
		if sc.Guidance.Ja != "" {
			desc += "\n\n" + sc.Guidance.Ja
		}
		bm.Resources = append(bm.Resources, oscal.Resource{UUID: oscal.UUID("plan/" + itoa(pl.ID) + "/supplementary/" + sc.Ref),
			Title: sc.Ref + " " + sc.Title.Ja, Description: desc, Props: props})
	}
	doc := oscalProfileDoc{Profile: oscalProfile{
		UUID:     oscal.UUID("plan/" + itoa(pl.ID) + "/v" + strconv.Itoa(v.Version)),
		Metadata: md, Imports: []oscalImport{imp}, Merge: &oscalMerge{AsIs: true}, BackMatter: bm}}
	if len(mod.Alters) > 0 {
		doc.Profile.Modify = mod
	}
	return json.MarshalIndent(doc, "", "  ")
}

func targetProps(t plan.ProfileTarget) []oscal.Property {
	ps := []oscal.Property{kprop("target-status", string(t.TargetStatus))}
	if t.TargetMaturity > 0 {
		ps = append(ps, kprop("target-maturity", strconv.Itoa(t.TargetMaturity)))
	}
	if t.StandardDoc != "" {
		ps = append(ps, kprop("safety-standard", singleLine(t.StandardDoc)))
	}
	if t.StandardClause != "" {
		ps = append(ps, kprop("safety-standard-clause", singleLine(t.StandardClause)))
	}
	if t.Reflection != "" {
		p := kprop("reflection", string(t.Reflection))
		if t.ReflectionOn != "" {
			p.Remarks = string(t.ReflectionOn)
		}
		if t.ReflectionReason != "" {
			p.Remarks = strings.TrimSpace(p.Remarks + " " + t.ReflectionReason)
		}
		ps = append(ps, p)
		if t.ReflectionOn != "" {
			ps = append(ps, kprop("reflection-date", string(t.ReflectionOn)))
		}
	}
	return ps
}

// singleLine makes s a valid OSCAL string value (one line, trimmed).
func singleLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func (s *Server) handleProfileOSCAL(w http.ResponseWriter, r *http.Request) error {
	pl, v, _, err := s.loadVersionForExport(r)
	if err != nil {
		return err
	}
	body, err := exportProfileOSCAL(pl, v, "/catalogs/"+itoa(v.CatalogID)+"/export.oscal.json")
	if err != nil {
		return err
	}
	name := "plan-" + itoa(pl.ID) + "-v" + strconv.Itoa(v.Version) + "-profile.oscal.json"
	return sendFile(w, "application/json; charset=utf-8", name, body)
}
