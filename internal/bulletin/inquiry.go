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
	ClosedAt     *time.Time
	ClosedSide   Side // who closed it (ministry or NCO), when closed
}

// Escalated reports whether the inquiry was escalated to the NCO.
func (q Inquiry) Escalated() bool { return q.EscalatedAt != nil }

// Closed reports whether the inquiry is closed (解決済み).
func (q Inquiry) Closed() bool { return q.ClosedAt != nil }

// Status is open or closed.
func (q Inquiry) Status() InquiryStatus {
	if q.Closed() {
		return InquiryClosed
	}
	return InquiryOpen
}

// InquiryStatus is whether a thread is open (a side still expects
// something) or closed (解決済み: the answering side considers it settled).
type InquiryStatus string

const (
	InquiryOpen   InquiryStatus = "open"
	InquiryClosed InquiryStatus = "closed"
)

// ParseInquiryStatus reads a list's status filter: "open" (also when
// empty, the default), "closed" or "all" (returned as ""); ok is false
// for anything else.
func ParseInquiryStatus(s string) (status InquiryStatus, ok bool) {
	switch strings.TrimSpace(s) {
	case "", string(InquiryOpen):
		return InquiryOpen, true
	case string(InquiryClosed):
		return InquiryClosed, true
	case "all":
		return "", true
	}
	return InquiryOpen, false
}

// CanClose is the rule of closing (解決済みにする): the answering side
// closes a thread — the ministry asked, or the NCO once the inquiry was
// escalated to it. The operator does not: it reopens a thread by writing
// in it (Reopens). The database holds the same (migration 000028's CHECK
// and trigger; TestInquiryCloseSQLFollowsTheRule derives one from the
// other).
func CanClose(side Side, escalated bool) bool {
	return side == SideMinistry || side == SideNCO && escalated
}

// Reopens reports whether a message written on a thread reopens it: any
// message in a closed thread does, whoever writes it — something is
// expected again (a help desk's "reply reopens the ticket").
func (q Inquiry) Reopens() bool { return q.Closed() }

// WaitingForAnswer reports whether the thread waits for the answering
// side (the ministry, or the NCO once escalated): open, and the
// operator wrote last. The home page counts these.
func (q Inquiry) WaitingForAnswer() bool {
	return !q.Closed() && q.LastSide == SideOperator
}

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
	Corrects    int64 // the entry this one corrects (replaces); 0 for none
	// CorrectedBy is the entry that replaced this one (0: none); a
	// withdrawn entry carries its withdrawal. Either hides it from
	// readers (Current); its publisher and the NCO still see it, marked.
	CorrectedBy     int64
	WithdrawnAt     *time.Time
	WithdrawnReason string
}

// Current reports whether f is shown to readers: neither withdrawn nor
// replaced by a correction.
func (f FAQ) Current() bool { return f.WithdrawnAt == nil && f.CorrectedBy == 0 }

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

// MaxReason is the longest reason of an FAQ entry's withdrawal.
const MaxReason = 2000

// CheckWithdrawal checks the reason given to withdraw an FAQ entry: the
// message id of what is wrong, or "".
func CheckWithdrawal(reason string) string {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "faq.error.reason_required"
	}
	return kijun.CheckText(reason, MaxReason, "faq.error.reason_long")
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
