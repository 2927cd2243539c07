package register

import (
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Validation errors for the two public identifiers operators are registered
// by. They carry message ids so a form or an import preview can show them
// as they are; the messages live with the import messages (exchange.*),
// which is where users meet them most.
var (
	ErrCorporateNumberFormat = &kijun.Error{Code: kijun.EInvalid, MessageID: "exchange.corporate_number.format"}
	ErrCorporateNumberCheck  = &kijun.Error{Code: kijun.EInvalid, MessageID: "exchange.corporate_number.check_digit"}
	ErrLocalGovCodeFormat    = &kijun.Error{Code: kijun.EInvalid, MessageID: "exchange.local_gov_code.format"}
	ErrLocalGovCodeCheck     = &kijun.Error{Code: kijun.EInvalid, MessageID: "exchange.local_gov_code.check_digit"}
)

// NormalizeDigits folds full-width digits and spaces to ASCII (NFKC) and
// trims surrounding space, because numbers pasted from Japanese documents
// and Excel sheets often arrive as 「１２３」 with an ideographic space.
func NormalizeDigits(s string) string {
	return strings.TrimSpace(norm.NFKC.String(s))
}

// ParseCorporateNumber returns the 13-digit 法人番号 in s, normalised, or
// ErrCorporateNumberFormat / ErrCorporateNumberCheck. Checking the check
// digit catches most typing slips before they reach the register, where a
// wrong number would silently split one operator into two.
func ParseCorporateNumber(s string) (string, error) {
	s = NormalizeDigits(s)
	if len(s) != 13 || !allDigits(s) {
		return "", ErrCorporateNumberFormat
	}
	if want, _ := CorporateNumberCheckDigit(s[1:]); int(s[0]-'0') != want {
		return "", ErrCorporateNumberCheck
	}
	return s, nil
}

// CorporateNumberCheckDigit computes the check digit (the leading digit) of
// a 法人番号 from its 12-digit base, as 法人番号の指定等に関する省令 第2条
// defines it: 9 − (Σ Pn×Qn mod 9), Pn being the n-th digit counted from the
// lowest and Qn 1 for odd n, 2 for even n. The result is 1…9.
func CorporateNumberCheckDigit(base string) (int, error) {
	if len(base) != 12 || !allDigits(base) {
		return 0, ErrCorporateNumberFormat
	}
	sum := 0
	for n := 1; n <= 12; n++ {
		p := int(base[12-n] - '0')
		q := 1
		if n%2 == 0 {
			q = 2
		}
		sum += p * q
	}
	return 9 - sum%9, nil
}

// ParseLocalGovCode returns the 6-digit 地方公共団体コード in s, normalised,
// or ErrLocalGovCodeFormat / ErrLocalGovCodeCheck. Only the 6-digit form is
// accepted: a 5-digit code without check digit cannot be told from a
// 6-digit one that lost its leading zero in a spreadsheet.
func ParseLocalGovCode(s string) (string, error) {
	s = NormalizeDigits(s)
	if len(s) != 6 || !allDigits(s) {
		return "", ErrLocalGovCodeFormat
	}
	if want, _ := LocalGovCodeCheckDigit(s[:5]); int(s[5]-'0') != want {
		return "", ErrLocalGovCodeCheck
	}
	return s, nil
}

// LocalGovCodeCheckDigit computes the sixth digit of a 地方公共団体コード
// from the first five (JIS X 0401 / 総務省 全国地方公共団体コード): weights
// 6,5,4,3,2, then 11 − (sum mod 11), keeping only its last digit when that
// is 10 or 11.
func LocalGovCodeCheckDigit(base string) (int, error) {
	if len(base) != 5 || !allDigits(base) {
		return 0, ErrLocalGovCodeFormat
	}
	sum := 0
	for i := range 5 {
		sum += int(base[i]-'0') * (6 - i)
	}
	return (11 - sum%11) % 10, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
