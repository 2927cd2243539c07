package postgres_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

func firstReport() incident.Values {
	return incident.Values{"title": "制御系ネットワークでの不審通信", "occurred_at": "2026-12-01T09:30", "noticed_at": "2026-12-01T10:00",
		"kind": "malware", "impact_service": "監視端末の一部を停止", "status": "investigating", "contact": "情報システム部 03-0000-0000",
		"systems": "system of 電力A", "controls": "GV-01"}
}

// TestIncidentLife: the operator files a first report with a file, sends
// an update and closes with a final report; the operator, its ministry and
// the NCO see it, another operator and another ministry do not; sent
// stages are never changed, not even by the owner of the tables; nothing
// is added after the final report; every step is audited and told.
func TestIncidentLife(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	var id int64
	pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
	w.must(t, w.userA, func(tx pgx.Tx) (err error) {
		id, err = postgres.FileIncident(w.ctx, tx, w.userA, w.opA, incident.Amber, firstReport(),
			[]postgres.IncidentFile{{Name: "log.pdf", Data: pdf}}, 0, "test")
		return err
	})
	// Missing fields and a renamed program come back by field.
	err := w.as(w.userA, func(tx pgx.Tx) error {
		_, err := postgres.FileIncident(w.ctx, tx, w.userA, w.opA, "pink", incident.Values{"title": "x"},
			[]postgres.IncidentFile{{Name: "a.pdf", Data: []byte("MZ\x90\x00")}}, 0, "test")
		return err
	})
	var fe postgres.FieldErrors
	if !errors.As(err, &fe) || fe["tlp"] == "" || fe["files"] == "" || fe["kind"] != "incident.error.required" {
		t.Fatalf("bad first report: %v %v", err, fe)
	}
	// Another operator cannot file for A.
	if err := w.as(w.userB, func(tx pgx.Tx) error {
		_, err := postgres.FileIncident(w.ctx, tx, w.userB, w.opA, incident.Green, firstReport(), nil, 0, "test")
		return err
	}); err == nil {
		t.Error("operator B filed for A")
	}
	// The final report needs cause and measures.
	err = w.as(w.userA, func(tx pgx.Tx) error {
		return postgres.AddIncidentStage(w.ctx, tx, w.userA, id, incident.Final, incident.Values{"title": "t", "status": "recovered"}, nil, 0, "test")
	})
	if !errors.As(err, &fe) || fe["cause"] == "" || fe["measures"] == "" {
		t.Fatalf("final without cause: %v", err)
	}
	w.must(t, w.userA, func(tx pgx.Tx) error {
		return postgres.AddIncidentStage(w.ctx, tx, w.userA, id, incident.Update, incident.Values{"title": "制御系での不審通信（続報）", "status": "contained"}, nil, 0, "test")
	})
	final := firstReport()
	final["status"], final["cause"], final["measures"] = "recovered", "保守用端末経由の感染", "端末の隔離と再構築"
	w.must(t, w.userA, func(tx pgx.Tx) error {
		return postgres.AddIncidentStage(w.ctx, tx, w.userA, id, incident.Final, final, nil, 0, "test")
	})
	err = w.as(w.userA, func(tx pgx.Tx) error {
		return postgres.AddIncidentStage(w.ctx, tx, w.userA, id, incident.Update, firstReport(), nil, 0, "test")
	})
	if kijun.ErrorCode(err) != kijun.EConflict {
		t.Errorf("update after the final report: %v", err)
	}
	for _, c := range []struct {
		name string
		p    *identity.Principal
		sees bool
	}{{"operator", w.userA, true}, {"ministry", w.meti, true}, {"NCO", w.nco, true}, {"other operator", w.userB, false}, {"other ministry", w.fsa, false}} {
		err := w.as(c.p, func(tx pgx.Tx) error {
			x, err := postgres.GetIncident(w.ctx, tx, id)
			if err != nil {
				return err
			}
			stages, err := postgres.ListIncidentStages(w.ctx, tx, id)
			if err != nil {
				return err
			}
			if x.Status != incident.Closed || x.Stages != 3 || len(stages) != 3 || len(stages[0].Attachments) != 1 ||
				stages[2].Stage != incident.Final || x.ClosedAt == nil || len(x.ControlRefs) != 1 {
				t.Errorf("%s reads %+v with %d stages", c.name, x, len(stages))
			}
			list, err := postgres.ListIncidents(w.ctx, tx, postgres.IncidentFilter{})
			if len(list) != 1 {
				t.Errorf("%s lists %d reports", c.name, len(list))
			}
			return err
		})
		if c.sees != (err == nil) {
			t.Errorf("%s: %v", c.name, err)
		}
		if !c.sees && kijun.ErrorCode(err) != kijun.ENotFound {
			t.Errorf("%s: %v, want not found", c.name, err)
		}
	}
	// Written once: not even the tables' owner changes a sent stage.
	for _, sql := range []string{`UPDATE incident_stages SET fields = '{}' WHERE incident_id = $1`,
		`DELETE FROM incident_stages WHERE incident_id = $1`, `UPDATE incident_attachments SET file_name = 'x.pdf' WHERE incident_id = $1`} {
		if _, err := w.db.Owner.Exec(w.ctx, sql, id); pgCodeOf(err) != "KJ016" {
			t.Errorf("%s: %v, want KJ016", sql, err)
		}
	}
	var audited, told int
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT (SELECT count(*) FROM audit_events WHERE object_type = 'incident' AND object_id = $1::text),
		(SELECT count(*) FROM notifications WHERE link = '/incidents/' || $1::text AND kind IN ('incident.filed', 'incident.updated'))`,
		strconv.FormatInt(id, 10)).Scan(&audited, &told); err != nil {
		t.Fatal(err)
	}
	if audited != 3 || told == 0 {
		t.Errorf("audited %d, told %d", audited, told)
	}
	var leaked int
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT count(*) FROM notifications WHERE kind LIKE 'incident.%'
		AND (params::text LIKE '%不審%' OR params::text LIKE '%電力A%')`).Scan(&leaked); err != nil || leaked != 0 {
		t.Errorf("notices carry a report's details: %d %v", leaked, err)
	}
}

// TestIncidentThreadAndLabel: the ministry asks, the operator answers;
// the ministry may narrow the TLP and never widen it, the operator
// chooses; a TLP:RED or AMBER report gives no summary; a summary that
// names the operator is refused, one that does not reaches the sector's
// operators, who cannot read the report.
func TestIncidentThreadAndLabel(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	var id int64
	w.must(t, w.userA, func(tx pgx.Tx) (err error) {
		id, err = postgres.FileIncident(w.ctx, tx, w.userA, w.opA, incident.Amber, firstReport(), nil, 0, "test")
		return err
	})
	var q incident.Message
	w.must(t, w.meti, func(tx pgx.Tx) (err error) {
		q, err = postgres.AskIncident(w.ctx, tx, w.meti, id, 0, "影響範囲を教えてください。", "test")
		return err
	})
	if err := w.as(w.userA, func(tx pgx.Tx) error {
		_, err := postgres.AskIncident(w.ctx, tx, w.userA, id, 0, "operator asks itself", "test")
		return err
	}); err == nil {
		t.Error("the operator asked a question")
	}
	if err := w.as(w.fsa, func(tx pgx.Tx) error {
		_, err := postgres.AskIncident(w.ctx, tx, w.fsa, id, 0, "?", "test")
		return err
	}); kijun.ErrorCode(err) != kijun.ENotFound {
		t.Errorf("another ministry asked: %v", err)
	}
	w.must(t, w.userA, func(tx pgx.Tx) error {
		_, err := postgres.AskIncident(w.ctx, tx, w.userA, id, q.ID, "監視端末2台です。", "test")
		return err
	})
	var toOperator int
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT count(*) FROM notifications n JOIN role_grants g ON g.user_id = n.user_id
		WHERE n.kind = 'incident.question' AND g.operator_id = $1`, w.opA).Scan(&toOperator); err != nil || toOperator == 0 {
		t.Errorf("question told to the operator: %d %v", toOperator, err)
	}

	relabel := func(p *identity.Principal, tlp incident.TLP) error {
		return w.as(p, func(tx pgx.Tx) error { return postgres.RelabelIncident(w.ctx, tx, p, id, tlp, "test") })
	}
	if err := relabel(w.meti, incident.Green); err == nil {
		t.Error("the ministry widened the label")
	}
	// Directly, the database refuses it too.
	err := w.as(w.meti, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `UPDATE incidents SET tlp = 'clear' WHERE id = $1`, id)
		return err
	})
	if pgCodeOf(err) != "42501" {
		t.Errorf("ministry widening directly: %v", err)
	}
	if err := relabel(w.meti, incident.Red); err != nil {
		t.Errorf("the ministry narrows: %v", err)
	}
	publish := func(title, body string) error {
		return w.as(w.meti, func(tx pgx.Tx) error {
			_, err := postgres.PublishIncidentSummary(w.ctx, tx, w.meti, id, "electricity", title, body, "test")
			return err
		})
	}
	if err := publish("電力分野でのマルウェア感染", "ある事業者で"); err == nil {
		t.Error("summary of a TLP:RED report")
	}
	if err := relabel(w.userA, incident.Green); err != nil {
		t.Errorf("the operator widens: %v", err)
	}
	var fe postgres.FieldErrors
	for _, body := range []string{"電力Aで感染", "法人番号 " + regCN(11), "担当の userA さん"} {
		if err := publish("電力分野でのマルウェア感染", body); !errors.As(err, &fe) || fe["body"] != "incident.error.identifies" {
			t.Errorf("summary naming the operator (%q): %v", body, err)
		}
	}
	title, body := "電力分野での制御系マルウェア感染", "保守用端末を経由した感染が報告されました。保守用端末の持込み管理を確認してください。"
	if err := publish(title, body); err != nil {
		t.Fatal(err)
	}
	// Operator B of the sector reads the summary, not the report; finance does not read it.
	w.must(t, w.userB, func(tx pgx.Tx) error {
		list, err := postgres.ListIncidentSummaries(w.ctx, tx)
		if err != nil {
			return err
		}
		if len(list) != 1 || list[0].Title != title {
			t.Errorf("operator B reads %+v", list)
		}
		for _, s := range list {
			all := s.Title + s.Body + s.Kind
			for _, term := range []string{"電力A", regCN(11), "userA"} {
				if strings.Contains(all, term) {
					t.Errorf("summary names %s", term)
				}
			}
		}
		if _, err := postgres.GetIncident(w.ctx, tx, id); kijun.ErrorCode(err) != kijun.ENotFound {
			t.Errorf("operator B reads the report: %v", err)
		}
		var n int
		if err := tx.QueryRow(w.ctx, `SELECT count(*) FROM incident_summary_sources`).Scan(&n); err != nil || n != 0 {
			t.Errorf("operator B reads the summary's source: %d %v", n, err)
		}
		return nil
	})
	w.must(t, w.uFin, func(tx pgx.Tx) error {
		list, err := postgres.ListIncidentSummaries(w.ctx, tx)
		if len(list) != 0 {
			t.Errorf("finance operator reads %d summaries of electricity", len(list))
		}
		return err
	})
}

// TestTLPRankIsGo: the database ranks the labels as incident.TLP.Rank.
func TestTLPRankIsGo(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	for _, tlp := range incident.TLPs {
		var rank int
		if err := w.db.Owner.QueryRow(w.ctx, `SELECT kijun_tlp_rank($1)`, string(tlp)).Scan(&rank); err != nil || rank != tlp.Rank() {
			t.Errorf("%s: database %d, Go %d (%v)", tlp, rank, tlp.Rank(), err)
		}
	}
}

// TestPublishIncidentTemplate: the NCO publishes the next version with a
// reason, checked as the version after the current one (problems by
// place, nothing stored), refused when it was edited from an older
// version; anyone else is refused by RLS; the audit event keeps the
// reason and both versions.
func TestPublishIncidentTemplate(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	var cur incident.Template
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		cur, err = postgres.CurrentIncidentTemplate(w.ctx, tx)
		return err
	})
	next := cur
	next.Fields = append([]incident.Field(nil), cur.Fields...)
	next.Fields = append(next.Fields, incident.Field{Key: "reported_to", Type: incident.TypeText, Label: kijun.Text{Ja: "報告先"}})
	publish := func(p *identity.Principal, t incident.Template, base int, reason string) (incident.Template, error) {
		var out incident.Template
		err := w.as(p, func(tx pgx.Tx) (err error) {
			out, err = postgres.PublishIncidentTemplate(w.ctx, tx, p, t, base, reason, "test")
			return err
		})
		return out, err
	}
	var problems incident.Problems
	if _, err := publish(w.nco, next, cur.Version, " "); !errors.As(err, &problems) || problems["reason"].ID == "" {
		t.Errorf("no reason: %v", err)
	}
	if _, err := publish(w.nco, cur, cur.Version, "同じ版"); !errors.As(err, &problems) || problems["fields"].ID != "incident.template.error.unchanged" {
		t.Errorf("unchanged: %v", err)
	}
	if _, err := publish(w.userA, next, cur.Version, "事業者から"); err == nil || errors.As(err, &problems) {
		t.Errorf("an operator published a template: %v", err)
	}
	v, err := publish(w.nco, next, cur.Version, "報告先を追加")
	if err != nil || v.Version != cur.Version+1 {
		t.Fatalf("publish: %v %d", err, v.Version)
	}
	renamed := next
	renamed.Title.Ja += "（改）"
	if _, err := publish(w.nco, renamed, cur.Version, "古い版から"); !errors.As(err, &problems) || problems["base"].ID != "incident.template.error.stale" {
		t.Errorf("stale draft: %v", err)
	}
	var reason, before string
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT after->>'reason', before->>'version' FROM audit_events
		WHERE action = 'incident.template.publish' AND object_id = $1`, strconv.Itoa(v.Version)).Scan(&reason, &before); err != nil ||
		reason != "報告先を追加" || before != strconv.Itoa(cur.Version) {
		t.Errorf("audit: %q %q %v", reason, before, err)
	}
}
