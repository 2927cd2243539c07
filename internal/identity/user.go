package identity

import (
	"time"
)

// UserSummary is a row of the user directory.
type UserSummary struct {
	ID          int64
	Name        string
	Email       string
	LastLoginAt *time.Time
	Grants      []Grant
}
