package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/web/layout"
	"github.com/kijun-portal/kijun/web/pages"
)

// render writes a page with the request's chrome.
func render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	ctx := layout.WithChrome(r.Context(), layout.Chrome{Path: r.URL.RequestURI()})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	return c.Render(ctx, w)
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	var n int
	if err := s.db.QueryRow(r.Context(), `SELECT count(*) FROM sectors`).Scan(&n); err != nil {
		return err
	}
	return render(w, r, http.StatusOK, pages.Home(pages.HomeView{SectorCount: n}))
}

// handleLanguage stores the language choice in a cookie for a year and
// returns to the page the user was on.
func (s *Server) handleLanguage(w http.ResponseWriter, r *http.Request) error {
	lang := kijun.ParseLang(r.PostFormValue("lang"))
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: string(lang), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}

// localPath returns p when it is a path on this site, else "/", so that a
// crafted form cannot redirect users elsewhere.
func localPath(p string) string {
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, "\\") {
		return "/"
	}
	return u.RequestURI()
}
