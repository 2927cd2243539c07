// Package apiref renders the API's reference page from its OpenAPI
// document (internal/server/api/openapi.yaml), so the page and the
// document cannot disagree.
package apiref

// View is the reference: the document's description and its operations
// by tag.
type View struct {
	Title, Version, Description string
	Groups                      []Group
	Schemas                     []Schema
}

// Group is a tag's operations.
type Group struct {
	Name, Description string
	Operations        []Operation
}

// Operation is one method on one path.
type Operation struct {
	ID, Method, Path, Summary string
	Public                    bool // no token needed
	Parameters                []Parameter
	Body                      string // the request body's schema name
	Responses                 []Response
}

// Parameter is a path, query or header parameter.
type Parameter struct {
	Name, In, Type, Description string
	Required                    bool
}

// Response is one status of an operation.
type Response struct{ Status, Description, Schema string }

// Schema is a named schema with its properties.
type Schema struct {
	Name, Description string
	Properties        []Property
}

// Property is one field of a schema.
type Property struct {
	Name, Type, Description string
	Required                bool
}
