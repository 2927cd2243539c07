package bulletin

import (
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Side is who wrote a message of an inquiry's thread.
type Side string

const (
	SideOperator Side = "operator"
	SideMinistry Side = "ministry"
	SideNCO      Side = "nco"
)

// Inquiry is an operator's question thread to a ministry overseeing its
// sector (問い合わせ). Its ministry may escalate it (回付) to the NCO,
// which then sees and answers it too. Messages are never edited.
type Inquiry struct {
	ID           int64
	OperatorID   int64
	SectorCode   string
	MinistryCode string
	Subject      string
	CreatedAt    time.Time
	EscalatedAt  *time.Time
	OperatorName kijun.Text
	MinistryName kijun.Text
	Messages     []Message
	LastAt       time.Time // the newest message's time
	LastSide     Side      // who wrote it
}

// Escalated reports whether the inquiry was escalated to the NCO.
func (q Inquiry) Escalated() bool { return q.EscalatedAt != nil }

// Message is one message of an inquiry's thread.
type Message struct {
	ID         int64
	InquiryID  int64
	Side       Side
	AuthorName string
	Body       string
	CreatedAt  time.Time
}

// FAQ is a question and its answer published for the operators of some
// sectors (よくある質問), by a ministry for its sectors or by the NCO. It
// carries no trace of who asked: the publisher writes the question anew
// (the form starts from the inquiry's words) and the inquiry it came from
// is kept only for the publisher.
type FAQ struct {
	ID          int64
	Ministry    string // "" when the NCO published it
	Sectors     []string
	Question    string
	Answer      string
	InquiryID   int64 // the inquiry it came from; 0 for none
	PublishedAt time.Time
	SenderName  kijun.Text
}

// Limits of what is typed.
const (
	MaxSubject = 200
	MaxMessage = 10000
)

// CheckInquiry checks a new inquiry's subject and first message; the
// message id of each field that is wrong.
func CheckInquiry(subject, body string) map[string]string {
	errs := map[string]string{}
	subject = strings.TrimSpace(subject)
	switch {
	case subject == "":
		errs["subject"] = "inquiry.error.subject_required"
	case strings.ContainsAny(subject, "\r\n"):
		errs["subject"] = "bulletin.error.title_line"
	default:
		if p := kijun.CheckText(subject, MaxSubject, "inquiry.error.subject_long"); p != "" {
			errs["subject"] = p
		}
	}
	if id := CheckMessage(body); id != "" {
		errs["body"] = id
	}
	return errs
}

// CheckMessage checks a message of a thread: the message id of what is
// wrong, or "".
func CheckMessage(body string) string {
	body = strings.TrimSpace(body)
	if body == "" {
		return "inquiry.error.body_required"
	}
	return kijun.CheckText(body, MaxMessage, "inquiry.error.body_long")
}

// CheckFAQ checks an FAQ entry to publish; the message id of each field
// that is wrong.
func CheckFAQ(f FAQ) map[string]string {
	errs := map[string]string{}
	if strings.TrimSpace(f.Question) == "" {
		errs["question"] = "faq.error.question_required"
	} else if p := kijun.CheckText(f.Question, MaxMessage, "faq.error.question_long"); p != "" {
		errs["question"] = p
	}
	if strings.TrimSpace(f.Answer) == "" {
		errs["answer"] = "faq.error.answer_required"
	} else if p := kijun.CheckText(f.Answer, MaxMessage, "faq.error.answer_long"); p != "" {
		errs["answer"] = p
	}
	if len(f.Sectors) == 0 {
		errs["sectors"] = "faq.error.sectors"
	}
	return errs
}

// CleanCodes trims, deduplicates and sorts codes typed or chosen in a form.
func CleanCodes(in []string) []string { return cleanCodes(in) }
