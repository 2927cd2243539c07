package auth

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	"github.com/alexedwards/scs/v2"
)

// SessionCodec encodes sessions for scs. A signed-in session holds only
// a few ints, strings and times (the user, the provider, the last
// request), and every request decodes it: scs's GobCodec compiled a new
// gob decoder each time, about a tenth of the server's CPU per autosave
// (docs/performance.md, "Saving an answer"). Such sessions get a small
// binary form of their own; any other session (a pending import, the
// OIDC flow) is gob, as before, and so is every session written before.
type SessionCodec struct{}

// sessionMagic starts the binary form. A gob stream never does: its first
// message defines a type, whose id is negative (an odd first byte after
// the length), and 'j' is even.
var sessionMagic = []byte("kjs1")

var errSessionData = errors.New("auth: malformed session data")

// Value tags of the binary form.
const (
	tagInt64  = 'i'
	tagString = 's'
	tagTime   = 't'
)

// Encode writes the binary form when every value is an int64, a string
// or a time.Time, else gob.
func (SessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	b := append([]byte(nil), sessionMagic...)
	b = binary.AppendVarint(b, deadline.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(values)))
	for k, v := range values {
		b = appendString(b, k)
		switch v := v.(type) {
		case int64:
			b = binary.AppendVarint(append(b, tagInt64), v)
		case string:
			b = appendString(append(b, tagString), v)
		case time.Time:
			t, err := v.MarshalBinary()
			if err != nil {
				return nil, err
			}
			b = appendString(append(b, tagTime), string(t))
		default:
			return scs.GobCodec{}.Encode(deadline, values)
		}
	}
	return b, nil
}

// Decode reads either form.
func (SessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	rest, ok := bytes.CutPrefix(b, sessionMagic)
	if !ok {
		return scs.GobCodec{}.Decode(b)
	}
	r := sessionReader{b: rest}
	deadline := time.Unix(0, r.varint())
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return time.Time{}, nil, errSessionData
	}
	values := make(map[string]any, n)
	for range n {
		k := r.string()
		switch r.byte() {
		case tagInt64:
			values[k] = r.varint()
		case tagString:
			values[k] = r.string()
		case tagTime:
			var t time.Time
			if err := t.UnmarshalBinary([]byte(r.string())); err != nil {
				return time.Time{}, nil, errSessionData
			}
			values[k] = t
		default:
			r.err = errSessionData
		}
		if r.err != nil {
			return time.Time{}, nil, r.err
		}
	}
	if r.err != nil || len(r.b) != 0 {
		return time.Time{}, nil, errSessionData
	}
	return deadline, values, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// sessionReader reads the binary form; the first error sticks.
type sessionReader struct {
	b   []byte
	err error
}

func (r *sessionReader) fail() { r.err, r.b = errSessionData, nil }

func (r *sessionReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sessionReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sessionReader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *sessionReader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
