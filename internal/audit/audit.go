package audit

import (
	"encoding/json"
	"time"
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
}

// Filter narrows the audit log listing.
type Filter struct {
	Action string    // prefix, e.g. "auth." or "grant.create"
	Actor  string    // substring of the actor's name
	From   time.Time // inclusive, zero for no bound
	To     time.Time // exclusive
	Before int64     // page: events with id < Before; 0 for the newest
	Limit  int
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
