// Package api holds the OpenAPI document of Kijun's public API: the single
// description of its routes, parameters and bodies (docs/api.md). The
// server serves it at /api/v1/openapi.json and renders it at /api; tests
// validate every response of the API against it.
package api

import _ "embed"

// Document is openapi.yaml.
//
//go:embed openapi.yaml
var Document []byte
