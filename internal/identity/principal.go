package identity

import (
	"slices"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Role is what a user may do, within the scope of a grant.
type Role string

const (
	RoleNCOAdmin      Role = "nco_admin"
	RoleNCOAnalyst    Role = "nco_analyst"
	RoleMinistryAdmin Role = "ministry_admin"
	RoleMinistryStaff Role = "ministry_staff"
	RoleOperatorAdmin Role = "operator_admin"
	RoleOperatorStaff Role = "operator_staff"
	// RoleOperatorReviewer (社内確認者) does the operator's internal check
	// besides the work of its staff, and administers nobody.
	RoleOperatorReviewer Role = "operator_reviewer"
)

// Roles lists every role, broadest first.
var Roles = []Role{RoleNCOAdmin, RoleNCOAnalyst, RoleMinistryAdmin, RoleMinistryStaff, RoleOperatorAdmin, RoleOperatorReviewer, RoleOperatorStaff}

// ScopeKind says what a role is scoped to.
func (r Role) ScopeKind() string {
	switch r {
	case RoleNCOAdmin, RoleNCOAnalyst:
		return "nco"
	case RoleMinistryAdmin, RoleMinistryStaff:
		return "ministry"
	case RoleOperatorAdmin, RoleOperatorStaff, RoleOperatorReviewer:
		return "operator"
	}
	return ""
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Grant sources.
const (
	SourceDirectory       = "directory"        // granted by an admin in the portal
	SourceClaim           = "claim"            // mapped from a provider's claim at sign-in
	SourceCorporateNumber = "corporate_number" // a provider asserted the user's 法人番号
)

// Grant is a role held by a user in a scope. A grant an admin revoked
// stays revoked: sign-in does not give the same role in the same scope
// again from the provider's claims until an admin restores it.
type Grant struct {
	ID           int64
	UserID       int64
	Role         Role
	MinistryCode string // ministry roles
	OperatorID   int64  // operator roles
	OperatorName kijun.Text
	SectorCode   string // the operator's sector, for operator roles
	Source       string
	Provider     string
	GrantedAt    time.Time
	GrantedBy    string // display name of the granting user, if any
	RevokedAt    *time.Time
	RevokedBy    string // display name of the revoking admin, if any
}

// Principal is the signed-in user of a request with every active grant,
// and the scope those grants give, worked out once per request.
type Principal struct {
	UserID int64
	Name   string
	Email  string
	Grants []Grant

	NCO             bool     // holds an NCO role
	NCOAdmin        bool     // holds nco_admin
	Ministries      []string // ministries the user holds a role in
	AdminMinistries []string // … as ministry_admin
	Sectors         []string // sectors those ministries oversee
	AdminSectors    []string // sectors the admin ministries oversee
	Operators       []int64  // operators the user holds a role in
	AdminOperators  []int64  // … as operator_admin
	// CheckOperators: operators whose internal check (社内確認) the user
	// does by role (operator_admin or operator_reviewer).
	CheckOperators []int64
	// Deputyships are the delegations naming the user as deputy that have
	// not ended (LoadPrincipal reads them); the policy asks which hold on
	// the day (authz.DeputyFor).
	Deputyships []Deputyship
}

// Deputyship is a delegation while away (不在時の代理): ForUser, who does
// the internal check of Operator, is away from From to To (days in
// Japan, both inclusive), and the principal is the deputy.
type Deputyship struct {
	ID         int64
	OperatorID int64
	ForUserID  int64
	ForName    string
	From, To   time.Time
}

// On reports whether the deputyship holds on day (any time of it, in
// Japan).
func (d Deputyship) On(day time.Time) bool {
	y, m, dd := day.In(kijun.JST).Date()
	t := time.Date(y, m, dd, 0, 0, 0, 0, kijun.JST)
	from := time.Date(d.From.Year(), d.From.Month(), d.From.Day(), 0, 0, 0, 0, kijun.JST)
	to := time.Date(d.To.Year(), d.To.Month(), d.To.Day(), 0, 0, 0, 0, kijun.JST)
	return !t.Before(from) && !t.After(to)
}

// NewPrincipal derives the scope of a user's grants. oversight maps each
// ministry code to the sectors it oversees.
func NewPrincipal(userID int64, name, email string, grants []Grant, oversight map[string][]string) *Principal {
	p := &Principal{UserID: userID, Name: name, Email: email, Grants: grants}
	for _, g := range grants {
		switch g.Role {
		case RoleNCOAdmin:
			p.NCO, p.NCOAdmin = true, true
		case RoleNCOAnalyst:
			p.NCO = true
		case RoleMinistryAdmin, RoleMinistryStaff:
			p.Ministries = appendNew(p.Ministries, g.MinistryCode)
			for _, s := range oversight[g.MinistryCode] {
				p.Sectors = appendNew(p.Sectors, s)
			}
			if g.Role == RoleMinistryAdmin {
				p.AdminMinistries = appendNew(p.AdminMinistries, g.MinistryCode)
				for _, s := range oversight[g.MinistryCode] {
					p.AdminSectors = appendNew(p.AdminSectors, s)
				}
			}
		case RoleOperatorAdmin, RoleOperatorStaff, RoleOperatorReviewer:
			p.Operators = appendNew(p.Operators, g.OperatorID)
			if g.Role == RoleOperatorAdmin {
				p.AdminOperators = appendNew(p.AdminOperators, g.OperatorID)
			}
			if g.Role == RoleOperatorAdmin || g.Role == RoleOperatorReviewer {
				p.CheckOperators = appendNew(p.CheckOperators, g.OperatorID)
			}
		}
	}
	return p
}

func appendNew[T comparable](s []T, v T) []T {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// SignedIn reports whether p is a signed-in user (it may have no grant).
func (p *Principal) SignedIn() bool { return p != nil && p.UserID != 0 }

// HasAnyGrant reports whether p may do anything beyond its own account.
func (p *Principal) HasAnyGrant() bool { return p.SignedIn() && len(p.Grants) > 0 }

// OverseesSector reports whether p's ministries oversee sector.
func (p *Principal) OverseesSector(sector string) bool {
	return p != nil && slices.Contains(p.Sectors, sector)
}

// InOperator reports whether p holds a role in operator id.
func (p *Principal) InOperator(id int64) bool {
	return p != nil && id != 0 && slices.Contains(p.Operators, id)
}

// IsOperatorAdmin reports whether p is an admin of operator id.
func (p *Principal) IsOperatorAdmin(id int64) bool {
	return p != nil && id != 0 && slices.Contains(p.AdminOperators, id)
}
