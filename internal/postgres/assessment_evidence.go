package postgres

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Evidence files and review comments of an assessment.

const (
	msgEvidenceEmpty    = "assessment.evidence.empty"
	msgEvidenceTooLarge = "assessment.evidence.too_large"
	msgEvidenceType     = "assessment.evidence.type_refused"
	msgEvidenceName     = "assessment.evidence.name"
	msgCommentEmpty     = "assessment.comment.empty"
	msgCommentTooLong   = "assessment.comment.too_long"
	msgCommentParent    = "assessment.comment.parent"
)

// DefaultEvidenceLimit is the upload limit the server uses unless
// configured otherwise.
const DefaultEvidenceLimit = 10 << 20

// Evidence types accepted, by file extension: the sniffed type must match
// the extension's, so a program renamed .pdf is refused.
var evidenceTypes = map[string]struct {
	sniffed string // what http.DetectContentType says, before any ";"
	stored  string // the content type stored and served
	zipDir  string // for Office files: the part directory the zip must hold
}{
	".pdf":  {"application/pdf", "application/pdf", ""},
	".png":  {"image/png", "image/png", ""},
	".jpg":  {"image/jpeg", "image/jpeg", ""},
	".jpeg": {"image/jpeg", "image/jpeg", ""},
	".txt":  {"text/plain", "text/plain; charset=utf-8", ""},
	".csv":  {"text/plain", "text/csv; charset=utf-8", ""},
	".xlsx": {"application/zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xl/"},
	".docx": {"application/zip", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "word/"},
}

// SniffEvidence returns the content type to store for a file, or "" when
// its name and content are not an accepted, matching pair.
func SniffEvidence(name string, data []byte) string {
	want, ok := evidenceTypes[strings.ToLower(path.Ext(name))]
	if !ok || len(data) == 0 {
		return ""
	}
	sniffed, _, _ := strings.Cut(http.DetectContentType(data), ";")
	if strings.TrimSpace(sniffed) != want.sniffed {
		return ""
	}
	if want.zipDir != "" && !isOfficeZip(data, want.zipDir) {
		return ""
	}
	return want.stored
}

// isOfficeZip reports whether data is an Office Open XML package with a
// part under dir (xl/ or word/). Only the central directory is read.
func isOfficeZip(data []byte, dir string) bool {
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return false
	}
	var types, part bool
	for _, f := range z.File {
		types = types || f.Name == "[Content_Types].xml"
		part = part || strings.HasPrefix(f.Name, dir)
	}
	return types && part
}

// cleanFileName keeps the last element of an uploaded name, as browsers
// on Windows may send a whole path.
func cleanFileName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimSpace(name)
}

const evidenceColumns = `id, assessment_id, ref, operator_id, sector_code, file_name, content_type, size, sha256,
	coalesce(uploaded_by, 0), uploaded_by_name, uploaded_at`

func scanEvidence(r pgx.CollectableRow) (assessment.Evidence, error) {
	var e assessment.Evidence
	err := r.Scan(&e.ID, &e.AssessmentID, &e.Ref, &e.OperatorID, &e.SectorCode, &e.FileName, &e.ContentType, &e.Size,
		&e.SHA256, &e.UploadedBy, &e.UploadedByName, &e.UploadedAt)
	return e, err
}

// AddEvidence stores a file as evidence for control ref of an editable
// assessment: at most maxSize bytes (DefaultEvidenceLimit if 0), of an
// accepted type whose content matches its name (SniffEvidence), with its
// SHA-256.
func AddEvidence(ctx context.Context, tx pgx.Tx, p *identity.Principal, assessmentID int64, ref, fileName string, data []byte, maxSize int64, requestID string) (assessment.Evidence, error) {
	if maxSize <= 0 {
		maxSize = DefaultEvidenceLimit
	}
	maxSize = min(maxSize, assessment.MaxEvidenceCeiling)
	fileName = cleanFileName(fileName)
	if fileName == "" || utf8.RuneCountInString(fileName) > assessment.MaxEvidenceName || !utf8.ValidString(fileName) {
		return assessment.Evidence{}, kijun.Errorf(kijun.EInvalid, msgEvidenceName, map[string]any{"Max": assessment.MaxEvidenceName})
	}
	if len(data) == 0 {
		return assessment.Evidence{}, kijun.Errorf(kijun.EInvalid, msgEvidenceEmpty, map[string]any{"Name": fileName})
	}
	if int64(len(data)) > maxSize {
		return assessment.Evidence{}, kijun.Errorf(kijun.EInvalid, msgEvidenceTooLarge,
			map[string]any{"Name": fileName, "Size": len(data), "MaxMB": float64(maxSize) / (1 << 20)})
	}
	ct := SniffEvidence(fileName, data)
	if ct == "" {
		return assessment.Evidence{}, kijun.Errorf(kijun.EInvalid, msgEvidenceType, map[string]any{"Name": fileName})
	}
	h, err := lockEditable(ctx, tx, p, assessmentID, requestID, nil)
	if err != nil {
		return assessment.Evidence{}, err
	}
	sum := sha256.Sum256(data)
	rows, _ := tx.Query(ctx, `INSERT INTO evidence (assessment_id, ref, operator_id, sector_code, file_name, content_type,
			size, sha256, bytes, uploaded_by, uploaded_by_name)
		SELECT c.assessment_id, c.ref, c.operator_id, c.sector_code, $3, $4, $5, $6, $7, $8, $9
		FROM assessment_controls c WHERE c.assessment_id = $1 AND c.ref = $2
		RETURNING `+evidenceColumns, assessmentID, ref, fileName, ct, len(data), sum[:], data, nullInt(p.UserID), p.Name)
	e, err := pgx.CollectExactlyOneRow(rows, scanEvidence)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, kijun.ErrNotFound
	}
	if err != nil {
		return e, asmErr(err)
	}
	return e, Audit(ctx, tx, h.event(p, requestID, "assessment.evidence.add", "evidence", ref), nil, e)
}

// GetEvidence returns a file the principal may see (RLS: the operator,
// the ministry overseeing its sector, the NCO) with its bytes; any other
// gets ENotFound.
func GetEvidence(ctx context.Context, tx pgx.Tx, id int64) (assessment.Evidence, []byte, error) {
	var data []byte
	var e assessment.Evidence
	err := tx.QueryRow(ctx, `SELECT `+evidenceColumns+`, bytes FROM evidence WHERE id = $1`, id).Scan(
		&e.ID, &e.AssessmentID, &e.Ref, &e.OperatorID, &e.SectorCode, &e.FileName, &e.ContentType, &e.Size,
		&e.SHA256, &e.UploadedBy, &e.UploadedByName, &e.UploadedAt, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, nil, kijun.ErrNotFound
	}
	return e, data, err
}

// ListEvidence lists the files of an assessment ("" ref: of every
// control), newest last, without their bytes.
func ListEvidence(ctx context.Context, tx pgx.Tx, assessmentID int64, ref string) ([]assessment.Evidence, error) {
	var list []assessment.Evidence
	b := &pgx.Batch{}
	queueEvidence(b, &list, assessmentID, ref)
	return list, tx.SendBatch(ctx, b).Close()
}

func queueEvidence(b *pgx.Batch, list *[]assessment.Evidence, assessmentID int64, ref string) {
	b.Queue(`SELECT `+evidenceColumns+` FROM evidence
		WHERE assessment_id = $1 AND ($2 = '' OR ref = $2) ORDER BY ref, id`, assessmentID, ref).Query(func(rows pgx.Rows) (err error) {
		*list, err = pgx.CollectRows(rows, scanEvidence)
		return err
	})
}

// AddComment adds a review comment on control ref ("" for the whole
// assessment), or a reply to parentID (the reply joins its parent's
// thread). The operator, the ministry overseeing the sector and the NCO
// may comment, in any status.
func AddComment(ctx context.Context, tx pgx.Tx, p *identity.Principal, assessmentID int64, ref string, parentID int64, body, requestID string) (assessment.ReviewComment, error) {
	h, err := readHead(ctx, tx, assessmentID, "")
	if err != nil {
		return assessment.ReviewComment{}, err
	}
	return addComment(ctx, tx, p, h, ref, parentID, body, requestID)
}

func addComment(ctx context.Context, tx pgx.Tx, p *identity.Principal, h asmHead, ref string, parentID int64, body, requestID string) (assessment.ReviewComment, error) {
	var c assessment.ReviewComment
	body = strings.TrimSpace(body)
	if body == "" {
		return c, kijun.Errorf(kijun.EInvalid, msgCommentEmpty, nil)
	}
	if utf8.RuneCountInString(body) > assessment.MaxCommentLen {
		return c, kijun.Errorf(kijun.EInvalid, msgCommentTooLong, map[string]any{"Max": assessment.MaxCommentLen})
	}
	if id := kijun.TextProblem(body); id != "" {
		return c, kijun.Errorf(kijun.EInvalid, id, nil)
	}
	var side assessment.CommentSide
	switch {
	case p.InOperator(h.OperatorID):
		side = assessment.SideOperator
	case p.OverseesSector(h.SectorCode):
		side = assessment.SideMinistry
	case p.SignedIn() && p.NCO:
		side = assessment.SideNCO
	default:
		return c, errAsmForbidden
	}
	if parentID != 0 {
		var parentRef *string
		err := tx.QueryRow(ctx, `SELECT ref FROM review_comments WHERE id = $1 AND assessment_id = $2`, parentID, h.ID).Scan(&parentRef)
		if errors.Is(err, pgx.ErrNoRows) {
			return c, kijun.Errorf(kijun.EInvalid, msgCommentParent, nil)
		}
		if err != nil {
			return c, err
		}
		ref = ""
		if parentRef != nil {
			ref = *parentRef
		}
	}
	if ref != "" {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM assessment_controls WHERE assessment_id = $1 AND ref = $2)`,
			h.ID, ref).Scan(&ok); err != nil {
			return c, err
		}
		if !ok {
			return c, kijun.ErrNotFound
		}
	}
	rows, _ := tx.Query(ctx, `INSERT INTO review_comments (assessment_id, ref, parent_id, operator_id, sector_code,
			author_id, author_name, author_side, body)
		VALUES ($1, nullif($2, ''), nullif($3, 0), $4, $5, $6, $7, $8, $9) RETURNING `+commentColumns,
		h.ID, ref, parentID, h.OperatorID, h.SectorCode, p.UserID, p.Name, string(side), body)
	c, err := pgx.CollectExactlyOneRow(rows, scanComment)
	if err != nil {
		return c, asmErr(err)
	}
	return c, Audit(ctx, tx, h.event(p, requestID, "assessment.comment.add", "comment", ref), nil, c)
}

const commentColumns = `id, assessment_id, coalesce(ref, ''), coalesce(parent_id, 0), author_id, author_name, author_side, body, created_at`

func scanComment(r pgx.CollectableRow) (assessment.ReviewComment, error) {
	var c assessment.ReviewComment
	err := r.Scan(&c.ID, &c.AssessmentID, &c.Ref, &c.ParentID, &c.AuthorID, &c.AuthorName, &c.Side, &c.Body, &c.CreatedAt)
	return c, err
}

// ListComments returns the comments of an assessment, of one control when
// ref is not "", oldest first (a reply always comes after its parent).
func ListComments(ctx context.Context, tx pgx.Tx, assessmentID int64, ref string) ([]assessment.ReviewComment, error) {
	var list []assessment.ReviewComment
	b := &pgx.Batch{}
	queueComments(b, &list, assessmentID, ref)
	return list, tx.SendBatch(ctx, b).Close()
}

func queueComments(b *pgx.Batch, list *[]assessment.ReviewComment, assessmentID int64, ref string) {
	b.Queue(`SELECT `+commentColumns+` FROM review_comments
		WHERE assessment_id = $1 AND ($2 = '' OR ref = $2) ORDER BY id`, assessmentID, ref).Query(func(rows pgx.Rows) (err error) {
		*list, err = pgx.CollectRows(rows, scanComment)
		return err
	})
}
