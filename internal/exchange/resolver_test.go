package exchange_test

import (
	"strings"

	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// testSectors is a slice of the reference data, with the scope names that
// contain 「、」 that the scope splitter has to cope with.
var testSectors = []kijun.Sector{
	{Code: "ict", Name: kijun.Text{Ja: "情報通信", En: "Information and communications"}, Scopes: []kijun.BusinessScope{
		{ID: 1, Name: kijun.Text{Ja: "電気通信役務", En: "Telecommunications services"}},
		{ID: 2, Name: kijun.Text{Ja: "放送", En: "Broadcasting"}},
		{ID: 3, Name: kijun.Text{Ja: "ケーブルテレビ", En: "Cable television"}},
		{ID: 4, Name: kijun.Text{Ja: "郵便", En: "Postal services"}},
	}},
	{Code: "aviation", Name: kijun.Text{Ja: "航空", En: "Aviation"}, Scopes: []kijun.BusinessScope{
		{ID: 10, Name: kijun.Text{Ja: "旅客、貨物の航空輸送サービス", En: "Passenger and cargo air transport services"}},
		{ID: 11, Name: kijun.Text{Ja: "予約、発券、搭乗・搭載手続", En: "Reservation, ticketing, boarding and loading"}},
		{ID: 12, Name: kijun.Text{Ja: "国内定期航空運送事業", En: "Scheduled domestic air transport"}},
	}},
	{Code: "government", Name: kijun.Text{Ja: "政府・行政サービス", En: "Government and administrative services"}, Scopes: []kijun.BusinessScope{
		{ID: 20, Name: kijun.Text{Ja: "地方公共団体の行政サービス", En: "Administrative services of local governments"}},
	}},
	{Code: "finance", Name: kijun.Text{Ja: "金融", En: "Finance"}, Scopes: []kijun.BusinessScope{
		{ID: 30, Name: kijun.Text{Ja: "銀行等", En: "Banks and similar institutions"}},
	}},
}

// mapResolver is the lookup table a caller would fill from the database.
type mapResolver struct {
	sectors  []kijun.Sector
	manages  map[string]bool
	existing map[string]exchange.ExistingOperator
}

func newResolver() *mapResolver {
	return &mapResolver{
		sectors: testSectors,
		manages: map[string]bool{"ict": true, "aviation": true, "government": true},
		existing: map[string]exchange.ExistingOperator{
			"9000020011002": {ID: 501, SectorCode: "government"},
			"9020001002002": {ID: 502, SectorCode: "finance"},
		},
	}
}

func (m *mapResolver) Sector(s string) (string, bool) {
	for _, sec := range m.sectors {
		if s == sec.Name.Ja || strings.EqualFold(s, sec.Code) || strings.EqualFold(s, sec.Name.En) {
			return sec.Code, true
		}
	}
	return "", false
}

func (m *mapResolver) Scope(sector, name string) (int64, bool) {
	for _, sec := range m.sectors {
		if sec.Code != sector {
			continue
		}
		for _, sc := range sec.Scopes {
			if name == sc.Name.Ja || strings.EqualFold(name, sc.Name.En) {
				return sc.ID, true
			}
		}
	}
	return 0, false
}

func (m *mapResolver) MayManage(sector string) bool { return m.manages[sector] }

func (m *mapResolver) Existing(cn string) (exchange.ExistingOperator, bool) {
	e, ok := m.existing[cn]
	return e, ok
}
