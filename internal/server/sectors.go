package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/kijun-portal/kijun/internal/postgres"
	sectorspage "github.com/kijun-portal/kijun/web/pages/sectors"
)

func (s *Server) handleSectorIndex(w http.ResponseWriter, r *http.Request) error {
	sectors, err := postgres.ListSectors(r.Context(), s.db)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, sectorspage.Index(sectorspage.IndexView{Sectors: sectors}))
}

func (s *Server) handleSectorShow(w http.ResponseWriter, r *http.Request) error {
	sector, err := postgres.GetSector(r.Context(), s.db, chi.URLParam(r, "code"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, sectorspage.Show(sectorspage.ShowView{Sector: sector}))
}
