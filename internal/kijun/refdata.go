package kijun

import "time"

// Ministry is a 重要インフラ所管省庁, or the coordinator (NCO).
type Ministry struct {
	Code          string
	Name          Text
	IsCoordinator bool
	SectorCodes   []string
}

// ScopeOrigin says on which side of the source's comparison table a
// business scope is named.
type ScopeOrigin string

const (
	OriginCI   ScopeOrigin = "ci"   // 重要インフラ
	OriginCore ScopeOrigin = "core" // 基幹インフラ (特定社会基盤事業)
	OriginBoth ScopeOrigin = "both"
)

// BusinessScope is a 事業の範囲 of a sector.
type BusinessScope struct {
	ID         int64
	SectorCode string
	Name       Text
	Origin     ScopeOrigin
	CoreNameJa string // wording on the 基幹インフラ side, if named there
}

// CEPTOAR is a sector's information-sharing body for one business scope.
type CEPTOAR struct {
	SectorCode   string
	ScopeJa      string
	Name         string
	Secretariat  string
	Members      string // as the source words it, e.g. "47都道府県 1,741市区町村"
	SharedBeyond string // 構成員以外の情報展開先; "-" when none is given
	AsOf         time.Time
}

// Sector is a 重要インフラ分野 with what hangs off it.
type Sector struct {
	Code             string
	Name             Text
	Ministries       []Ministry
	Scopes           []BusinessScope
	CEPTOARs         []CEPTOAR
	ExampleOperators []Text
	ExampleSystems   []Text
}

// Section is one of the seven sections of Part 3 of the standard.
type Section struct {
	Code string
	Name Text
}

// Theme is one of the cross-cutting themes (主な対策) of the standard.
type Theme struct {
	Code string
	Name Text
}

// Named is a reference code with its names.
type Named struct {
	Code string
	Name Text
}

// ReferenceNames are the names of the reference codes pages show, in
// their reference order.
type ReferenceNames struct {
	Sectors    []Named
	Sections   []Named
	Themes     []Named
	Ministries []Named
	// Oversight maps a sector to the ministries overseeing it.
	Oversight map[string][]string
}

// Name returns the names of code in list (the code itself if unknown).
func Name(list []Named, code string) Text {
	for _, c := range list {
		if c.Code == code {
			return c.Name
		}
	}
	return Text{Ja: code, En: code}
}

// NameMap indexes a list of names by code, for views that look names up.
func NameMap(list []Named) map[string]Text {
	m := make(map[string]Text, len(list))
	for _, c := range list {
		m[c.Code] = c.Name
	}
	return m
}
