package catalog

import (
	"strings"
	"unicode"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Op says what happened to a Segment of a changed text.
type Op int8

const (
	Same     Op = 0
	Inserted Op = 1
	Deleted  Op = -1
)

// Segment is one run of a word-level diff: text kept, inserted or deleted.
type Segment struct {
	Op   Op
	Text string
}

// WordDiff compares two texts word by word and returns the segments of
// both, in order: the old text is the Same and Deleted segments, the new
// text the Same and Inserted ones. Japanese has no spaces, so a "word" is
// a run of characters of one script (kanji, hiragana, katakana, Latin
// letters and digits, spaces); each other character (punctuation,
// symbols) stands alone. The words are diffed with Myers' algorithm
// (github.com/sergi/go-diff), each word mapped to one rune.
func WordDiff(old, new string) []Segment {
	ids := map[string]rune{}
	var words []string
	encode := func(s string) []rune {
		ws := splitWords(s)
		out := make([]rune, len(ws))
		for i, w := range ws {
			id, ok := ids[w]
			if !ok {
				// Private-use and supplementary planes give room for every
				// word of texts the size controls have (5,000 characters).
				id = rune(0xF0000 + len(words))
				ids[w] = id
				words = append(words, w)
			}
			out[i] = id
		}
		return out
	}
	a, b := encode(old), encode(new)
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // exact: texts are short
	var segs []Segment
	for _, d := range dmp.DiffMainRunes(a, b, false) {
		var text strings.Builder
		for _, r := range d.Text {
			text.WriteString(words[r-0xF0000])
		}
		segs = append(segs, Segment{Op: opOf(d.Type), Text: text.String()})
	}
	return refine(dmp, segs)
}

// refine looks inside a replaced word: when a deleted word and the word
// inserted in its place share at least half of the shorter one (「取得」 →
// 「毎日取得」, a kanji compound that grew), the pair is diffed character
// by character; otherwise the whole words stay marked. Latin words are
// never split.
func refine(dmp *diffmatchpatch.DiffMatchPatch, segs []Segment) []Segment {
	out := make([]Segment, 0, len(segs))
	for i := 0; i < len(segs); i++ {
		if i+1 == len(segs) || segs[i].Op != Deleted || segs[i+1].Op != Inserted {
			out = append(out, segs[i])
			continue
		}
		del, ins := segs[i].Text, segs[i+1].Text
		if !allCJK(del) || !allCJK(ins) { // Latin words are whole words
			out = append(out, segs[i], segs[i+1])
			i++
			continue
		}
		ds := dmp.DiffMain(del, ins, false)
		common := 0
		for _, d := range ds {
			if d.Type == diffmatchpatch.DiffEqual {
				common += len([]rune(d.Text))
			}
		}
		if 2*common < min(len([]rune(del)), len([]rune(ins))) || common == 0 {
			out = append(out, segs[i], segs[i+1])
		} else {
			for _, d := range ds {
				out = append(out, Segment{Op: opOf(d.Type), Text: d.Text})
			}
		}
		i++
	}
	return out
}

// splitWords cuts s into runs of one script; characters of no script in
// the list are a word each.
func splitWords(s string) []string {
	var out []string
	start, prev := 0, -1
	for i, r := range s {
		c := scriptOf(r)
		if i > 0 && (c != prev || c == 0) {
			out = append(out, s[start:i])
			start = i
		}
		prev = c
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// scriptOf classes a character for splitWords; 0 means "alone".
func scriptOf(r rune) int {
	switch {
	case unicode.Is(unicode.Han, r) || r == '々' || r == '〆':
		return 1
	case unicode.Is(unicode.Hiragana, r):
		return 2
	case unicode.Is(unicode.Katakana, r) || r == 'ー':
		return 3
	case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_':
		return 4
	case unicode.IsSpace(r):
		return 5
	}
	return 0
}

func opOf(t diffmatchpatch.Operation) Op {
	switch t {
	case diffmatchpatch.DiffInsert:
		return Inserted
	case diffmatchpatch.DiffDelete:
		return Deleted
	}
	return Same
}

// allCJK reports whether s has no Latin letters, digits or spaces.
func allCJK(s string) bool {
	for _, r := range s {
		if c := scriptOf(r); c == 4 || c == 5 {
			return false
		}
	}
	return true
}
