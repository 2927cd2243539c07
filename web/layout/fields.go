package layout

import (
	"strings"

	"github.com/a-h/templ"
)

// Field returns the accessibility attributes of a form field: when bad,
// aria-invalid="true" and the id of its error message errID first in
// aria-describedby, then the ids of its hints. The error is then read with
// the field without JavaScript. Spread it on the control:
// <input … { layout.Field(bad, "x-error", "x-hint")... }/>.
func Field(bad bool, errID string, hints ...string) templ.Attributes {
	a := templ.Attributes{}
	ids := hints
	if bad {
		a["aria-invalid"] = "true"
		ids = append([]string{errID}, hints...)
	}
	if len(ids) > 0 {
		a["aria-describedby"] = strings.Join(ids, " ")
	}
	return a
}
