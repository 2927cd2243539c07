// Package notices renders the notification inbox, the notification
// preferences and the NCO's list of dead background jobs.
package notices

import "time"

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
