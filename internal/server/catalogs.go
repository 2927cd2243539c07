package server

// catalogRoutes registers the baseline catalog pages: browse, search,
// author, diff, import and export.
func (s *Server) catalogRoutes(h routeFunc) {}
