package synthetic

import "math"

// The answer model. Every draw is a hash of the seed and what it is about
// (operator, control, cycle), not a step of a random stream, so that the
// data do not depend on the order or the number of workers that write
// them, and the rollup pass can recompute any answer.

// mix is splitmix64's finaliser: a good 64-bit hash of its input.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// draw returns a number in [0, 1) determined by its arguments.
func draw(parts ...uint64) float64 {
	h := uint64(0x6b696a756e) // "kijun"
	for _, p := range parts {
		h = mix(h ^ p)
	}
	return float64(h>>11) / (1 << 53)
}

// strHash is FNV-1a, to key draws by a control ref.
func strHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Draw purposes, so that two draws about the same thing are independent.
const (
	pLatent uint64 = iota + 1
	pNA
	pOperator
	pStatus
	pFill
	pAnswered
	pDraft
	pCarried
	pMaturity
	pVersion
	pTime
	pReview
	pScope
)

// sectorBase is the share of controls a typical operator of the sector
// has implemented in the first cycle: regulated, long-supervised sectors
// higher, local services lower. Made up for load testing; not a finding.
var sectorBase = map[string]float64{
	"finance": 0.70, "credit": 0.68, "electricity": 0.66, "ict": 0.64, "aviation": 0.62, "gas": 0.60,
	"railway": 0.58, "petroleum": 0.56, "chemical": 0.54, "airport": 0.52, "logistics": 0.48,
	"port": 0.46, "government": 0.46, "water": 0.44, "medical": 0.40,
}

// sectionAdjust: governance is easier to have on paper than detection,
// and the newest topics (TT) lag behind.
var sectionAdjust = map[string]float64{
	"BASE": 0.08, "GV": 0.05, "ID": 0.00, "PR": 0.02, "DE": -0.06, "RR": -0.03, "TT": -0.12,
}

// naRate is the share of controls an operator marks 該当なし: a few
// everywhere, more for closed-network controls in sectors that run few
// control systems.
func naRate(sector string, themes []string) float64 {
	r := 0.02
	for _, t := range themes {
		if t == "closed-network" && (sector == "finance" || sector == "credit" || sector == "government" || sector == "medical") {
			r += 0.10
		}
	}
	return r
}

// improvement is how much the level rises each cycle.
const improvement = 0.06

// level is the chance that the operator has implemented a control of
// section in cycle k (0 = the first cycle).
func level(seed uint64, op int, sector, section string, k int) float64 {
	base, ok := sectorBase[sector]
	if !ok {
		base = 0.5
	}
	l := base + sectionAdjust[section] + (draw(seed, pOperator, uint64(op))-0.5)*0.3 + improvement*float64(k)
	return math.Max(0.03, math.Min(0.97, l))
}

// answerStatus is the operator's answer to a control in cycle k. The
// latent draw is the same in every cycle, so as the level rises a
// control once implemented stays implemented: operators improve, they do
// not shuffle.
func answerStatus(seed uint64, op int, ref uint64, sector, section string, themes []string, k int) string {
	if draw(seed, pNA, uint64(op), ref) < naRate(sector, themes) {
		return "not_applicable"
	}
	u := draw(seed, pLatent, uint64(op), ref)
	l := level(seed, op, sector, section, k)
	switch {
	case u < l:
		return "implemented"
	case u < l+0.18:
		return "partial"
	}
	return "not_implemented"
}

// assessmentStatus is where an operator's assessment of cycle k of n is.
// Earlier cycles are (almost) all reviewed; the latest has every status.
func assessmentStatus(seed uint64, op, k, n int) string {
	u := draw(seed, pStatus, uint64(op), uint64(k))
	if k < n-1 {
		switch {
		case u < 0.95:
			return "accepted"
		case u < 0.98:
			return "submitted"
		}
		return "returned"
	}
	switch {
	case u < 0.08:
		return "not_started"
	case u < 0.25:
		return "in_progress"
	case u < 0.45:
		return "submitted"
	case u < 0.50:
		return "returned"
	}
	return "accepted"
}
