package dashboard

// IncidentCount is the number of incident reports of a sector, a kind of
// event and a month (YYYY-MM, in Japan) that the viewer may see.
type IncidentCount struct {
	Sector string
	Kind   string
	Month  string
	N      int
}

// CountSuppressed is the small-group rule for counts of reports: a count
// of fewer than MinBenchmarkGroup (but some) is not shown, as a benchmark
// over fewer operators is not, so that a figure never points at one
// operator's incident.
func CountSuppressed(n int) bool { return n > 0 && n < MinBenchmarkGroup }
