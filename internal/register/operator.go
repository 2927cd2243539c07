package register

import (
	"time"

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
