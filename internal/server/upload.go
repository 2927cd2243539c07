package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// fileRoutes are the routes that take files: their handlers parse the
// multipart form themselves, within their own limits (readUpload,
// handleSectionSave), and check its values with checkForm. On every other
// route authorize parses a multipart form and checks it before the
// handler runs.
var fileRoutes = map[string]bool{
	"POST /operators/import":                    true,
	"POST /catalogs/import":                     true,
	"POST /catalogs/{id}/public-comments":       true,
	"POST /plans/{id}/profile/import":           true,
	"POST /assessments/{id}/import":             true,
	"POST /assessments/{id}/sections/{section}": true,
}

// maxFormBytes bounds a multipart form on a route that takes no files, as
// net/http bounds a URL-encoded one.
const maxFormBytes = 10 << 20

// upload is a file sent with a form, read whole.
type upload struct {
	Name   string
	Data   []byte
	SHA256 string // hex
}

// parseMultipart parses a form whose files total at most limit bytes (plus
// 1 MB for the other fields), keeping up to inMemory bytes of files in
// memory and the rest in temporary files. The caller defers the returned
// clean-up, so no path leaves a file behind: the server's own clean-up
// misses a form parsed on a request that middleware has copied.
func parseMultipart(w http.ResponseWriter, r *http.Request, limit, inMemory int64) (func(), error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20)
	err := r.ParseMultipartForm(inMemory)
	form := r.MultipartForm
	return func() {
		if form != nil {
			_ = form.RemoveAll()
		}
	}, err
}

// readUpload reads the file in field, refusing more than limit bytes
// before reading them all; the file is kept in memory, never on disk. The
// errors are for the page: missingID when no file (or an empty one) was
// sent, exchange.file.too_large when it is over the limit. Every import
// reads its file here.
func readUpload(w http.ResponseWriter, r *http.Request, field string, limit int64, missingID string) (upload, error) {
	tooLarge := kijun.Errorf(kijun.EInvalid, "exchange.file.too_large",
		map[string]any{"Max": strconv.FormatInt(limit>>20, 10) + " MB"})
	cleanup, err := parseMultipart(w, r, limit, limit+1<<20)
	defer cleanup()
	if err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			return upload{}, tooLarge
		}
		return upload{}, kijun.Errorf(kijun.EInvalid, missingID, nil)
	}
	f, hdr, err := r.FormFile(field)
	if err != nil {
		return upload{}, kijun.Errorf(kijun.EInvalid, missingID, nil)
	}
	defer f.Close()
	if err := checkForm(r); err != nil {
		return upload{}, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	switch {
	case err != nil || len(data) == 0:
		return upload{}, kijun.Errorf(kijun.EInvalid, missingID, nil)
	case int64(len(data)) > limit:
		return upload{}, tooLarge
	}
	sum := sha256.Sum256(data)
	return upload{Name: hdr.Filename, Data: data, SHA256: hex.EncodeToString(sum[:])}, nil
}

// sendUpload sends a file someone uploaded (evidence, an incident report's
// attachment, public-comment results) as an attachment with the type
// sniffed at upload, never stored by a cache and never rendered by a
// browser as a page of the portal.
func sendUpload(w http.ResponseWriter, contentType, fileName string, data []byte) error {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(fileName))
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	_, err := w.Write(data)
	return err
}
