// Package auth signs users in through OpenID Connect providers (go-oidc,
// authorization code flow with PKCE, state and nonce), maps their claims to
// Kijun roles, and keeps server-side sessions.
package auth

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/register"
)

// ProviderConfig configures one identity provider. docs/security.md shows
// examples for Keycloak, Entra ID and gBizID.
type ProviderConfig struct {
	// ID names the provider in URLs (/login/{id}) and in grants.
	ID string `yaml:"id"`
	// Name is shown on the sign-in page.
	Name kijun.Text `yaml:"name"`
	// Issuer is the provider's issuer URL (discovery is read from it).
	Issuer string `yaml:"issuer"`
	// ClientID and ClientSecret as registered at the provider. The secret
	// may instead be named by ClientSecretEnv, so config files hold none.
	ClientID        string `yaml:"client_id"`
	ClientSecret    string `yaml:"client_secret"`
	ClientSecretEnv string `yaml:"client_secret_env"`
	// Scopes requested besides "openid"; default profile and email.
	Scopes []string `yaml:"scopes"`
	// UserInfo asks the userinfo endpoint for claims missing from the ID
	// token (some providers put groups only there).
	UserInfo bool `yaml:"userinfo"`
	// GroupsClaim is the claim holding group or role values; default "groups".
	GroupsClaim string `yaml:"groups_claim"`
	// GroupGrants maps a group value to a grant: "nco_admin", "nco_analyst",
	// "ministry_staff@METI", "operator_admin@<法人番号>".
	GroupGrants map[string]string `yaml:"group_grants"`
	// CorporateNumberClaim, when set, marks the provider as asserting the
	// user's 法人番号 (as gBizID does): the user becomes operator_staff of
	// the operator with that number.
	CorporateNumberClaim string `yaml:"corporate_number_claim"`
	// APIAudience, when set, lets clients of the provider call the API
	// with access tokens it issues as signed JWTs (OAuth 2.0 client
	// credentials): the audience ("aud") such a token must name. Without
	// it, the provider's tokens are not accepted by the API.
	APIAudience string `yaml:"api_audience"`
	// Development marks the built-in development provider.
	Development bool `yaml:"-"`
}

var providerID = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// LoadProviders reads a YAML list of providers. The file is read strictly:
// an unknown key (a typo such as "scope" for "scopes") is an error that
// names the key, its line and the provider, and so is a missing required
// field; the portal does not start on either.
func LoadProviders(path string) ([]ProviderConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ps, err := decodeProviders(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ps, nil
}

var unknownField = regexp.MustCompile(`^line (\d+): field (.+) not found in type \S+$`)

func decodeProviders(data []byte) ([]ProviderConfig, error) {
	// The list as nodes, to say which provider a line belongs to.
	var items []yaml.Node
	if err := yaml.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("not a YAML list of providers: %w", err)
	}
	if len(items) == 0 {
		return nil, errors.New("lists no providers")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var ps []ProviderConfig
	if err := dec.Decode(&ps); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, err
		}
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			msgs[i] = m
			if f := unknownField.FindStringSubmatch(m); f != nil {
				line, _ := strconv.Atoi(f[1])
				msgs[i] = fmt.Sprintf("line %d: %s: unknown key %q", line, providerAt(items, line), f[2])
			}
		}
		return nil, errors.New(strings.Join(msgs, "; "))
	}
	seen := map[string]int{}
	for i := range ps {
		if err := ps[i].check(); err != nil {
			return nil, fmt.Errorf("line %d: %w", items[i].Line, err)
		}
		if first, dup := seen[ps[i].ID]; dup {
			return nil, fmt.Errorf("line %d: provider %q: id already used at line %d", items[i].Line, ps[i].ID, first)
		}
		seen[ps[i].ID] = items[i].Line
	}
	return ps, nil
}

// providerAt names the provider whose entry holds line: by its id, or by
// its position when it has none.
func providerAt(items []yaml.Node, line int) string {
	at := 0
	for i := range items {
		if items[i].Line <= line {
			at = i
		}
	}
	n := &items[at]
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "id" && n.Content[i+1].Value != "" {
			return fmt.Sprintf("provider %q", n.Content[i+1].Value)
		}
	}
	return fmt.Sprintf("provider %d", at+1)
}

// check refuses a configuration that cannot work and fills in defaults.
func (p *ProviderConfig) check() error {
	if !providerID.MatchString(p.ID) {
		return fmt.Errorf("provider id %q must be lower-case letters, digits and hyphens (required)", p.ID)
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("provider %q: %s", p.ID, fmt.Sprintf(format, a...))
	}
	if u, err := url.Parse(p.Issuer); p.Issuer == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fail("issuer must be the provider's http(s) URL (required)")
	}
	if p.ClientID == "" {
		return fail("client_id is required")
	}
	switch {
	case p.ClientSecret != "" && p.ClientSecretEnv != "":
		return fail("give client_secret_env or client_secret, not both")
	case p.ClientSecret == "" && p.ClientSecretEnv == "":
		return fail("client_secret_env (or client_secret) is required")
	case p.ClientSecretEnv != "":
		// Read once: the configuration then holds the secret itself.
		name := p.ClientSecretEnv
		p.ClientSecret, p.ClientSecretEnv = os.Getenv(name), ""
		if p.ClientSecret == "" {
			return fail("environment variable %s (client secret) is empty", name)
		}
	}
	if p.APIAudience != "" && p.APIAudience == p.ClientID {
		// An ID token issued to the portal names client_id as its
		// audience: it must never pass as an access token for the API.
		return fail("api_audience must differ from client_id")
	}
	if p.Name.Ja == "" {
		p.Name.Ja = p.ID
	}
	if p.GroupsClaim == "" {
		p.GroupsClaim = "groups"
	}
	if len(p.Scopes) == 0 {
		p.Scopes = []string{"profile", "email"}
	}
	for group, grant := range p.GroupGrants {
		if _, err := ParseGrant(grant); err != nil {
			return fail("group_grants[%q]: %v", group, err)
		}
	}
	return nil
}

// ParseGrant reads "role" or "role@scope": scope is a ministry code for
// ministry roles and a 法人番号 for operator roles.
func ParseGrant(s string) (postgres.ClaimGrant, error) {
	role, scope, _ := strings.Cut(strings.TrimSpace(s), "@")
	g := postgres.ClaimGrant{Role: identity.Role(role), Source: identity.SourceClaim}
	switch g.Role.ScopeKind() {
	case "nco":
		if scope != "" {
			return g, fmt.Errorf("%q: NCO roles take no scope", s)
		}
	case "ministry":
		if !regexp.MustCompile(`^[A-Z][A-Z0-9]{1,15}$`).MatchString(scope) {
			return g, fmt.Errorf("%q: ministry roles need @MINISTRY", s)
		}
		g.MinistryCode = scope
	case "operator":
		n, err := register.ParseCorporateNumber(scope)
		if err != nil {
			return g, fmt.Errorf("%q: operator roles need @<法人番号>: %w", s, err)
		}
		g.CorporateNumber = n
	default:
		return g, fmt.Errorf("%q: unknown role", s)
	}
	return g, nil
}

// grantsFromClaims maps a user's claims to grants under p's configuration.
func (p *ProviderConfig) grantsFromClaims(claims map[string]any) []postgres.ClaimGrant {
	var out []postgres.ClaimGrant
	for _, group := range stringsOf(claims[p.GroupsClaim]) {
		if spec, ok := p.GroupGrants[group]; ok {
			if g, err := ParseGrant(spec); err == nil {
				out = append(out, g)
			}
		}
	}
	if p.CorporateNumberClaim != "" {
		if s, ok := claims[p.CorporateNumberClaim].(string); ok {
			if n, err := register.ParseCorporateNumber(s); err == nil {
				out = append(out, postgres.ClaimGrant{Role: identity.RoleOperatorStaff, CorporateNumber: n, Source: identity.SourceCorporateNumber})
			}
		}
	}
	return out
}

// stringsOf reads a claim that is a string or a list of strings.
func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}
