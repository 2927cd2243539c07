package assessment

// scoreE4 is a score in ten-thousandths: the mean of applicable weights
// summing to sumHundredths, rounded half away from zero (all positive).
func scoreE4(sumHundredths int64, applicable int) int64 {
	return (sumHundredths*100*2 + int64(applicable)) / (2 * int64(applicable))
}
