package kijun

import "time"

// Designation says under which regime an operator is named.
type Designation string

const (
	DesignationCI   Designation = "ci"   // 重要インフラ事業者
	DesignationCore Designation = "core" // 基幹インフラ事業者 (特定社会基盤事業者)
	DesignationBoth Designation = "both"
)

// OperatorStatus: operators are never deleted, only withdrawn.
type OperatorStatus string

const (
	OperatorActive    OperatorStatus = "active"
	OperatorWithdrawn OperatorStatus = "withdrawn"
)

// Operator is a named (バイネーム) critical-infrastructure operator.
type Operator struct {
	ID              int64
	CorporateNumber string // 法人番号, 13 digits with check digit
	LocalGovCode    string // 地方公共団体コード (6 digits), municipalities only
	Name            Text
	SectorCode      string
	ScopeIDs        []int64 // business scopes of its sector
	Designation     Designation
	DesignatedSince time.Time
	DesignatedBy    string // ministry code
	Reason          string
	Status          OperatorStatus
	Version         int
}
