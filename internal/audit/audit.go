package audit

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Event is one entry of the audit log.
type Event struct {
	ID           int64
	Chain        string
	Seq          int64
	At           time.Time
	ActorUserID  int64
	ActorLabel   string
	Action       string
	ObjectType   string
	ObjectID     string
	MinistryCode string
	SectorCode   string
	OperatorID   int64
	Before       json.RawMessage
	After        json.RawMessage
	RequestID    string
	// ObjectName names the object for people (operator, user, catalog);
	// empty when the object has no name or the reader cannot see it.
	ObjectName kijun.Text
}

// Filter narrows the audit log listing.
type Filter struct {
	Action string    // prefix, e.g. "auth." or "grant.create"
	Actor  string    // substring of the actor's name
	From   time.Time // inclusive, zero for no bound
	To     time.Time // exclusive
	Before int64     // page: events with id < Before; 0 for the newest
	// Forward pages the other way (the API's cursor): events with id >
	// After, oldest first.
	Forward bool
	After   int64
	Limit   int
}

// Break is the first broken link found in one chain.
type Break struct {
	Chain   string
	Seq     int64
	EventID int64
	Reason  string
}

// ChainHead is the last link of a chain: publish or archive these to
// detect a rewrite of a whole chain's tail.
type ChainHead struct {
	Chain  string
	Events int64
	Hash   []byte
}

// Anchor is one chain's head as written outside the database by the
// audit-anchor job: one JSON object per line in the anchors file
// (AUDIT_ANCHOR_FILE), and the same fields in its "audit anchor" log line,
// so that either can be handed to `kijun audit verify -anchors`.
type Anchor struct {
	At    time.Time `json:"at"`
	Chain string    `json:"chain"`
	Seq   int64     `json:"seq"`
	Hash  string    `json:"hash"` // hex
}

// ReadAnchors reads anchors, one JSON object per line (blank lines
// skipped), and returns them as chain heads. Any other line is an error:
// an anchors file that does not parse proves nothing.
func ReadAnchors(r io.Reader) ([]ChainHead, error) {
	var out []ChainHead
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var a Anchor
		if err := json.Unmarshal(line, &a); err != nil {
			return nil, fmt.Errorf("anchors line %d: %w", n, err)
		}
		h, err := hex.DecodeString(a.Hash)
		if err != nil || a.Chain == "" || a.Seq < 1 || len(h) == 0 {
			return nil, fmt.Errorf("anchors line %d: want chain, seq and a hex hash", n)
		}
		out = append(out, ChainHead{Chain: a.Chain, Events: a.Seq, Hash: h})
	}
	return out, sc.Err()
}
