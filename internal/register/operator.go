package register

import (
	"time"
	"unicode/utf8"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Designation says under which regime an operator is named.
type Designation string

const (
	DesignationCI   Designation = "ci"   // 重要インフラ事業者
	DesignationCore Designation = "core" // 基幹インフラ事業者 (特定社会基盤事業者)
	DesignationBoth Designation = "both"
)

// Status: operators are never deleted, only withdrawn.
type Status string

const (
	Active    Status = "active"
	Withdrawn Status = "withdrawn"
)

// Operator is a named (バイネーム) critical-infrastructure operator.
type Operator struct {
	ID              int64
	CorporateNumber string // 法人番号, 13 digits with check digit
	LocalGovCode    string // 地方公共団体コード (6 digits), municipalities only
	Name            kijun.Text
	SectorCode      string
	ScopeIDs        []int64 // business scopes of its sector
	Designation     Designation
	DesignatedSince time.Time
	DesignatedBy    string // ministry code
	Reason          string
	Status          Status
	Version         int
}

// The lengths of an operator's free text, in characters. The database's
// CHECKs on operators hold the same limits.
const (
	MaxNameLen   = 200  // name_ja, name_en
	MaxReasonLen = 2000 // reason
)

// TextProblems reports, by field (name_ja, name_en, reason), the message
// id of what is wrong with the operator's free text: too long, or
// characters that may not be stored (kijun.TextProblem). The operator
// form and the register import both apply it, so that a row the import
// would fail to write is shown as bad in its preview.
func (o Operator) TextProblems() map[string]string {
	problems := map[string]string{}
	for _, f := range []struct {
		field, value string
		max          int
		tooLong      string
	}{
		{"name_ja", o.Name.Ja, MaxNameLen, "operators.name.too_long"},
		{"name_en", o.Name.En, MaxNameLen, "operators.name.too_long"},
		{"reason", o.Reason, MaxReasonLen, "operators.reason.too_long"},
	} {
		if p := kijun.TextProblem(f.value); p != "" {
			problems[f.field] = p
		} else if utf8.RuneCountInString(f.value) > f.max {
			problems[f.field] = f.tooLong
		}
	}
	return problems
}
