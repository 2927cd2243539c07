// Package baseline embeds Kijun's draft baseline control catalog for the
// 重要インフラ統一基準 (第3部), in Japanese and English, in kijun-catalog/v1 YAML.
//
// The catalog is the project's own draft, to be replaced by the items of the
// 安全基準等策定ガイドライン once the National Cybersecurity Office publishes
// them; its title and note say so, and a test keeps the content honest.
package baseline

import _ "embed"

// DraftYAML is the draft baseline catalog (code kijun-baseline, version
// 2026.1-draft) as kijun-catalog/v1 YAML, for the catalog importer and seeding.
//
//go:embed draft.yaml
var DraftYAML []byte
