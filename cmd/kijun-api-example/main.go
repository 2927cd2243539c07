// Command kijun-api-example is a small client of the Kijun API
// (docs/api.md) that an operator's tool can start from: it lists the
// token's assessments, fills one from a JSON file of answers, records the
// internal check (社内確認) with an operator admin's token, and submits it.
// It uses only the standard library.
//
//	export KIJUN_URL=https://kijun.example KIJUN_TOKEN=kijun_…
//	kijun-api-example list
//	kijun-api-example fill -assessment 12 -answers answers.json
//	KIJUN_TOKEN=<an operator admin's token> kijun-api-example confirm -assessment 12
//	kijun-api-example submit -assessment 12
//
// Only a self-assessment confirmed by the internal check can be submitted,
// and any change of an answer after it voids the confirmation: fill, then
// confirm, then submit (fill -submit does the last step when the
// confirmation already holds).
//
// answers.json maps a control's ref to its answer; "*" answers every
// control the file does not name:
//
//	{"GV-01": {"status": "implemented", "maturity": 3, "how": "規程を整備"},
//	 "*":     {"status": "partial", "maturity": 2, "how": "…",
//	           "remediation": {"action": "…", "owner": "情報システム部", "due": "2027-03-31"}}}
//
// Each answer is saved with If-Match set to the version read, so that a
// change made meanwhile in the portal is never overwritten (412: the
// program stops and says so); the submission carries an Idempotency-Key,
// so running it again after a lost response does not submit twice.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kijun-api-example:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	c := client{base: strings.TrimSuffix(os.Getenv("KIJUN_URL"), "/") + "/api/v1", token: os.Getenv("KIJUN_TOKEN"),
		http: &http.Client{Timeout: 30 * time.Second}}
	if c.token == "" || os.Getenv("KIJUN_URL") == "" {
		return errors.New("set KIJUN_URL (the portal's address) and KIJUN_TOKEN (an API token issued on /tokens)")
	}
	if len(args) == 0 {
		return errors.New("usage: kijun-api-example list | fill -assessment ID -answers FILE [-submit] | confirm -assessment ID | submit -assessment ID")
	}
	switch args[0] {
	case "list":
		return c.list(out)
	case "fill":
		fs := flag.NewFlagSet("fill", flag.ContinueOnError)
		id := fs.Int64("assessment", 0, "the assessment's id (see list)")
		file := fs.String("answers", "", "a JSON file of answers by control ref (\"*\" for every other control)")
		submit := fs.Bool("submit", false, "submit the assessment once every answer is saved")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *id == 0 || *file == "" {
			return errors.New("fill needs -assessment and -answers")
		}
		return c.fill(out, *id, *file, *submit)
	case "confirm", "submit":
		fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
		id := fs.Int64("assessment", 0, "the assessment's id (see list)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *id == 0 {
			return fmt.Errorf("%s needs -assessment", args[0])
		}
		if args[0] == "confirm" {
			return c.confirm(out, *id)
		}
		return c.submit(out, *id, nil)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// client calls the API with one token.
type client struct {
	base, token string
	http        *http.Client
}

// problem is the API's error (RFC 9457 problem details).
type problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

func (p *problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s: %s", p.Status, p.Code, p.Title)
	for _, e := range p.Errors {
		fmt.Fprintf(&b, "\n  %s: %s", e.Field, e.Detail)
	}
	return b.String()
}

// do sends a request and decodes a 2xx JSON reply into v; anything else
// is returned as a *problem.
func (c client) do(method, path string, body any, header map[string]string, v any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return resp.Header, fmt.Errorf("rate limited: retry after %s seconds", resp.Header.Get("Retry-After"))
	}
	if resp.StatusCode >= 300 {
		p := &problem{Status: resp.StatusCode}
		_ = json.Unmarshal(data, p)
		return resp.Header, p
	}
	if v != nil {
		return resp.Header, json.Unmarshal(data, v)
	}
	return resp.Header, nil
}

type text struct {
	Ja string `json:"ja"`
	En string `json:"en"`
}

type assessment struct {
	ID           int64  `json:"id"`
	FiscalYear   int    `json:"fiscal_year"`
	OperatorName text   `json:"operator_name"`
	Status       string `json:"status"`
	DueOn        string `json:"due_on"`
	Version      int    `json:"version"`
	Answered     int    `json:"answered"`
	Total        int    `json:"total"`
	Answers      []struct {
		Ref     string `json:"ref"`
		Version int    `json:"version"`
	} `json:"answers"`
}

// list prints every assessment the token sees, following next_cursor.
func (c client) list(out io.Writer) error {
	cursor := ""
	for {
		var page struct {
			Items      []assessment `json:"items"`
			NextCursor string       `json:"next_cursor"`
		}
		q := url.Values{"limit": {"200"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		if _, err := c.do(http.MethodGet, "/assessments?"+q.Encode(), nil, nil, &page); err != nil {
			return err
		}
		for _, a := range page.Items {
			fmt.Fprintf(out, "%d\tFY%d\t%s\t%s\t%d/%d\tdue %s\n", a.ID, a.FiscalYear, a.OperatorName.Ja, a.Status, a.Answered, a.Total, a.DueOn)
		}
		if page.NextCursor == "" {
			return nil
		}
		cursor = page.NextCursor
	}
}

// fill saves every answer of the file at the version read, then submits
// when asked.
func (c client) fill(out io.Writer, id int64, file string, submit bool) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var answers map[string]json.RawMessage
	if err := json.Unmarshal(raw, &answers); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	var a assessment
	path := "/assessments/" + strconv.FormatInt(id, 10)
	if _, err := c.do(http.MethodGet, path, nil, nil, &a); err != nil {
		return err
	}
	saved := 0
	for _, ans := range a.Answers {
		body, ok := answers[ans.Ref]
		if !ok {
			body, ok = answers["*"]
		}
		if !ok {
			continue
		}
		var reply struct {
			Version int `json:"version"`
		}
		_, err := c.do(http.MethodPut, path+"/answers/"+url.PathEscape(ans.Ref), body,
			map[string]string{"If-Match": strconv.Quote(strconv.Itoa(ans.Version))}, &reply)
		var p *problem
		if errors.As(err, &p) && p.Status == http.StatusPreconditionFailed {
			return fmt.Errorf("%s was changed by someone else since it was read; read it again before overwriting: %w", ans.Ref, err)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", ans.Ref, err)
		}
		saved++
		fmt.Fprintf(out, "saved %s (version %d)\n", ans.Ref, reply.Version)
	}
	fmt.Fprintf(out, "%d answers saved\n", saved)
	if !submit {
		return nil
	}
	return c.submit(out, id, raw)
}

// confirm records the internal check as confirmed (an operator admin's
// token): the assessment may then be submitted.
func (c client) confirm(out io.Writer, id int64) error {
	var a assessment
	path := "/assessments/" + strconv.FormatInt(id, 10)
	if _, err := c.do(http.MethodPost, path+"/signoff", json.RawMessage(`{"decision":"confirmed"}`), nil, &a); err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	fmt.Fprintf(out, "assessment %d is confirmed for submission\n", a.ID)
	return nil
}

// submit submits the assessment. The same assessment at the same version
// (and answers file, from fill) gives the same Idempotency-Key: a rerun
// after a lost response gets the first submission's reply again.
func (c client) submit(out io.Writer, id int64, answers []byte) error {
	var a assessment
	path := "/assessments/" + strconv.FormatInt(id, 10)
	if _, err := c.do(http.MethodGet, path, nil, nil, &a); err != nil {
		return err
	}
	sum := sha256.Sum256(append([]byte(fmt.Sprintf("%s\n%d\n", path, a.Version)), answers...))
	key := "submit-" + hex.EncodeToString(sum[:16])
	if _, err := c.do(http.MethodPost, path+"/submit", nil, map[string]string{"Idempotency-Key": key}, &a); err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	fmt.Fprintf(out, "assessment %d is %s\n", a.ID, a.Status)
	return nil
}
