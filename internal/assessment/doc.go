// Package assessment is the yearly self-assessment (docs/assessment.md):
// each fiscal year the NCO opens a cycle against a published catalog;
// every active operator answers the controls of its sector, submits, and
// its ministry returns or accepts. The package owns the states of an
// assessment and of an answer, the checks on an answer, evidence and
// review comments, and the scores (rollups). internal/postgres stores them.
package assessment
