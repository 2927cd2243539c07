package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// load reads file as the providers file.
func load(t *testing.T, file string) ([]ProviderConfig, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	return LoadProviders(path)
}

const goodProvider = `- id: keycloak
  name: {ja: 府省共通認証基盤, en: Government sign-in}
  issuer: https://idp.example.go.jp/realms/kijun
  client_id: kijun-portal
  client_secret_env: TEST_KIJUN_SECRET
  scopes: [profile, email]
`

// TestProvidersFileIsReadStrictly: a typo in the providers file stops the
// portal with a message that names the key, its line and the provider,
// and so does a missing required field.
func TestProvidersFileIsReadStrictly(t *testing.T) {
	t.Setenv("TEST_KIJUN_SECRET", "s")
	if ps, err := load(t, goodProvider); err != nil || len(ps) != 1 || ps[0].ClientSecret != "s" {
		t.Fatalf("a good file: %+v, %v", ps, err)
	}
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"typo in a key", goodProvider + `- id: gbizid
  issuer: https://gbiz.example.jp/
  client_id: kijun
  client_secret_env: TEST_KIJUN_SECRET
  scope: [profile]
`, []string{`line 11`, `provider "gbizid"`, `unknown key "scope"`}},
		{"typo in a nested key", `- id: meti
  name: {jp: 経済産業省}
  issuer: https://login.example.jp/
  client_id: kijun
  client_secret_env: TEST_KIJUN_SECRET
`, []string{`line 2`, `provider "meti"`, `unknown key "jp"`}},
		{"typo before the id", `- issuer: https://login.example.jp/
  clientid: kijun
  id: meti
`, []string{`line 2`, `provider "meti"`, `unknown key "clientid"`}},
		{"api_audience equal to client_id", `- id: meti
  issuer: https://login.example.jp/
  client_id: kijun
  client_secret_env: TEST_KIJUN_SECRET
  api_audience: kijun
`, []string{`line 1`, `provider "meti"`, "api_audience must differ from client_id"}},
		{"no client_id", `- id: meti
  issuer: https://login.example.jp/
  client_secret_env: TEST_KIJUN_SECRET
`, []string{`line 1`, `provider "meti"`, "client_id is required"}},
		{"no secret", `- id: meti
  issuer: https://login.example.jp/
  client_id: kijun
`, []string{`provider "meti"`, "client_secret_env (or client_secret) is required"}},
		{"secret twice", `- id: meti
  issuer: https://login.example.jp/
  client_id: kijun
  client_secret: x
  client_secret_env: TEST_KIJUN_SECRET
`, []string{`provider "meti"`, "not both"}},
		{"empty secret variable", `- id: meti
  issuer: https://login.example.jp/
  client_id: kijun
  client_secret_env: TEST_KIJUN_UNSET
`, []string{`provider "meti"`, "TEST_KIJUN_UNSET"}},
		{"issuer not a URL", `- id: meti
  issuer: login.example.jp
  client_id: kijun
  client_secret_env: TEST_KIJUN_SECRET
`, []string{`provider "meti"`, "issuer"}},
		{"no id", `- issuer: https://login.example.jp/
  client_id: kijun
  client_secret_env: TEST_KIJUN_SECRET
`, []string{`line 1`, "id"}},
		{"same id twice", goodProvider + goodProvider, []string{`line 7`, `provider "keycloak"`, "line 1"}},
		{"no providers", "# nothing yet\n", []string{"lists no providers"}},
		{"not a list", "id: meti\n", []string{"not a YAML list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.file)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestShippedProvidersFilesLoad: the example file of the manifests is
// read as the portal reads it.
func TestShippedProvidersFilesLoad(t *testing.T) {
	t.Setenv("KIJUN_OIDC_CLIENT_SECRET", "test")
	if _, err := LoadProviders("../../deploy/k8s/base/providers.yaml"); err != nil {
		t.Fatal(err)
	}
}
