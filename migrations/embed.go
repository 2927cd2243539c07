// Package migrations holds the numbered golang-migrate SQL pairs that build
// Kijun's schema, embedded so the binary carries its own schema.
package migrations

import "embed"

// FS holds every NNNNNN_name.up.sql / .down.sql pair.
//
//go:embed *.sql
var FS embed.FS
