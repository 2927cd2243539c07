package kijun

import "time"

// CatalogStatus is where a catalog version is in its life.
type CatalogStatus string

const (
	CatalogDraft      CatalogStatus = "draft"
	CatalogPublished  CatalogStatus = "published"  // immutable from here on
	CatalogSuperseded CatalogStatus = "superseded" // a newer version is published
)

// Catalog is one version of a baseline control catalog (第3部 of the
// standard): the NCO's baseline, or one imported from elsewhere.
type Catalog struct {
	ID          int64
	Code        string // stable across versions, e.g. "kijun-baseline"
	Version     string // e.g. "2026.1-draft"
	Title       Text
	Note        Text // what the catalog is and where it comes from
	Status      CatalogStatus
	PublishedAt *time.Time
	PublishedBy string
	Controls    []Control
}

// Control is one baseline control.
type Control struct {
	Ref       string // stable across versions, "<section>-NN", e.g. "GV-03"
	Section   string // a baseline section code: BASE GV ID PR DE RR TT
	Title     Text
	Statement Text     // the checkable practice
	Guidance  Text     // how to meet it, examples
	Themes    []string // theme codes (closed-network, supply-chain, resilience, tech-trends, communication)
	CSF       []string // NIST CSF 2.0 category ids, e.g. "GV.OC", "PR.DS"
	// EvidenceExpected says operators should attach evidence.
	EvidenceExpected bool
	// Sectors limits the control to these sector codes; empty means all.
	Sectors []string
	// Version counts edits, for optimistic locking in the editor.
	Version int
}

// CSFCategories are the 22 categories of NIST CSF 2.0, in its order.
var CSFCategories = []string{
	"GV.OC", "GV.RM", "GV.RR", "GV.PO", "GV.OV", "GV.SC",
	"ID.AM", "ID.RA", "ID.IM",
	"PR.AA", "PR.AT", "PR.DS", "PR.PS", "PR.IR",
	"DE.CM", "DE.AE",
	"RS.MA", "RS.AN", "RS.CO", "RS.MI",
	"RC.RP", "RC.CO",
}
