package exchange

import (
	"io"

	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// catalogDiffLabels are the column headers and change kinds of the
// version diff workbook, in both languages.
var catalogDiffLabels = map[string]kijun.Text{
	"ref":     {Ja: "対策項目番号", En: "Control"},
	"change":  {Ja: "変更の種類", En: "Change"},
	"field":   {Ja: "項目", En: "Field"},
	"old":     {Ja: "変更前", En: "Before"},
	"new":     {Ja: "変更後", En: "After"},
	"reason":  {Ja: "改定理由", En: "Reason for revision"},
	"added":   {Ja: "追加", En: "Added"},
	"removed": {Ja: "削除", En: "Removed"},
	"changed": {Ja: "変更", En: "Changed"},
	"catalog": {Ja: "カタログ", En: "Catalog"},
}

func diffLabel(key string, lang kijun.Lang) string { return catalogDiffLabels[key].In(lang) }

// WriteCatalogDiff writes the changes between two versions of a catalog as
// one XLSX sheet: a row per changed field of a changed control (and of the
// catalog's title and note), one per added and removed control, each with
// the control's 改定理由 from reasons (the newer version's).
func WriteCatalogDiff(w io.Writer, lang kijun.Lang, ch catalog.Changes, reasons map[string]string) error {
	cols := []Column{
		{Header: diffLabel("ref", lang), Width: 14},
		{Header: diffLabel("change", lang), Width: 12},
		{Header: diffLabel("field", lang), Width: 18},
		{Header: diffLabel("old", lang), Width: 50},
		{Header: diffLabel("new", lang), Width: 50},
		{Header: diffLabel("reason", lang), Width: 50},
	}
	x, err := NewXLSXWriter(w, diffLabel("changed", lang), cols)
	if err != nil {
		return err
	}
	for _, f := range ch.Catalog {
		if err := x.Write([]string{diffLabel("catalog", lang), diffLabel("changed", lang), f.Field, f.Old, f.New, ""}); err != nil {
			return err
		}
	}
	for _, c := range ch.Added {
		if err := x.Write([]string{c.Ref, diffLabel("added", lang), "", "", c.Title.In(lang) + "\n" + c.Statement.In(lang), reasons[c.Ref]}); err != nil {
			return err
		}
	}
	for _, c := range ch.Changed {
		for _, f := range c.Fields {
			if err := x.Write([]string{c.Ref, diffLabel("changed", lang), f.Field, f.Old, f.New, reasons[c.Ref]}); err != nil {
				return err
			}
		}
	}
	for _, c := range ch.Removed {
		if err := x.Write([]string{c.Ref, diffLabel("removed", lang), "", c.Title.In(lang) + "\n" + c.Statement.In(lang), "", reasons[c.Ref]}); err != nil {
			return err
		}
	}
	return x.Close()
}
