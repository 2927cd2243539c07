// Package authz is Kijun's one authorization policy: it answers whether a
// principal may perform an action, and every route declares its action.
package authz

// Action names something a principal may do. Every route declares one.
type Action string

// Actions open to everyone, signed in or not.
const (
	// Public pages: home, the sector registry, the language switch,
	// static files and health endpoints.
	ViewPublic Action = "public.view"
)

// Public reports whether anyone, signed in or not, may perform a.
func Public(a Action) bool {
	return a == ViewPublic
}
