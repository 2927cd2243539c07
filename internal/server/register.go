package server

// registerRoutes registers the operator register's pages beyond the list
// and the record: editing, withdrawal, systems and contacts, corrections,
// import and export.
func (s *Server) registerRoutes(h routeFunc) {}
