//go:build dev

package deploy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kijun-portal/kijun/internal/auth"
	"github.com/kijun-portal/kijun/internal/demo"
)

// TestComposeTrial checks that the compose trial hangs together: the realm
// defines every group the providers file maps, the client uses PKCE S256
// and puts groups in the tokens, every role has a demo user, the providers
// file loads as the portal loads it, and the mapping matches the one the
// development provider uses (demo.DevProvider), so the trial and `make dev`
// give the same roles.
func TestComposeTrial(t *testing.T) {
	t.Setenv("KIJUN_OIDC_CLIENT_SECRET", "test")
	ps, err := auth.LoadProviders("compose/providers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].ClientID != "kijun-portal" {
		t.Fatalf("providers: %+v", ps)
	}
	p := ps[0]
	dev := demo.DevProvider("http://x")
	if fmt.Sprint(p.GroupGrants) != fmt.Sprint(dev.GroupGrants) {
		t.Errorf("compose group_grants differ from the development provider's:\n%v\n%v", p.GroupGrants, dev.GroupGrants)
	}

	var realm struct {
		Realm  string
		Groups []struct{ Name string }
		Users  []struct {
			Username   string
			Groups     []string
			Attributes map[string][]string
		}
		Clients []struct {
			ClientID        string
			PublicClient    bool
			Secret          string
			RedirectURIs    []string `json:"redirectUris"`
			Attributes      map[string]string
			ProtocolMappers []struct {
				ProtocolMapper string
				Config         map[string]string
			}
		}
	}
	b, err := os.ReadFile("compose/keycloak/kijun-realm.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &realm); err != nil {
		t.Fatal(err)
	}
	groups := map[string]bool{}
	for _, g := range realm.Groups {
		groups[g.Name] = true
	}
	for g := range p.GroupGrants {
		if !groups[g] {
			t.Errorf("providers.yaml maps group %s, which the realm does not define", g)
		}
	}
	covered := map[string]bool{}
	for _, u := range realm.Users {
		for _, g := range u.Groups {
			name := strings.TrimPrefix(g, "/")
			if !groups[name] {
				t.Errorf("user %s is in undefined group %s", u.Username, g)
			}
			covered[name] = true
		}
		if cn := u.Attributes["corporate_number"]; len(cn) == 1 && !slices.ContainsFunc(demo.Operators, func(o demo.Operator) bool { return o.CorporateNumber == cn[0] }) {
			t.Errorf("user %s has corporate number %s of no demo operator", u.Username, cn[0])
		}
	}
	for g := range groups {
		if !covered[g] {
			t.Errorf("no demo user in group %s", g)
		}
	}
	if len(realm.Clients) != 1 {
		t.Fatalf("realm has %d clients", len(realm.Clients))
	}
	c := realm.Clients[0]
	if c.ClientID != p.ClientID || c.PublicClient || c.Attributes["pkce.code.challenge.method"] != "S256" {
		t.Errorf("client %s: public %v, PKCE %q", c.ClientID, c.PublicClient, c.Attributes["pkce.code.challenge.method"])
	}
	if !strings.HasPrefix(c.Secret, "${") {
		t.Error("the realm commits a client secret; use an environment placeholder")
	}
	if !slices.Contains(c.RedirectURIs, "${KIJUN_BASE_URL}/auth/callback/"+p.ID) {
		t.Errorf("redirect URIs %v do not include the portal's callback for provider %s", c.RedirectURIs, p.ID)
	}
	var groupsMapper bool
	for _, m := range c.ProtocolMappers {
		if m.ProtocolMapper == "oidc-group-membership-mapper" && m.Config["claim.name"] == p.GroupsClaim &&
			m.Config["id.token.claim"] == "true" && m.Config["full.path"] == "false" {
			groupsMapper = true
		}
	}
	if !groupsMapper {
		t.Error("no groups mapper putting plain group names into the ID token")
	}

	var compose struct {
		Services map[string]struct {
			Image       string
			Command     []string
			Environment map[string]string
			ReadOnly    bool `yaml:"read_only"`
		}
	}
	b, err = os.ReadFile("compose/docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"postgres", "keycloak", "mailpit", "migrate", "kijun"} {
		if _, ok := compose.Services[s]; !ok {
			t.Errorf("compose has no %s service", s)
		}
	}
	for name, s := range compose.Services {
		if s.Image != "" && (!strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest")) {
			t.Errorf("compose service %s: image %q is not pinned", name, s.Image)
		}
	}
	k := compose.Services["kijun"]
	if !k.ReadOnly || !strings.Contains(k.Environment["APP_DATABASE_URL"], "kijun_app") {
		t.Errorf("compose kijun service: read_only %v, env %v", k.ReadOnly, k.Environment)
	}
	if e := k.Environment; e["SMTP_HOST"] != "mailpit" || e["SMTP_PORT"] != "1025" || e["SMTP_TLS"] != "none" || e["MAIL_FROM"] == "" {
		t.Errorf("compose kijun service does not send its mail to Mailpit: %v", e)
	}
	if fmt.Sprint(compose.Services["migrate"].Command) != "[migrate up]" {
		t.Errorf("migrate service runs %v", compose.Services["migrate"].Command)
	}
}
