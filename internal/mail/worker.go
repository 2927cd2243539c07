package mail

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/kijun-portal/kijun/internal/jobs"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// Delivery sends the notices' mails from the queue.
type Delivery struct {
	DB      *pgxpool.Pool
	Sender  Sender
	BaseURL string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (d *Delivery) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

// Register adds the mail workers to river's workers.
func (d *Delivery) Register(w *river.Workers) {
	river.AddWorker(w, &mailWorker{d: d})
	river.AddWorker(w, &digestWorker{d: d})
	river.AddWorker(w, &cycleWorker{d: d})
	river.AddWorker(w, &catalogWorker{d: d})
	river.AddWorker(w, &bulletinWorker{d: d})
}

// fanOutTimeout bounds a fan-out job: it reads every enrolled operator
// (thousands) and writes their notices in one transaction.
const fanOutTimeout = 10 * time.Minute

// fanOut writes the notices events returns (and queues their mails) in
// one system transaction: all of them, or none and a retry.
func (d *Delivery) fanOut(ctx context.Context, events func(pgx.Tx) ([]notify.Event, error)) error {
	return postgres.SystemTx(ctx, d.DB, func(tx pgx.Tx) error {
		es, err := events(tx)
		if err != nil {
			return err
		}
		_, err = postgres.Notify(ctx, tx, es...)
		return err
	})
}

type cycleWorker struct {
	river.WorkerDefaults[notify.CycleOpenedArgs]
	d *Delivery
}

func (w *cycleWorker) Timeout(*river.Job[notify.CycleOpenedArgs]) time.Duration { return fanOutTimeout }

// Work writes the cycle.opened notices of every enrolled operator.
func (w *cycleWorker) Work(ctx context.Context, job *river.Job[notify.CycleOpenedArgs]) error {
	return w.d.fanOut(ctx, func(tx pgx.Tx) ([]notify.Event, error) {
		return postgres.CycleOpenedEvents(ctx, tx, job.Args.CycleID)
	})
}

type catalogWorker struct {
	river.WorkerDefaults[notify.CatalogPublishedArgs]
	d *Delivery
}

func (w *catalogWorker) Timeout(*river.Job[notify.CatalogPublishedArgs]) time.Duration {
	return fanOutTimeout
}

// Work writes the catalog.published notices of every ministry and
// operator with users.
func (w *catalogWorker) Work(ctx context.Context, job *river.Job[notify.CatalogPublishedArgs]) error {
	err := w.d.fanOut(ctx, func(tx pgx.Tx) ([]notify.Event, error) {
		return postgres.CatalogPublishedEvents(ctx, tx, job.Args.CatalogID)
	})
	if kijun.ErrorCode(err) == kijun.ENotFound {
		return river.JobCancel(err) // no such published catalog: nothing to tell
	}
	return err
}

type bulletinWorker struct {
	river.WorkerDefaults[notify.BulletinPublishedArgs]
	d *Delivery
}

func (w *bulletinWorker) Timeout(*river.Job[notify.BulletinPublishedArgs]) time.Duration {
	return fanOutTimeout
}

// Work writes the bulletin.published notices of every recipient
// organisation of the bulletin.
func (w *bulletinWorker) Work(ctx context.Context, job *river.Job[notify.BulletinPublishedArgs]) error {
	err := w.d.fanOut(ctx, func(tx pgx.Tx) ([]notify.Event, error) {
		return postgres.BulletinPublishedEvents(ctx, tx, job.Args.BulletinID)
	})
	if kijun.ErrorCode(err) == kijun.ENotFound {
		return river.JobCancel(err) // no such bulletin: nothing to tell
	}
	return err
}

type mailWorker struct {
	river.WorkerDefaults[notify.MailArgs]
	d *Delivery
}

// Work mails one notice, in a system transaction that locks it, sends,
// and records mailed_at: a notice already recorded is not sent again (nor
// one to a service account or a user without an address: recorded), and
// a send that fails rolls back and is retried with backoff. (A crash
// between the relay's acceptance and the commit sends it once more, with
// the same Message-ID.)
func (w *mailWorker) Work(ctx context.Context, job *river.Job[notify.MailArgs]) error {
	return postgres.SystemTx(ctx, w.d.DB, func(tx pgx.Tx) error {
		t, err := postgres.LockMailTarget(ctx, tx, job.Args.NotificationID)
		if kijun.ErrorCode(err) == kijun.ENotFound {
			return river.JobCancel(err)
		}
		if err != nil || t.MailedAt != nil {
			return err
		}
		switch {
		case t.Delivery == notify.Digest && t.Kind.Allowed(notify.Digest):
			return nil // the daily digest sends it
		case t.Delivery == notify.Off && t.Kind.Allowed(notify.Off), t.Email == "", t.Service:
			return postgres.MarkMailed(ctx, tx, w.d.now(), t.ID)
		}
		if err := w.d.Sender.Send(ctx, Compose(t.Email, t.Name, t.Lang, notes([]postgres.MailTarget{t}), w.d.BaseURL)); err != nil {
			return err
		}
		return postgres.MarkMailed(ctx, tx, w.d.now(), t.ID)
	})
}

// DigestArgs is the queue's job that mails one user's digest of the
// notices made before Before.
type DigestArgs struct {
	User   int64     `json:"user"`
	Before time.Time `json:"before"`
}

// Kind names the job in the queue.
func (DigestArgs) Kind() string { return "notify.digest" }

type digestWorker struct {
	river.WorkerDefaults[DigestArgs]
	d *Delivery
}

func (w *digestWorker) Work(ctx context.Context, job *river.Job[DigestArgs]) error {
	return postgres.SystemTx(ctx, w.d.DB, func(tx pgx.Tx) error {
		ts, err := postgres.DigestTargets(ctx, tx, job.Args.User, job.Args.Before)
		if err != nil || len(ts) == 0 {
			return err
		}
		ids := make([]int64, len(ts))
		for i, t := range ts {
			ids[i] = t.ID
		}
		if ts[0].Email != "" && !ts[0].Service {
			if err := w.d.Sender.Send(ctx, Compose(ts[0].Email, ts[0].Name, ts[0].Lang, notes(ts), w.d.BaseURL)); err != nil {
				return err
			}
		}
		return postgres.MarkMailed(ctx, tx, w.d.now(), ids...)
	})
}

// DigestJob is the daily scheduled job (08:00 JST) that queues one digest
// job per user with notices waiting for it.
func DigestJob() jobs.Job {
	return jobs.Job{Name: "mail-digest", Every: 24 * time.Hour, At: 23 * time.Hour,
		Run: func(ctx context.Context, tx pgx.Tx, period time.Time) (any, error) {
			users, err := postgres.DigestUsers(ctx, tx, period)
			if err != nil {
				return nil, err
			}
			args := make([]river.JobArgs, len(users))
			for i, u := range users {
				args[i] = DigestArgs{User: u, Before: period}
			}
			return map[string]int{"users": len(users)}, postgres.Enqueue(ctx, tx, args...)
		}}
}
