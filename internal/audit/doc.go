// Package audit is the audit trail as it is read back (docs/security.md):
// events, the filter of the audit page and what verifying the hash chains
// reports. internal/postgres appends and reads them.
package audit
