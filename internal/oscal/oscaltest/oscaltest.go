// Package oscaltest checks in tests that a document Kijun writes is valid
// OSCAL, against NIST's complete JSON schema (one schema for every model,
// so catalogs, profiles and assessment-results all use the same check).
package oscaltest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaFile is the OSCAL schema the exports target, kept in testdata so
// the tests never read outside the module.
const SchemaFile = "oscal_complete_schema-1-1-3.json"

var (
	once    sync.Once
	schema  *jsonschema.Schema
	errLoad error
)

func load() {
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "..", "testdata", SchemaFile)
	data, err := os.ReadFile(path)
	if err != nil {
		errLoad = err
		return
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		errLoad = err
		return
	}
	c := jsonschema.NewCompiler()
	// OSCAL states its formats (date-time, uri, …) as requirements; draft-07
	// treats them as annotations unless asked to assert them.
	c.AssertFormat()
	if err := c.AddResource(SchemaFile, doc); err != nil {
		errLoad = err
		return
	}
	schema, errLoad = c.Compile(SchemaFile)
}

// Validate fails t unless doc is a valid OSCAL 1.1.3 JSON document of any
// model, listing every violation the schema finds.
func Validate(t testing.TB, doc []byte) {
	t.Helper()
	if err := Check(doc); err != nil {
		t.Errorf("not valid OSCAL %s:\n%v", SchemaFile, err)
	}
}

// Check is Validate for callers that want the error itself, e.g. to assert
// that a broken document is rejected.
func Check(doc []byte) error {
	once.Do(load)
	if errLoad != nil {
		return errLoad
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	var verr *jsonschema.ValidationError
	if err := schema.Validate(inst); errors.As(err, &verr) {
		return verr
	} else if err != nil {
		return err
	}
	return nil
}
