package layout

import (
	"strings"

	"github.com/a-h/templ"
)

// Field returns the accessibility attributes of a form control: when bad,
// aria-invalid="true" and the id of its error message errID first in
// aria-describedby, then the ids of its hints (empty ids are left out).
// A screen reader then reads the error with the control without
// JavaScript. Spread it on the control:
// <input … { layout.Field(bad, "x-error", "x-hint")... }/>.
func Field(bad bool, errID string, hints ...string) templ.Attributes {
	a := templ.Attributes{}
	var ids []string
	if bad {
		a["aria-invalid"] = "true"
		ids = append(ids, errID)
	}
	ids = append(ids, hints...)
	var described []string
	for _, id := range ids {
		if id != "" {
			described = append(described, id)
		}
	}
	if len(described) > 0 {
		a["aria-describedby"] = strings.Join(described, " ")
	}
	return a
}
