package remind

import (
	"strconv"
	"time"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
)

// Notice is the reminder told on day to the users of the operator of
// assessment c of fiscal year fy: reminder.due up to the due date,
// reminder.overdue after it, with the operator's name, the year, the
// due date and the days left or past. actor is who sent it by hand (0:
// the schedule).
func Notice(c Candidate, fy kijun.FiscalYear, day time.Time, actor int64) notify.Event {
	kind, days := notify.ReminderDue, DaysLeft(c.Due, day)
	if days < 0 {
		kind, days = notify.ReminderOverdue, -days
	}
	params := notify.Params(c.OperatorName, fy)
	params["Due"] = kijun.Text{Ja: kijun.FormatDate(kijun.Ja, c.Due), En: kijun.FormatDate(kijun.En, c.Due)}
	d := strconv.Itoa(days)
	params["Days"] = kijun.Text{Ja: d, En: d}
	return notify.Event{Kind: kind, Scope: authz.Resource{SectorCode: c.SectorCode, OperatorID: c.OperatorID},
		Params: params, Link: "/assessments/" + strconv.FormatInt(c.AssessmentID, 10), Actor: actor}
}
