package catalog

import "bytes"

// Limits of an imported file, so that a small hostile file cannot take
// the memory a parsed tree of it would need: yaml.Node and OSCAL structs
// cost a few hundred bytes per value, which a 4 MB file of "[a,a,a,…" or
// "{},{},…" would turn into gigabytes.
const (
	// MaxImportBytes bounds the file as uploaded. The shipped baseline
	// (about a hundred controls in two languages) is well under 1 MiB as
	// YAML and OSCAL JSON alike.
	MaxImportBytes = 4 << 20
	// MaxImportItems bounds the file's structure: the bytes that can start
	// a value or a key (, - : ? [ {). Every YAML or JSON value needs at
	// least one of them per two values, so the parsed tree has at most
	// twice as many nodes. The baseline has about 3,500.
	MaxImportItems = 100000
	// MaxProblems bounds the problems one import reports; a file with more
	// is listed up to here and ends with msgTooManyProblems.
	MaxProblems = 200
)

// checkImportSize returns the problem that refuses a file over the limits
// before it is parsed, or nil.
func checkImportSize(data []byte) []Problem {
	if len(data) > MaxImportBytes {
		return []Problem{{Level: Error, ID: msgFileTooLarge, Args: map[string]any{"Max": MaxImportBytes >> 20}}}
	}
	items := 0
	for _, c := range []byte(",-:?[{") {
		items += bytes.Count(data, []byte{c})
	}
	if items > MaxImportItems {
		return []Problem{{Level: Error, ID: msgTooManyItems, Args: map[string]any{"Max": MaxImportItems}}}
	}
	return nil
}

// addProblem appends p unless the list is full; the first problem past
// MaxProblems is replaced by msgTooManyProblems, and the rest are dropped.
func addProblem(list []Problem, p Problem) []Problem {
	switch {
	case len(list) < MaxProblems:
		return append(list, p)
	case len(list) == MaxProblems:
		return append(list, Problem{Level: Error, ID: msgTooManyProblems, Args: map[string]any{"Max": MaxProblems}})
	}
	return list
}
