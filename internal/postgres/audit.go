package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/identity"
)

// Audit appends an event in the caller's transaction, so that the event
// and the change it records commit or roll back together. before and after
// are marshalled to JSON; never pass secrets.
func Audit(ctx context.Context, tx pgx.Tx, e audit.Event, before, after any) error {
	args, err := auditArgs(e, before, after)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT `+auditAppendCall(1), args...); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// auditAppendCall is the call of kijun_audit_append, which appends to the
// event's hash chain, with auditArgs's arguments from $first on.
func auditAppendCall(first int) string {
	ps := make([]string, len(auditArgTypes))
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(first+i)
	}
	return "kijun_audit_append(" + strings.Join(ps, ", ") + ")"
}

// auditArgTypes are the SQL types of auditArgs, as kijun_audit_append
// declares its parameters.
var auditArgTypes = []string{"bigint", "text", "text", "text", "text", "text", "text", "bigint", "jsonb", "jsonb", "text"}

// auditArgs are the arguments of auditAppendCall for e, with before and
// after marshalled to JSON (nil: none). They are the one mapping of an
// event to the log's columns: Audit, the answer's save and auditEach all
// append through it.
func auditArgs(e audit.Event, before, after any) ([]any, error) {
	b, err := jsonOrNil(before)
	if err != nil {
		return nil, err
	}
	a, err := jsonOrNil(after)
	if err != nil {
		return nil, err
	}
	return []any{nullInt(e.ActorUserID), e.ActorLabel, e.Action, e.ObjectType, e.ObjectID,
		nullStr(e.MinistryCode), nullStr(e.SectorCode), nullInt(e.OperatorID), b, a, e.RequestID}, nil
}

// auditEntry is one event to append with auditEach.
type auditEntry struct {
	Event         audit.Event
	Before, After any
}

// auditEach appends entries in order with one statement, however many:
// the bulk writes (an import, an enrolment) build their events in Go as
// Audit's callers do, and auditArgs maps each to the log's columns, so a
// bulk write's events have exactly the shape of a single one's.
func auditEach(ctx context.Context, tx pgx.Tx, entries []auditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	cols := make([][]any, len(auditArgTypes))
	for _, en := range entries {
		args, err := auditArgs(en.Event, en.Before, en.After)
		if err != nil {
			return err
		}
		for i, a := range args {
			cols[i] = append(cols[i], a)
		}
	}
	ps, names, args := make([]string, len(cols)), make([]string, len(cols)), make([]any, len(cols))
	for i, c := range cols {
		ps[i] = "$" + strconv.Itoa(i+1) + "::" + auditArgTypes[i] + "[]"
		names[i] = "c" + strconv.Itoa(i+1)
		args[i] = c
	}
	if _, err := tx.Exec(ctx, `SELECT kijun_audit_append(a.`+strings.Join(names, ", a.")+`)
		FROM unnest(`+strings.Join(ps, ", ")+`) WITH ORDINALITY AS a(`+strings.Join(names, ", ")+`, n)
		ORDER BY a.n`, args...); err != nil {
		return fmt.Errorf("audit %s (%d events): %w", entries[0].Event.Action, len(entries), err)
	}
	return nil
}

func jsonOrNil(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

func nullStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullInt(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

// ListAudit returns the events the transaction's principal may see (RLS
// decides), newest first.
func ListAudit(ctx context.Context, tx pgx.Tx, f audit.Filter) ([]audit.Event, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	order := "id DESC"
	if f.Forward {
		order = "id ASC"
	}
	rows, _ := tx.Query(ctx, `SELECT id, chain, seq, at, coalesce(actor_user_id, 0), actor_label, action, object_type, object_id,
			coalesce(ministry_code, ''), coalesce(sector_code, ''), coalesce(operator_id, 0),
			coalesce(before::text, ''), coalesce(after::text, ''), request_id,
			coalesce(n.ja, ''), coalesce(n.en, '')
		FROM audit_events e
		LEFT JOIN LATERAL (
			-- The object's name, as far as the reader may see it (RLS).
			SELECT o.name_ja AS ja, o.name_en AS en FROM operators o
			WHERE e.operator_id IS NOT NULL AND o.id = e.operator_id AND e.object_type NOT IN ('user', 'catalog', 'control')
			UNION ALL
			SELECT u.display_name, u.display_name FROM users u
			WHERE e.object_type = 'user' AND e.object_id ~ '^[0-9]+$' AND u.id = e.object_id::bigint
			UNION ALL
			SELECT c.title_ja || ' ' || c.version, coalesce(nullif(c.title_en, ''), c.title_ja) || ' ' || c.version FROM catalogs c
			WHERE e.object_type IN ('catalog', 'control') AND split_part(e.object_id, '/', 1) ~ '^[0-9]+$'
			  AND c.id = split_part(e.object_id, '/', 1)::bigint
			UNION ALL
			SELECT m.name_ja || ' ' || p.period_start || '年度〜', m.name_en || ' FY' || p.period_start || '–'
			FROM plans p JOIN ministries m ON m.code = p.ministry_code
			WHERE e.object_type LIKE 'plan%' AND e.object_type <> 'plan_comment' AND split_part(e.object_id, '/', 1) ~ '^[0-9]+$'
			  AND p.id = split_part(e.object_id, '/', 1)::bigint
			LIMIT 1) n ON true
		WHERE ($1 = '' OR action LIKE $1 || '%')
		  AND ($2 = '' OR actor_label ILIKE '%' || $2 || '%')
		  AND ($3::timestamptz IS NULL OR at >= $3)
		  AND ($4::timestamptz IS NULL OR at < $4)
		  AND ($5 = 0 OR id < $5) AND id > $7
		ORDER BY `+order+` LIMIT $6`,
		f.Action, f.Actor, nullTime(f.From), nullTime(f.To), f.Before, f.Limit, f.After)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit.Event, error) {
		var e audit.Event
		var b, a string
		err := r.Scan(&e.ID, &e.Chain, &e.Seq, &e.At, &e.ActorUserID, &e.ActorLabel, &e.Action, &e.ObjectType, &e.ObjectID,
			&e.MinistryCode, &e.SectorCode, &e.OperatorID, &b, &a, &e.RequestID, &e.ObjectName.Ja, &e.ObjectName.En)
		if b != "" {
			e.Before = json.RawMessage(b)
		}
		if a != "" {
			e.After = json.RawMessage(a)
		}
		return e, err
	})
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// VerifyAudit walks every chain in order and reports the first broken
// link of each: an event whose content no longer matches its hash, a
// missing or reordered event (sequence gap or prev_hash mismatch), or a
// chain head that does not match the last event (events removed from the
// end). It must run as the schema owner, which sees every row.
func VerifyAudit(ctx context.Context, q Querier) (breaks []audit.Break, heads []audit.ChainHead, err error) {
	rows, _ := q.Query(ctx, `SELECT e.id, e.chain, e.seq, e.prev_hash, e.hash, kijun_audit_hash(e)
		FROM audit_events e ORDER BY e.chain, e.seq`)
	type link struct {
		seq  int64
		hash []byte
	}
	last := map[string]link{}
	broken := map[string]bool{}
	var order []string
	var id, seq int64
	var chain string
	var prev, hash, recomputed []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &chain, &seq, &prev, &hash, &recomputed}, func() error {
		l, seen := last[chain]
		if !seen {
			order = append(order, chain)
			l = link{seq: 0, hash: []byte{}}
		}
		if !broken[chain] {
			reason := ""
			switch {
			case seq != l.seq+1:
				reason = fmt.Sprintf("event %d missing (next is %d)", l.seq+1, seq)
			case !bytes.Equal(prev, l.hash):
				reason = "previous-hash does not match the event before it"
			case !bytes.Equal(hash, recomputed):
				reason = "content does not match its hash (changed after it was written)"
			}
			if reason != "" {
				broken[chain] = true
				breaks = append(breaks, audit.Break{Chain: chain, Seq: seq, EventID: id, Reason: reason})
			}
		}
		last[chain] = link{seq: seq, hash: append([]byte(nil), hash...)}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	hrows, _ := q.Query(ctx, `SELECT chain, last_seq, last_hash FROM audit_chain_heads ORDER BY chain`)
	var hseq int64
	var hhash []byte
	_, err = pgx.ForEachRow(hrows, []any{&chain, &hseq, &hhash}, func() error {
		l := last[chain]
		if !broken[chain] && (hseq != l.seq || !bytes.Equal(hhash, l.hash)) {
			broken[chain] = true
			breaks = append(breaks, audit.Break{Chain: chain, Seq: l.seq + 1, Reason: fmt.Sprintf(
				"chain head says %d events, found %d (events removed from the end)", hseq, l.seq)})
		}
		heads = append(heads, audit.ChainHead{Chain: chain, Events: hseq, Hash: append([]byte(nil), hhash...)})
		return nil
	})
	return breaks, heads, err
}

// LatestAnchors returns each chain's head as recorded by the latest run of
// the audit-anchor job that recorded the chain (audit_anchors).
func LatestAnchors(ctx context.Context, q Querier) ([]audit.ChainHead, error) {
	rows, _ := q.Query(ctx, `SELECT DISTINCT ON (h->>'chain') h->>'chain', (h->>'events')::bigint, decode(h->>'hash', 'hex')
		FROM audit_anchors a, jsonb_array_elements(a.heads) h
		ORDER BY h->>'chain', a.id DESC`)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit.ChainHead, error) {
		var h audit.ChainHead
		err := r.Scan(&h.Chain, &h.Events, &h.Hash)
		return h, err
	})
}

// CheckAnchors compares the log with chain heads recorded earlier
// (anchored, from source): the event that was a chain's head then must
// still be there with the same hash. Because every hash covers the one
// before it, this catches what VerifyAudit alone cannot — a chain
// rewritten and re-hashed so that it is consistent again — as long as the
// anchor itself was out of the rewriter's reach. It returns breaks with
// the first mismatch of each chain added, except for chains breaks
// already names.
func CheckAnchors(ctx context.Context, q Querier, breaks []audit.Break, anchored []audit.ChainHead, source string) ([]audit.Break, error) {
	broken := map[string]bool{}
	for _, b := range breaks {
		broken[b.Chain] = true
	}
	var chains []string
	var seqs []int64
	var hashes [][]byte
	for _, a := range anchored {
		if a.Events > 0 && !broken[a.Chain] {
			chains, seqs, hashes = append(chains, a.Chain), append(seqs, a.Events), append(hashes, a.Hash)
		}
	}
	rows, _ := q.Query(ctx, `SELECT a.chain, a.seq, e.id, e.hash IS NULL, coalesce(e.hash = a.hash, false)
		FROM unnest($1::text[], $2::bigint[], $3::bytea[]) AS a(chain, seq, hash)
		LEFT JOIN audit_events e ON e.chain = a.chain AND e.seq = a.seq
		ORDER BY a.chain, a.seq`, chains, seqs, hashes)
	var chain string
	var seq int64
	var id *int64
	var gone, same bool
	_, err := pgx.ForEachRow(rows, []any{&chain, &seq, &id, &gone, &same}, func() error {
		if broken[chain] || same {
			return nil
		}
		b := audit.Break{Chain: chain, Seq: seq,
			Reason: fmt.Sprintf("event %d, the chain's head in %s, is gone", seq, source)}
		if !gone {
			b.EventID = *id
			b.Reason = fmt.Sprintf("event %d differs from the chain's head recorded in %s (rewritten since)", seq, source)
		}
		broken[chain] = true
		breaks = append(breaks, b)
		return nil
	})
	return breaks, err
}

// ActorOf fills the actor fields of an event from p.
func ActorOf(p *identity.Principal, requestID string) audit.Event {
	if !p.SignedIn() {
		return audit.Event{RequestID: requestID}
	}
	return audit.Event{ActorUserID: p.UserID, ActorLabel: p.Name, RequestID: requestID}
}
