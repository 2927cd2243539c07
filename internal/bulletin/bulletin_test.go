package bulletin

import (
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

func TestAudienceIncludes(t *testing.T) {
	meti := Org{MinistryCode: "METI"}
	toto := Org{OperatorID: 1, SectorCode: "electricity", Designation: "both", Active: true}
	kita := Org{OperatorID: 2, SectorCode: "electricity", Designation: "ci", Active: true}
	bank := Org{OperatorID: 3, SectorCode: "finance", Designation: "core", Active: true}
	gone := Org{OperatorID: 4, SectorCode: "finance", Designation: "both"}
	cases := []struct {
		a    Audience
		want []Org
	}{
		{Audience{Kind: Everyone}, []Org{meti, toto, kita, bank}},
		{Audience{Kind: Ministries, Ministries: []string{"METI"}}, []Org{meti}},
		{Audience{Kind: Ministries, Ministries: []string{"FSA"}}, nil},
		{Audience{Kind: Sectors, Sectors: []string{"electricity"}}, []Org{toto, kita}},
		{Audience{Kind: Scope, Designation: DesignationCore}, []Org{toto, bank}},
		{Audience{Kind: Scope, Designation: DesignationCI, Sectors: []string{"finance"}}, nil},
		{Audience{Kind: Scope, Designation: DesignationCI}, []Org{toto, kita}},
		{Audience{Kind: Operators, Operators: []int64{2, 4}}, []Org{kita}},
	}
	for _, c := range cases {
		var got []Org
		for _, o := range []Org{meti, toto, kita, bank, gone} {
			if c.a.Includes(o) {
				got = append(got, o)
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("%+v: %v, want %v", c.a, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%+v: %v, want %v", c.a, got, c.want)
			}
		}
	}
}

func TestWide(t *testing.T) {
	for a, want := range map[*Audience]bool{
		{Kind: Everyone}: true, {Kind: Ministries}: true, {Kind: Scope, Designation: "ci"}: true,
		{Kind: Scope, Designation: "ci", Sectors: []string{"gas"}}: false, {Kind: Sectors}: false, {Kind: Operators}: false,
	} {
		if a.Wide() != want {
			t.Errorf("%+v: wide %v", *a, !want)
		}
	}
}

func TestCheck(t *testing.T) {
	now := time.Date(2026, 4, 10, 23, 30, 0, 0, kijun.JST)
	b, errs := Check(Draft{Category: "alert", Title: " 注意 ", Body: "本文", Audience: "sectors", Sectors: []string{"gas", "gas", ""}, AckBy: "2026-04-10"}, now)
	if len(errs) != 0 || b.Title != "注意" || len(b.Audience.Sectors) != 1 || b.AckBy == nil {
		t.Fatalf("%+v %v", b, errs)
	}
	_, errs = Check(Draft{Category: "x", Title: "a\nb", Audience: "operators", Operators: "2010401000001, 123", AckBy: "2026-04-09"}, now)
	for _, f := range []string{"category", "title", "body", "operators", "ack_by"} {
		if errs[f] == "" {
			t.Errorf("no error on %s: %v", f, errs)
		}
	}
	_, errs = Check(Draft{Category: "request", Title: "t", Body: "b", Audience: "scope", Designation: "nope"}, now)
	if errs["designation"] == "" {
		t.Errorf("%v", errs)
	}
	_, errs = Check(Draft{Category: "request", Title: "t", Body: "b", Audience: "anyone"}, now)
	if errs["audience"] == "" {
		t.Errorf("%v", errs)
	}
}

func TestAckOverdue(t *testing.T) {
	due := time.Date(2026, 4, 10, 0, 0, 0, 0, kijun.JST)
	if AckOverdue(&due, false, time.Date(2026, 4, 10, 23, 59, 0, 0, kijun.JST)) {
		t.Error("overdue on its day")
	}
	if !AckOverdue(&due, false, time.Date(2026, 4, 10, 15, 0, 0, 0, time.UTC)) { // 00:00 JST on the 11th
		t.Error("not overdue the next day in Japan")
	}
	if AckOverdue(&due, true, due.AddDate(0, 0, 5)) || AckOverdue(nil, false, due.AddDate(0, 0, 5)) {
		t.Error("overdue though acknowledged or not asked")
	}
	b := Bulletin{AckBy: &due}
	r := Tally(b, []Recipient{{Readers: 2, AckedAt: &due}, {Readers: 1}, {}}, due.AddDate(0, 0, 1))
	if r != (Report{Recipients: 3, Read: 2, Acked: 1, Overdue: 2}) {
		t.Errorf("%+v", r)
	}
}

func TestInquiryChecks(t *testing.T) {
	if e := CheckInquiry("", "\x00"); e["subject"] == "" || e["body"] == "" {
		t.Errorf("%v", e)
	}
	if e := CheckInquiry("件名", "本文"); len(e) != 0 {
		t.Errorf("%v", e)
	}
	if e := CheckFAQ(FAQ{}); len(e) != 3 {
		t.Errorf("%v", e)
	}
}

func TestParseNumbers(t *testing.T) {
	ns, ok := ParseNumbers("2010401000001、1010401000002\n2010401000001")
	if !ok || len(ns) != 2 {
		t.Errorf("%v %v", ns, ok)
	}
	if _, ok := ParseNumbers("201040100000x"); ok {
		t.Error("letters accepted")
	}
}
