// Package auth signs users in through OpenID Connect providers (go-oidc,
// authorization code flow with PKCE, state and nonce), maps their claims to
// Kijun roles, and keeps server-side sessions.
package auth

import (
	"fmt"
	"os"
	"regexp"
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
	// Development marks the built-in development provider.
	Development bool `yaml:"-"`
}

var providerID = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// LoadProviders reads a YAML list of providers.
func LoadProviders(path string) ([]ProviderConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ps []ProviderConfig
	if err := yaml.Unmarshal(data, &ps); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range ps {
		if err := ps[i].check(); err != nil {
			return nil, fmt.Errorf("%s: provider %d: %w", path, i+1, err)
		}
	}
	return ps, nil
}

func (p *ProviderConfig) check() error {
	if !providerID.MatchString(p.ID) {
		return fmt.Errorf("id %q must be lower-case letters, digits and hyphens", p.ID)
	}
	if p.Issuer == "" || p.ClientID == "" {
		return fmt.Errorf("%s: issuer and client_id are required", p.ID)
	}
	if p.ClientSecretEnv != "" {
		p.ClientSecret = os.Getenv(p.ClientSecretEnv)
		if p.ClientSecret == "" {
			return fmt.Errorf("%s: environment variable %s (client secret) is empty", p.ID, p.ClientSecretEnv)
		}
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
			return fmt.Errorf("%s: group_grants[%q]: %w", p.ID, group, err)
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
