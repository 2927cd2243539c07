package kijun

import (
	"encoding/json"
	"testing"
)

func TestNonNil(t *testing.T) {
	var none []string
	for _, c := range []struct {
		in   []string
		want string
	}{{none, "[]"}, {[]string{}, "[]"}, {[]string{"a"}, `["a"]`}} {
		b, err := json.Marshal(NonNil(c.in))
		if err != nil || string(b) != c.want {
			t.Errorf("NonNil(%#v): %s %v, want %s", c.in, b, err, c.want)
		}
	}
}
