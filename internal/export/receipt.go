package export

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// receiptContent is what a 提出控え's hash covers: the assessment and
// every control's answer as submitted, in the assessment's order. Who
// edited and when are left out: the same answers give the same hash.
type receiptContent struct {
	AssessmentID int64          `json:"assessment_id"`
	OperatorID   int64          `json:"operator_id"`
	Sector       string         `json:"sector"`
	FiscalYear   int            `json:"fiscal_year"`
	SubmittedAt  string         `json:"submitted_at"`
	Catalog      string         `json:"catalog"`
	Answers      []receiptEntry `json:"answers"`
}

type receiptEntry struct {
	Ref      string `json:"ref"`
	Status   string `json:"status"`
	Maturity int    `json:"maturity"`
	How      string `json:"how"`
	NAReason string `json:"na_reason"`
	Action   string `json:"action"`
	Owner    string `json:"owner"`
	Due      string `json:"due"`
}

// ContentHash is the hex SHA-256 of the assessment's submitted content
// (canonical JSON of receiptContent), printed on its 提出控え.
func ContentHash(a Assessment) string {
	c := receiptContent{AssessmentID: a.Assessment.ID, OperatorID: a.Assessment.OperatorID, Sector: a.Assessment.SectorCode,
		FiscalYear: int(a.Assessment.FiscalYear), Catalog: a.Catalog.Code + " " + a.Catalog.Version, Answers: []receiptEntry{}}
	if a.Assessment.SubmittedAt != nil {
		c.SubmittedAt = a.Assessment.SubmittedAt.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	for _, x := range a.Controls {
		e := receiptEntry{Ref: x.Control.Ref, Status: string(x.Answer.Status), Maturity: x.Answer.Maturity, How: x.Answer.How,
			NAReason: x.Answer.NAReason, Action: x.Answer.Remediation.Action, Owner: x.Answer.Remediation.Owner}
		if x.Answer.Remediation.Due != nil {
			e.Due = kijun.ISODate(*x.Answer.Remediation.Due)
		}
		c.Answers = append(c.Answers, e)
	}
	b, _ := json.Marshal(c) // plain strings and numbers: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
