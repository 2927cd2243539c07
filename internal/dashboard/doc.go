// Package dashboard holds the figures the dashboards show
// (docs/dashboards.md) and the small-group suppression rule that decides
// which of them an operator may see. internal/postgres reads them.
package dashboard
