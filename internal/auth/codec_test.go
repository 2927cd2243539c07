package auth

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

func TestSessionCodec(t *testing.T) {
	deadline := time.Date(2026, 11, 29, 20, 0, 0, 123, time.UTC)
	seen := time.Date(2026, 11, 29, 0, 30, 0, 456, time.UTC) // a zone other than UTC comes back as its offset, as with gob
	signedIn := map[string]any{keyUserID: int64(42), keyProvider: "gbizid", keyIDToken: "eyJ…", keySeen: seen}
	var c SessionCodec

	// A signed-in session: the binary form, read back exactly.
	b, err := c.Encode(deadline, signedIn)
	if err != nil || !bytes.HasPrefix(b, sessionMagic) {
		t.Fatalf("signed-in session not in the binary form: %q %v", b, err)
	}
	d, got, err := c.Decode(b)
	if err != nil || !d.Equal(deadline) || !reflect.DeepEqual(got, signedIn) {
		t.Fatalf("decoded %v %#v %v; want %v %#v", d, got, err, deadline, signedIn)
	}

	// Anything else is gob, both ways; and sessions written by scs's
	// GobCodec before still read.
	withFlow := map[string]any{keyFlow: flow{State: "s"}, keyUserID: int64(7)}
	for _, enc := range []scs.Codec{c, scs.GobCodec{}} {
		b, err := enc.Encode(deadline, withFlow)
		if err != nil || bytes.HasPrefix(b, sessionMagic) {
			t.Fatalf("%T: a flow must be gob: %q %v", enc, b, err)
		}
		if d, got, err := c.Decode(b); err != nil || !d.Equal(deadline) || !reflect.DeepEqual(got, withFlow) {
			t.Fatalf("%T: gob decoded %v %#v %v", enc, d, got, err)
		}
	}
	if b, _ := (scs.GobCodec{}).Encode(deadline, signedIn); true {
		if _, got, err := c.Decode(b); err != nil || !reflect.DeepEqual(got, signedIn) {
			t.Fatalf("an old gob session: %#v %v", got, err)
		}
	}

	// Cut short or with junk after it: an error, never a panic or a
	// half-read session.
	for i := len(sessionMagic); i < len(b); i++ {
		if _, _, err := c.Decode(b[:i]); err == nil {
			t.Errorf("decoding the first %d of %d bytes succeeded", i, len(b))
		}
	}
	if _, _, err := c.Decode(append(b[:len(b):len(b)], 0)); err == nil {
		t.Error("trailing junk was accepted")
	}
}
