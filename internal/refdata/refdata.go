// Package refdata owns Kijun's copy of the reference facts of the
// 重要インフラ統一基準 (reference.yaml) and loads them into the database.
package refdata

import (
	_ "embed"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kijun-portal/kijun/internal/kijun"
)

//go:embed reference.yaml
var referenceYAML []byte

// Data is the parsed reference file.
type Data struct {
	Coordinator struct {
		Code string `yaml:"code"`
		Ja   string `yaml:"ja"`
		En   string `yaml:"en"`
	} `yaml:"coordinator"`
	Ministries []struct {
		Code    string   `yaml:"code"`
		Ja      string   `yaml:"ja"`
		En      string   `yaml:"en"`
		Sectors []string `yaml:"sectors"`
	} `yaml:"ministries"`
	Sectors []struct {
		Code   string `yaml:"code"`
		Ja     string `yaml:"ja"`
		En     string `yaml:"en"`
		Scopes []struct {
			Ja     string `yaml:"ja"`
			En     string `yaml:"en"`
			Origin string `yaml:"origin"`
			CoreJa string `yaml:"core_ja"`
		} `yaml:"scopes"`
		ExampleOperators []kijun.Text `yaml:"example_operators"`
		ExampleSystems   []kijun.Text `yaml:"example_systems"`
	} `yaml:"sectors"`
	CEPTOARAsOf string `yaml:"ceptoar_as_of"`
	CEPTOARs    []struct {
		Sector       string `yaml:"sector"`
		Scope        string `yaml:"scope"`
		Name         string `yaml:"name"`
		Secretariat  string `yaml:"secretariat"`
		Members      string `yaml:"members"`
		SharedBeyond string `yaml:"shared_beyond"`
	} `yaml:"ceptoars"`
	Sections []struct {
		Code string `yaml:"code"`
		Ja   string `yaml:"ja"`
		En   string `yaml:"en"`
	} `yaml:"baseline_sections"`
	Themes []struct {
		Code string `yaml:"code"`
		Ja   string `yaml:"ja"`
		En   string `yaml:"en"`
	} `yaml:"themes"`
}

// Load parses the embedded reference file and checks that every sector a
// ministry or CEPTOAR names exists.
func Load() (*Data, error) {
	var d Data
	if err := yaml.Unmarshal(referenceYAML, &d); err != nil {
		return nil, fmt.Errorf("reference.yaml: %w", err)
	}
	sectors := map[string]bool{}
	for _, s := range d.Sectors {
		sectors[s.Code] = true
		for _, sc := range s.Scopes {
			switch kijun.ScopeOrigin(sc.Origin) {
			case kijun.OriginCI, kijun.OriginCore, kijun.OriginBoth:
			default:
				return nil, fmt.Errorf("reference.yaml: sector %s scope %s: bad origin %q", s.Code, sc.Ja, sc.Origin)
			}
		}
	}
	for _, m := range d.Ministries {
		for _, s := range m.Sectors {
			if !sectors[s] {
				return nil, fmt.Errorf("reference.yaml: ministry %s oversees unknown sector %q", m.Code, s)
			}
		}
	}
	for _, c := range d.CEPTOARs {
		if !sectors[c.Sector] {
			return nil, fmt.Errorf("reference.yaml: CEPTOAR %s in unknown sector %q", c.Name, c.Sector)
		}
	}
	if _, err := time.Parse(time.DateOnly, d.CEPTOARAsOf); err != nil {
		return nil, fmt.Errorf("reference.yaml: ceptoar_as_of: %w", err)
	}
	return &d, nil
}

// Fingerprint identifies this version of the reference data (test
// templates are rebuilt when it changes).
func Fingerprint() []byte { return referenceYAML }
