package synthetic

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/postgres"
)

// memberNumber matches a count in the CEPTOAR members column, with or
// without thousands separators: "1,216社", "47都道府県 1,741市区町村".
var memberNumber = regexp.MustCompile(`[0-9][0-9,]*`)

// MemberCount reads a CEPTOAR members column as the source words it and
// returns the sum of every number in it, whatever unit follows: "270社
// 7機関" is 277, "47都道府県 1,741市区町村" is 1,788, "1グループ 21機関" is
// 22. The counts are のべ数 (a member of two CEPTOARs counts twice); the
// generator only needs proportions, so they are taken as they are.
func MemberCount(members string) int {
	n := 0
	for _, m := range memberNumber.FindAllString(members, -1) {
		v, err := strconv.Atoi(strings.ReplaceAll(m, ",", ""))
		if err == nil {
			n += v
		}
	}
	return n
}

// SectorWeight is a sector and the number of CEPTOAR members it counts.
type SectorWeight struct {
	Code    string
	Members int
}

// LoadSectorWeights sums MemberCount over each sector's CEPTOAR rows (one
// per business scope), in the sectors' order. Sectors without a CEPTOAR
// row are left out.
func LoadSectorWeights(ctx context.Context, q postgres.Querier) ([]SectorWeight, error) {
	rows, _ := q.Query(ctx, `SELECT s.code, c.members FROM ceptoars c JOIN sectors s ON s.code = c.sector_code
		ORDER BY s.sort_order, s.code, c.sort_order`)
	var code, members string
	var out []SectorWeight
	_, err := pgx.ForEachRow(rows, []any{&code, &members}, func() error {
		if len(out) == 0 || out[len(out)-1].Code != code {
			out = append(out, SectorWeight{Code: code})
		}
		out[len(out)-1].Members += MemberCount(members)
		return nil
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("no CEPTOAR rows: run `kijun seed` first")
	}
	return out, err
}

// Allocate shares n operators among the sectors in proportion to their
// members by the largest-remainder method: each sector gets the floor of
// its exact share, and the operators left over go to the largest
// remainders (ties to the earlier sector). Every count is then within one
// of its exact share, and the counts sum to n.
func Allocate(weights []SectorWeight, n int) []int {
	total := 0
	for _, w := range weights {
		total += w.Members
	}
	counts := make([]int, len(weights))
	if total == 0 || n <= 0 {
		return counts
	}
	type rem struct{ i, r int }
	rems := make([]rem, len(weights))
	left := n
	for i, w := range weights {
		exact := n * w.Members // share = exact / total
		counts[i] = exact / total
		rems[i] = rem{i, exact % total}
		left -= counts[i]
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; k < left; k++ {
		counts[rems[k].i]++
	}
	return counts
}
