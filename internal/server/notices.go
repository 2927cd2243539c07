package server

import (
	"context"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/notices"
)

func (s *Server) noticeRoutes(h routeFunc) {
	h(http.MethodGet, "/admin/jobs", authz.ViewDeadJobs, s.handleDeadJobs)
	h(http.MethodGet, "/notifications", authz.ViewOwnAccount, s.handleInbox)
	h(http.MethodPost, "/notifications/{id}/read", authz.ViewOwnAccount, s.handleNoticeRead)
	h(http.MethodPost, "/notifications/read", authz.ViewOwnAccount, s.handleNoticeReadAll)
	h(http.MethodGet, "/notifications/settings", authz.ViewOwnAccount, s.handleNoticeSettings)
	h(http.MethodPost, "/notifications/settings", authz.ViewOwnAccount, s.handleNoticeSettingsSave)
}

// handleDeadJobs lists the background jobs river discarded.
func (s *Server) handleDeadJobs(w http.ResponseWriter, r *http.Request) error {
	var v notices.DeadJobsView
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		jobs, err := postgres.ListDeadJobs(r.Context(), tx, 200)
		for _, j := range jobs {
			v.Jobs = append(v.Jobs, notices.DeadJob{ID: j.ID, Kind: j.Kind, Args: j.Args, Attempts: j.Attempts,
				MaxAttempts: j.MaxAttempts, At: j.FinalizedAt, Errors: j.Errors})
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, notices.DeadJobs(v))
}

// notify writes the notifications of events in tx, the transaction of the
// change: they exist exactly when the change does.
func (s *Server) notify(ctx context.Context, tx pgx.Tx, events ...notify.Event) error {
	_, err := postgres.Notify(ctx, tx, events...)
	return err
}

// assessmentEvent is a notice about assessment a, by actor.
func assessmentEvent(k notify.Kind, a assessment.Assessment, actor *identity.Principal) notify.Event {
	return notify.Event{Kind: k, Scope: assessmentResource(a), Params: notify.Params(a.OperatorName, a.FiscalYear),
		Link: "/assessments/" + itoa(a.ID), Actor: actor.UserID}
}

// notifyPlan tells of an event on plan id: the NCO's decision or comment
// to the plan's ministry, the ministry's submission or comment to the
// NCO's reviewers.
func (s *Server) notifyPlan(ctx context.Context, tx pgx.Tx, k notify.Kind, id int64, actor *identity.Principal) error {
	pl, err := postgres.GetPlan(ctx, tx, id)
	if err != nil {
		return err
	}
	ministry, err := postgres.ReferenceName(ctx, tx, "ministries", pl.MinistryCode)
	if err != nil {
		return err
	}
	return s.notify(ctx, tx, notify.Event{Kind: k, Scope: authz.Resource{MinistryCode: pl.MinistryCode},
		Params: map[string]kijun.Text{"Plan": pl.LatestTitle, "Ministry": ministry}, Link: "/plans/" + itoa(id),
		Actor: actor.UserID, ToReviewers: k == notify.PlanCommented && !actor.NCO})
}

// grantNotice tells a user of a role given to or taken from them.
func grantNotice(k notify.Kind, g identity.Grant, actor *identity.Principal) notify.Event {
	role := kijun.Text{Ja: i18n.New(kijun.Ja).T("role." + string(g.Role)), En: i18n.New(kijun.En).T("role." + string(g.Role))}
	return notify.Event{Kind: k, User: g.UserID, Params: map[string]kijun.Text{"Role": role},
		Link: "/account", Actor: actor.UserID}
}

// handleInbox lists the reader's notifications.
func (s *Server) handleInbox(w http.ResponseWriter, r *http.Request) error {
	var v notices.InboxView
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		var err error
		v.Notes, err = postgres.ListNotifications(r.Context(), tx, 200)
		return err
	})
	if err != nil {
		return err
	}
	for _, n := range v.Notes {
		if n.ReadAt == nil {
			v.Unread++
		}
	}
	return s.render(w, r, http.StatusOK, notices.Inbox(v))
}

// handleNoticeRead marks one notification read and follows its link
// ("open"), or marks it read and returns to the inbox.
func (s *Server) handleNoticeRead(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var link string
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		n, err := postgres.GetNotification(r.Context(), tx, id)
		if err != nil {
			return err
		}
		link = n.Link
		return postgres.MarkNotificationsRead(r.Context(), tx, id, s.now())
	})
	if err != nil {
		return err
	}
	if r.PostFormValue("open") == "" {
		link = "/notifications"
	}
	http.Redirect(w, r, link, http.StatusSeeOther)
	return nil
}

// handleNoticeReadAll marks every notification of the reader read.
func (s *Server) handleNoticeReadAll(w http.ResponseWriter, r *http.Request) error {
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		return postgres.MarkNotificationsRead(r.Context(), tx, 0, s.now())
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}

// handleNoticeSettings shows the reader's notification preferences.
func (s *Server) handleNoticeSettings(w http.ResponseWriter, r *http.Request) error {
	v := notices.SettingsView{Saved: r.URL.Query().Get("saved") == "1"}
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		var err error
		v.Prefs, err = postgres.GetPrefs(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, notices.Settings(v))
}

// handleNoticeSettingsSave saves the form; a choice the kind does not
// allow (a mandatory kind off) is refused as a whole.
func (s *Server) handleNoticeSettingsSave(w http.ResponseWriter, r *http.Request) error {
	p := notify.Prefs{Lang: kijun.Ja, Delivery: map[notify.Kind]notify.Delivery{}}
	if r.PostFormValue("lang") == string(kijun.En) {
		p.Lang = kijun.En
	}
	for _, k := range notify.Kinds {
		d := notify.Delivery(r.PostFormValue("kind-" + string(k)))
		if d == "" {
			d = notify.Immediate
		}
		if !k.Allowed(d) {
			return s.render(w, r, http.StatusUnprocessableEntity, notices.Settings(notices.SettingsView{Prefs: p, Error: "notify.settings.invalid"}))
		}
		p.Delivery[k] = d
	}
	if err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		return postgres.SavePrefs(r.Context(), tx, p)
	}); err != nil {
		return err
	}
	http.Redirect(w, r, "/notifications/settings?saved=1", http.StatusSeeOther)
	return nil
}
