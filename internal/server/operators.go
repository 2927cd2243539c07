package server

import (
	"net/http"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/operators"
)

// pathlessID parses a positive id from a query value.
func pathlessID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

func (s *Server) handleOperatorIndex(w http.ResponseWriter, r *http.Request) error {
	var v operators.IndexView
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		var err error
		v.Operators, err = postgres.ListOperators(r.Context(), tx, r.URL.Query().Get("sector"))
		return err
	})
	if err != nil {
		return err
	}
	sectors, err := postgres.ListSectors(r.Context(), s.db)
	if err != nil {
		return err
	}
	v.Sectors = map[string]kijun.Text{}
	for _, sc := range sectors {
		v.Sectors[sc.Code] = sc.Name
	}
	return s.render(w, r, http.StatusOK, operators.Index(v))
}

// handleOperatorShow shows one operator. Another tenant's operator is
// "not found": RLS hides the row, and the policy is asked again with it.
func (s *Server) handleOperatorShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var o kijun.Operator
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		o, err = postgres.GetOperator(r.Context(), tx, id)
		return err
	})
	if err != nil {
		return err
	}
	if !authz.Can(p, authz.ViewOperator, authz.Resource{SectorCode: o.SectorCode, OperatorID: o.ID}) {
		return errNotFound
	}
	sector, err := postgres.GetSector(r.Context(), s.db, o.SectorCode)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, operators.Show(operators.ShowView{Operator: o, Sector: sector}))
}
