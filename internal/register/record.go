package register

import (
	"regexp"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// ImportResult counts what ApplyOperatorImport did.
type ImportResult struct {
	Created, Updated int
	Skipped          int     // rows with problems, not written
	IDs              []int64 // of the operators written, in row order
}

// SystemKind is the kind of an important system.
type SystemKind string

const (
	SystemIT    SystemKind = "it"    // 情報系
	SystemOT    SystemKind = "ot"    // 制御系
	SystemCloud SystemKind = "cloud" // クラウド
)

// System is an important system (重要システム) of an operator.
type System struct {
	ID              int64      `json:"-"`
	OperatorID      int64      `json:"-"`
	SectorCode      string     `json:"-"`
	Name            string     `json:"name"`
	Kind            SystemKind `json:"kind"`
	ClosedNetwork   bool       `json:"closed_network"`
	InternetExposed bool       `json:"internet_exposed"`
	Notes           string     `json:"notes"`
	SortOrder       int        `json:"sort_order"`
}

// Contact is a contact point of an operator.
type Contact struct {
	ID         int64  `json:"-"`
	OperatorID int64  `json:"-"`
	SectorCode string `json:"-"`
	Role       string `json:"role"` // what it is for, e.g. CSIRT
	Department string `json:"department"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Phone      string `json:"phone"`
	SortOrder  int    `json:"sort_order"`
}

// Record is an operator with what the register keeps beside it.
// Systems and Contacts are filled by GetOperatorRecord only.
type Record struct {
	Operator
	WithdrawnAt        *time.Time
	WithdrawnReason    string
	UpdatedAt          time.Time
	PendingCorrections int
	Systems            []System
	Contacts           []Contact
}

// Filter narrows SearchOperators. Zero fields do not filter.
type Filter struct {
	Sector string
	Status Status
	// Designation ci or core also matches operators designated as both.
	Designation Designation
	// Query is a substring of the Japanese or English name, or the start
	// of the 法人番号 (full-width digits are folded).
	Query  string
	Limit  int // default 100, at most 1000
	Offset int
}

// Counts break down the operators matching a filter's sector,
// designation and query, whatever its status, so a page can show both
// status tabs with their numbers.
type Counts struct {
	Active, Withdrawn int
	BySector          map[string]int
}

// Page is one page of SearchOperators.
type Page struct {
	Operators []Record
	Total     int // matching every filter, across all pages
	Counts    Counts
}

// Validate reports the first thing wrong with s, as a message for the user.
func (s *System) Validate() error {
	s.Name, s.Notes = strings.TrimSpace(s.Name), strings.TrimSpace(s.Notes)
	switch {
	case kijun.TextProblem(s.Name, s.Notes) != "":
		return kijun.Errorf(kijun.EInvalid, kijun.TextProblem(s.Name, s.Notes), nil)
	case s.Name == "" || len([]rune(s.Name)) > 200:
		return kijun.Errorf(kijun.EInvalid, "operators.system.name_required", nil)
	case s.Kind != SystemIT && s.Kind != SystemOT && s.Kind != SystemCloud:
		return kijun.Errorf(kijun.EInvalid, "operators.system.kind_invalid", nil)
	case len([]rune(s.Notes)) > 2000:
		return kijun.Errorf(kijun.EInvalid, "operators.too_long", map[string]any{"Max": 2000})
	}
	return nil
}

var phonePattern = regexp.MustCompile(`^[0-9+() -]{0,30}$`)

// Validate reports the first thing wrong with c, as a message for the
// user. Full-width digits in the phone number are folded.
func (c *Contact) Validate() error {
	c.Role, c.Department, c.Name = strings.TrimSpace(c.Role), strings.TrimSpace(c.Department), strings.TrimSpace(c.Name)
	c.Email, c.Phone = strings.TrimSpace(c.Email), NormalizeDigits(c.Phone)
	switch {
	case kijun.TextProblem(c.Role, c.Department, c.Name, c.Email) != "":
		return kijun.Errorf(kijun.EInvalid, kijun.TextProblem(c.Role, c.Department, c.Name, c.Email), nil)
	case c.Role == "" || len([]rune(c.Role)) > 100:
		return kijun.Errorf(kijun.EInvalid, "operators.contact.role_required", nil)
	case c.Name == "" && c.Email == "" && c.Phone == "":
		return kijun.Errorf(kijun.EInvalid, "operators.contact.empty", nil)
	case len([]rune(c.Department)) > 200 || len([]rune(c.Name)) > 200:
		return kijun.Errorf(kijun.EInvalid, "operators.too_long", map[string]any{"Max": 200})
	case c.Email != "" && !validEmail(c.Email):
		return kijun.Errorf(kijun.EInvalid, "operators.contact.email_invalid", nil)
	case !phonePattern.MatchString(c.Phone):
		return kijun.Errorf(kijun.EInvalid, "operators.contact.phone_invalid", nil)
	}
	return nil
}

// validEmail is the one rule of what an address is, the directory's
// (identity.NormalizeEmail).
func validEmail(s string) bool {
	_, ok := identity.NormalizeEmail(s)
	return ok
}
