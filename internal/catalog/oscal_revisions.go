package catalog

import (
	"encoding/hex"
	"sort"
	"strconv"
	"strings"

	"github.com/kijun-portal/kijun/internal/oscal"
)

// Names of the revision-history props (docs/catalog-governance.md).
const (
	propReason       = "revision-reason" // value: the ref; remarks: the 改定理由
	propDecidedBy    = "decided-by"
	propDecisionRef  = "decision-reference"
	propDecidedOn    = "decided-on"
	propEffectiveOn  = "effective-on"
	propPublicSHA256 = "sha256"
)

// oneLine makes a text an OSCAL string: one line, no surrounding spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// sortedRefs are the refs of reasons in order.
func sortedRefs(reasons map[string]string) []string {
	refs := make([]string, 0, len(reasons))
	for ref, reason := range reasons {
		if strings.TrimSpace(reason) != "" && oscal.IsString(ref) {
			refs = append(refs, ref)
		}
	}
	sort.Strings(refs)
	return refs
}

// exportRevisions is the catalog's revision history: one entry for this
// version, with its decision (who decided, the reference, the decision
// date and the 施行日) and a prop per revised control whose remarks are
// its 改定理由. A version without decision or reasons has none.
func exportRevisions(c *Catalog) []oscal.Revision {
	if c.Decision == nil && len(sortedRefs(c.Reasons)) == 0 {
		return nil
	}
	r := oscal.Revision{Version: c.Version, OSCALVersion: oscal.Version, Title: oneLine(c.Title.Ja + " " + c.Version)}
	if d := c.Decision; d != nil {
		if s := oneLine(d.DecidedBy); s != "" {
			r.Props = append(r.Props, kprop(propDecidedBy, s))
		}
		if s := oneLine(d.Reference); s != "" {
			r.Props = append(r.Props, kprop(propDecisionRef, s))
		}
		if !d.DecidedOn.IsZero() {
			r.Props = append(r.Props, kprop(propDecidedOn, DateJST(d.DecidedOn).Format("2006-01-02")))
		}
		if !d.EffectiveOn.IsZero() {
			r.Props = append(r.Props, kprop(propEffectiveOn, DateJST(d.EffectiveOn).Format("2006-01-02")))
			r.Published = oscal.FormatTime(DateJST(d.EffectiveOn))
		}
		r.Remarks = d.Note
	}
	if c.PublishedAt != nil {
		r.LastModified = oscal.FormatTime(*c.PublishedAt)
	}
	for _, ref := range sortedRefs(c.Reasons) {
		p := kprop(propReason, ref)
		p.Remarks = c.Reasons[ref]
		r.Props = append(r.Props, p)
	}
	return []oscal.Revision{r}
}

// exportBackMatter cites the public-comment results attached to the
// version: the document's name, its summary and its SHA-256 (the bytes
// stay in the portal).
func exportBackMatter(c *Catalog) *oscal.BackMatter {
	if len(c.PublicComments) == 0 {
		return nil
	}
	bm := &oscal.BackMatter{}
	for i, pc := range c.PublicComments {
		res := oscal.Resource{
			UUID:        oscal.UUID("catalog/" + c.Code + "/" + c.Version + "/public-comment/" + strconv.Itoa(i)),
			Title:       pc.FileName,
			Description: pc.Summary,
			Props:       []oscal.Property{kprop("resource-type", "public-comment")},
		}
		if len(pc.SHA256) > 0 {
			res.Props = append(res.Props, kprop(propPublicSHA256, hex.EncodeToString(pc.SHA256)))
		}
		bm.Resources = append(bm.Resources, res)
	}
	return bm
}

// importReasons reads the 改定理由 of the revision entry of version (or,
// when none names it, of the last entry) back into a map by ref.
func importReasons(revs []oscal.Revision, version string) map[string]string {
	var pick *oscal.Revision
	for i := range revs {
		if revs[i].Version == version {
			pick = &revs[i]
		}
	}
	if pick == nil && len(revs) > 0 {
		pick = &revs[len(revs)-1]
	}
	if pick == nil {
		return nil
	}
	reasons := map[string]string{}
	for _, p := range pick.Props {
		if p.Name == propReason && p.NS == oscal.Namespace && strings.TrimSpace(p.Remarks) != "" {
			reasons[p.Value] = p.Remarks
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	return reasons
}
