// Package notices renders the notification inbox, the notification
// preferences and the NCO's list of dead background jobs.
package notices

import (
	"context"
	"time"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/notify"
)

// DeadJob is one job the queue gave up on.
type DeadJob struct {
	ID                    int64
	Kind, Args            string
	Attempts, MaxAttempts int
	At                    time.Time
	Errors                []string
}

// DeadJobsView is the NCO admin's page of dead jobs.
type DeadJobsView struct{ Jobs []DeadJob }

// InboxView is the reader's notifications, newest first.
type InboxView struct {
	Notes  []notify.Note
	Unread int
}

// Text is a notification's sentence in the reader's language.
func Text(ctx context.Context, n notify.Note) string {
	l := i18n.From(ctx)
	args := map[string]any{}
	for k, v := range n.Params {
		args[k] = l.Pick(v)
	}
	return l.T("notify.kind."+string(n.Kind), args)
}

// SettingsView is the reader's notification preferences form.
type SettingsView struct {
	Prefs notify.Prefs
	Saved bool
	Error string // message id
}
