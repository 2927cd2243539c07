package webhook_test

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kijun-portal/kijun/internal/webhook"
)

// TestSignSpecVector: the signature of the specification's published
// example (secret, id, timestamp, payload) is the published one.
func TestSignSpecVector(t *testing.T) {
	// The specification's example secret, as whsec_ and base64.
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", webhook.SecretPrefix))
	if err != nil {
		t.Fatal(err)
	}
	got, err := webhook.Sign(raw, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil || got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Errorf("signature %q (%v)", got, err)
	}
}

// TestSecretRoundTrip: a new secret is shown as whsec_ base64 and, sealed
// and opened with the configured key, signs as the shown text verifies.
func TestSecretRoundTrip(t *testing.T) {
	box, err := webhook.NewBox("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		t.Fatal(err)
	}
	raw, text := webhook.NewSecret()
	sealed := box.Seal(raw)
	opened, err := box.Open(sealed)
	if err != nil || string(opened) != string(raw) {
		t.Fatalf("open: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := box.Open(sealed); err == nil {
		t.Error("a tampered sealed secret opened")
	}
	if _, err := webhook.NewBox(""); err != webhook.ErrNoKey {
		t.Error("no key gave no ErrNoKey")
	}
	if _, err := webhook.NewBox("c2hvcnQ="); err == nil {
		t.Error("a short key was accepted")
	}
	now := time.Now()
	sig, _ := webhook.Sign(opened, "msg_1", now, []byte(`{}`))
	wh, _ := standardwebhooks.NewWebhook(text)
	h := map[string][]string{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {strconv.FormatInt(now.Unix(), 10)}, "Webhook-Signature": {sig}}
	if err := wh.Verify([]byte(`{}`), h); err != nil {
		t.Errorf("the shown secret does not verify the signature: %v", err)
	}
}

// TestURLProblem: https with a host only; http, user information,
// literal private, loopback and link-local addresses refused (loopback
// and http to it allowed by the test flag only).
func TestURLProblem(t *testing.T) {
	for _, c := range []struct {
		url      string
		loopback bool
		want     string
	}{
		{"https://hooks.example.com/kijun", false, ""},
		{"https://203.0.114.7:8443/x", false, ""},
		{"", false, "webhooks.error.url_required"},
		{"http://hooks.example.com/", false, "webhooks.error.https"},
		{"ftp://hooks.example.com/", false, "webhooks.error.https"},
		{"https://user:pw@hooks.example.com/", false, "webhooks.error.url"},
		{"https:///nohost", false, "webhooks.error.url"},
		{"https://hooks.example.com/#frag", false, "webhooks.error.url"},
		{"https://127.0.0.1/", false, "webhooks.error.address"},
		{"https://localhost/", false, "webhooks.error.address"},
		{"https://10.1.2.3/", false, "webhooks.error.address"},
		{"https://192.168.0.1/", false, "webhooks.error.address"},
		{"https://169.254.169.254/latest/meta-data", false, "webhooks.error.address"},
		{"https://[::1]/", false, "webhooks.error.address"},
		{"https://[fe80::1]/", false, "webhooks.error.address"},
		{"https://[fd00::1]/", false, "webhooks.error.address"},
		{"https://[::ffff:10.0.0.1]/", false, "webhooks.error.address"},
		{"https://100.64.0.1/", false, "webhooks.error.address"},
		{"https://0.0.0.0/", false, "webhooks.error.address"},
		{"http://127.0.0.1:8080/", false, "webhooks.error.https"},
		{"http://127.0.0.1:8080/", true, ""},
		{"https://127.0.0.1:8443/", true, ""},
		{"http://10.0.0.1/", true, "webhooks.error.https"},
	} {
		if got := webhook.URLProblem(c.url, c.loopback); got != c.want {
			t.Errorf("URLProblem(%q, %v) = %q, want %q", c.url, c.loopback, got, c.want)
		}
	}
	if webhook.AllowedAddr(netip.MustParseAddr("8.8.8.8"), false) != true ||
		webhook.AllowedAddr(netip.MustParseAddr("172.16.5.4"), true) != false {
		t.Error("AllowedAddr")
	}
}

// TestSignAll: during a rotation's grace the header holds a signature per
// secret, and a receiver holding either secret (only) verifies it with the
// specification's library; a third secret does not.
func TestSignAll(t *testing.T) {
	newRaw, newText := webhook.NewSecret()
	oldRaw, oldText := webhook.NewSecret()
	_, otherText := webhook.NewSecret()
	now := time.Now()
	sig, err := webhook.SignAll([][]byte{newRaw, oldRaw}, "msg_2", now, []byte(`{"a":1}`))
	if err != nil || len(strings.Fields(sig)) != 2 {
		t.Fatalf("header %q: %v", sig, err)
	}
	h := map[string][]string{"Webhook-Id": {"msg_2"}, "Webhook-Timestamp": {strconv.FormatInt(now.Unix(), 10)}, "Webhook-Signature": {sig}}
	for _, text := range []string{newText, oldText} {
		wh, _ := standardwebhooks.NewWebhook(text)
		if err := wh.Verify([]byte(`{"a":1}`), h); err != nil {
			t.Errorf("a receiver with one of the secrets does not verify: %v", err)
		}
	}
	wh, _ := standardwebhooks.NewWebhook(otherText)
	if err := wh.Verify([]byte(`{"a":1}`), h); err == nil {
		t.Error("another secret verified the header")
	}
	one, _ := webhook.SignAll([][]byte{newRaw}, "msg_2", now, []byte(`{"a":1}`))
	if strings.Contains(one, " ") {
		t.Errorf("one secret gave %q", one)
	}
}
