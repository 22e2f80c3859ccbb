package web

import "muster/internal/auth"

// routeTable is every route muster serves, one line each, with the
// permission it needs (see internal/auth's table). Nothing is served that
// is not listed here; TestRoutesAgainstPermissionTable walks this list for
// every role.
func (s *Server) routeTable() []route {
	return []route{
		{"GET /login", auth.Public, s.loginForm},
		{"POST /login", auth.Public, s.login},
		{"GET /static/{file}", auth.Public, s.static},
		{"GET /healthz", auth.Public, s.healthz},
		{"POST /logout", auth.SignedIn, s.logout},
		{"GET /{$}", auth.SignedIn, s.home},
		{"GET /dashboard", auth.ViewDashboard, s.dashboard},
		{"GET /api/status", auth.ViewDashboard, s.apiStatus},
		{"GET /export/counts.csv", auth.ExportCounts, s.exportCounts},
		{"GET /search", auth.Search, s.search},
		{"GET /person/{id}", auth.ViewPerson, s.person},
		{"POST /person/{id}/stage", auth.SetStage, s.personStage},
		{"GET /case/{id}", auth.ViewCase, s.caseDetail},
		{"POST /case/{id}/stage", auth.SetStage, s.caseStage},
		{"GET /callforward", auth.ViewCallForward, s.callForward},
		{"GET /import", auth.Import, s.importForm},
		{"POST /import", auth.Import, s.importUpload},
		{"GET /api/gate/bundle", auth.GateDevice, s.gateAPI},
		{"POST /api/gate/sync", auth.GateDevice, s.gateAPI},
		{"GET /screening", auth.ScreenDecide, s.screeningQueue},
		{"GET /screening/hit/{id}", auth.ScreenDecide, s.hitPage},
		{"POST /screening/hit/{id}", auth.ScreenDecide, s.hitDecide},
		{"GET /api/screen", auth.ScreenDecide, s.apiScreen},
		{"GET /review", auth.ReviewDecide, s.reviewQueue},
		{"GET /review/pair/{id}", auth.ReviewDecide, s.pairPage},
		{"POST /review/pair/{id}", auth.ReviewDecide, s.pairDecide},
		{"POST /review/undo/{seq}", auth.ReviewDecide, s.reviewUndo},
		{"GET /admin/users", auth.ManageUsers, s.users},
		{"POST /admin/users/{id}", auth.ManageUsers, s.userAction},
		{"GET /admin/purge", auth.Purge, s.purgeForm},
		{"POST /admin/purge", auth.Purge, s.purge},
	}
}
