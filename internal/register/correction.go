package register

import (
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// CorrectionKind says which list a correction replaces.
type CorrectionKind string

const (
	CorrectContacts CorrectionKind = "contacts"
	CorrectSystems  CorrectionKind = "systems"
)

// CorrectionStatus is where a correction stands.
type CorrectionStatus string

const (
	CorrectionPending  CorrectionStatus = "pending"
	CorrectionAccepted CorrectionStatus = "accepted"
	CorrectionRejected CorrectionStatus = "rejected"
)

// Correction is an operator's proposal to replace its own contacts or
// systems with a new full list. Exactly one of Systems and Contacts is
// used, by Kind. ProposerName and DeciderName are empty where RLS on users
// hides the user (operators do not see ministry staff).
type Correction struct {
	ID           int64
	OperatorID   int64
	OperatorName kijun.Text
	SectorCode   string
	ProposedBy   int64
	ProposerName string
	ProposedAt   time.Time
	Kind         CorrectionKind
	Systems      []System
	Contacts     []Contact
	Note         string
	Status       CorrectionStatus
	DecidedBy    int64
	DeciderName  string
	DecidedAt    *time.Time
	DecisionNote string
}

// CorrectionFilter narrows ListCorrections. Zero fields do not filter.
type CorrectionFilter struct {
	OperatorID int64
	Sector     string
	Status     CorrectionStatus
}
