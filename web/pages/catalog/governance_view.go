package catalog

import (
	kcat "github.com/kijun-portal/kijun/internal/catalog"
)

// GovernanceView is a version's governance page: its status in the
// revision process, the 改定理由 of its revised controls, the ministries'
// comments, the public-comment results and the decision, with the forms
// the reader may use.
type GovernanceView struct {
	Catalog      kcat.Catalog // with controls, reasons, decision and public comments
	HasBase      bool         // copied from an earlier version: reasons apply
	Revised      []RevisedRow
	Comments     []kcat.Comment // as the reader may see them (RLS)
	CanGovern    bool           // NCO admin
	CanComment   bool           // a ministry, while under consultation
	Ministries   []string       // the reader's ministries, to comment as
	Notice       string
	ReasonErrors map[string]string // by ref
	Typed        map[string]string // reasons as typed, by ref
	Comment      CommentForm
	Public       PublicForm
	Decide       DecideForm
}

// RevisedRow is one control added, changed or removed, with its reason.
type RevisedRow struct {
	Ref    string
	Kind   string // added, changed, removed
	Title  string
	Reason string
}

// RevisedRows lists the revised controls of ch in its order.
func RevisedRows(ch kcat.Changes, reasons map[string]string) []RevisedRow {
	var rows []RevisedRow
	for _, c := range ch.Added {
		rows = append(rows, RevisedRow{Ref: c.Ref, Kind: "added", Title: c.Title.Ja, Reason: reasons[c.Ref]})
	}
	for _, c := range ch.Changed {
		rows = append(rows, RevisedRow{Ref: c.Ref, Kind: "changed", Title: c.New.Title.Ja, Reason: reasons[c.Ref]})
	}
	for _, c := range ch.Removed {
		rows = append(rows, RevisedRow{Ref: c.Ref, Kind: "removed", Title: c.Title.Ja, Reason: reasons[c.Ref]})
	}
	return rows
}

// ReasonValue is what the reason field of ref shows: what was typed
// after a refusal, else the stored reason.
func (v GovernanceView) ReasonValue(r RevisedRow) string {
	if t, ok := v.Typed[r.Ref]; ok {
		return t
	}
	return r.Reason
}

// CommentForm is the ministry's comment form, as typed.
type CommentForm struct {
	Ref, Body, Ministry string
	Field, Error        string
}

// PublicForm is the public-comment results form, as typed.
type PublicForm struct {
	Summary      string
	Field, Error string
}

// DecideForm is the decision form, as typed.
type DecideForm struct {
	DecidedBy, Reference, DecidedOn, EffectiveOn, Note string
	Errors                                             map[string]string
	Message                                            string
}
