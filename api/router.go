package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/clusterwright/clusterwright/domain"
)

// route is one endpoint of /api/v1: who may call it and, for mutating calls, the audit
// action it is recorded under. The table drives the router, the auth tests and the
// contract test.
type route struct {
	method  string
	pattern string
	role    domain.Role
	action  string // audit action; set on every mutating route
	handler http.HandlerFunc
}

// routes lists every authenticated endpoint; the dev endpoints only in dev mode.
func (a *API) routes() []route {
	return append([]route{
		{"GET", "/api/v1/whoami", domain.RoleViewer, "", a.whoami},
		{"POST", "/api/v1/tokens", domain.RoleAdmin, "token.create", a.createToken},
		{"GET", "/api/v1/tokens", domain.RoleAdmin, "", a.listTokens},
		{"DELETE", "/api/v1/tokens/{name}", domain.RoleAdmin, "token.revoke", a.revokeToken},

		{"POST", "/api/v1/vcenters", domain.RoleAdmin, "vcenter.create", a.createVCenter},
		{"GET", "/api/v1/vcenters", domain.RoleViewer, "", a.listVCenters},
		{"GET", "/api/v1/vcenters/{name}", domain.RoleViewer, "", a.withVCenter(a.getVCenter)},
		{"PATCH", "/api/v1/vcenters/{name}", domain.RoleAdmin, "vcenter.update", a.withVCenter(a.updateVCenter)},
		{"POST", "/api/v1/vcenters/{name}/sync", domain.RoleOperator, "vcenter.sync", a.withVCenter(a.syncVCenter)},
		{"GET", "/api/v1/vcenters/{name}/inventory", domain.RoleViewer, "", a.withVCenter(a.getInventory)},

		{"POST", "/api/v1/ippools", domain.RoleAdmin, "ippool.create", a.createIPPool},
		{"GET", "/api/v1/ippools", domain.RoleViewer, "", a.listIPPools},
		{"GET", "/api/v1/ippools/{name}", domain.RoleViewer, "", a.getIPPool},

		{"POST", "/api/v1/projects", domain.RoleAdmin, "project.create", a.createProject},
		{"GET", "/api/v1/projects", domain.RoleViewer, "", a.listProjects},
		{"GET", "/api/v1/projects/{name}", domain.RoleViewer, "", a.getProject},
		{"PATCH", "/api/v1/projects/{name}", domain.RoleAdmin, "project.update", a.patchProject},
		{"DELETE", "/api/v1/projects/{name}", domain.RoleAdmin, "project.delete", a.deleteProject},

		{"GET", "/api/v1/kubernetes-versions", domain.RoleViewer, "", a.listKubernetesVersions},

		{"GET", "/api/v1/clusters", domain.RoleViewer, "", a.listClusters},
		{"POST", "/api/v1/clusters", domain.RoleOperator, "cluster.create", a.createCluster},
		{"GET", "/api/v1/clusters/{name}", domain.RoleViewer, "", a.withCluster(a.getCluster)},
		{"DELETE", "/api/v1/clusters/{name}", domain.RoleOperator, "cluster.delete", a.withCluster(a.deleteCluster)},
		{"GET", "/api/v1/clusters/{name}/kubeconfig", domain.RoleViewer, "cluster.kubeconfig", a.withCluster(a.getKubeconfig)},
		{"GET", "/api/v1/clusters/{name}/certificates", domain.RoleViewer, "", a.withCluster(a.listCertificates)},
		{"POST", "/api/v1/clusters/{name}/certificates/check", domain.RoleOperator, "cluster.certificate-check", a.withCluster(a.checkCertificates)},
		{"POST", "/api/v1/clusters/{name}/certificates/renew", domain.RoleOperator, "cluster.certificate-renewal", a.withCluster(a.renewCertificates)},
		{"GET", "/api/v1/clusters/{name}/backups", domain.RoleViewer, "", a.withCluster(a.listBackups)},
		{"POST", "/api/v1/clusters/{name}/backups", domain.RoleOperator, "cluster.backup", a.withCluster(a.createBackup)},
		{"GET", "/api/v1/clusters/{name}/backups/{id}", domain.RoleViewer, "", a.withCluster(a.getBackup)},
		{"POST", "/api/v1/clusters/{name}/backups/{id}/restore", domain.RoleAdmin, "cluster.restore", a.withCluster(a.restoreBackup)},
		{"POST", "/api/v1/clusters/{name}/upgrade", domain.RoleOperator, domain.OpUpgradeCluster, a.withCluster(a.upgradeCluster)},
		{"POST", "/api/v1/clusters/{name}/scale", domain.RoleOperator, domain.OpScaleCluster, a.withCluster(a.scaleCluster)},
		{"POST", "/api/v1/clusters/{name}/nodes/{node}/replace", domain.RoleOperator, domain.OpReplaceNode, a.withCluster(a.replaceNode)},

		{"GET", "/api/v1/clustersets", domain.RoleViewer, "", a.listClusterSets},
		{"POST", "/api/v1/clustersets", domain.RoleOperator, "clusterset.create", a.createClusterSet},
		{"GET", "/api/v1/clustersets/{name}", domain.RoleViewer, "", a.withClusterSet(a.getClusterSet)},
		{"DELETE", "/api/v1/clustersets/{name}", domain.RoleOperator, "clusterset.disband", a.withClusterSet(a.disbandClusterSet)},
		{"POST", "/api/v1/clustersets/{name}/members", domain.RoleOperator, "clusterset.join", a.withClusterSet(a.joinClusterSet)},
		{"DELETE", "/api/v1/clustersets/{name}/members/{cluster}", domain.RoleOperator, "clusterset.leave", a.withClusterSet(a.leaveClusterSet)},

		{"GET", "/api/v1/schedules", domain.RoleViewer, "", a.listSchedules},
		{"POST", "/api/v1/schedules", domain.RoleOperator, "schedule.create", a.createSchedule},
		{"GET", "/api/v1/schedules/{id}", domain.RoleViewer, "", a.getSchedule},
		{"DELETE", "/api/v1/schedules/{id}", domain.RoleOperator, "schedule.delete", a.deleteSchedule},
		{"POST", "/api/v1/schedules/{id}/pause", domain.RoleOperator, "schedule.pause", a.pauseSchedule},
		{"POST", "/api/v1/schedules/{id}/unpause", domain.RoleOperator, "schedule.unpause", a.unpauseSchedule},
		{"POST", "/api/v1/schedules/{id}/trigger", domain.RoleOperator, "schedule.trigger", a.triggerSchedule},

		{"GET", "/api/v1/operations", domain.RoleViewer, "", a.listOperations},
		{"GET", "/api/v1/operations/{id}", domain.RoleViewer, "", a.withOperation(a.getOperation)},
		{"GET", "/api/v1/operations/{id}/events", domain.RoleViewer, "", a.withOperation(a.operationEvents)},
		{"POST", "/api/v1/operations/{id}/retry", domain.RoleOperator, "operation.retry", a.withOperation(a.retryOperation)},
		{"POST", "/api/v1/operations/{id}/cancel", domain.RoleOperator, "operation.cancel", a.withOperation(a.cancelOperation)},
		{"POST", "/api/v1/operations/{id}/abandon", domain.RoleAdmin, "operation.abandon", a.withOperation(a.abandonOperation)},

		{"GET", "/api/v1/audit", domain.RoleViewer, "", a.listAudit},
	}, a.devRoutes()...)
}

// publicRoutes are served without a token.
func (a *API) publicRoutes() []route {
	return append([]route{
		{"GET", "/healthz", "", "", a.healthz},
		{"GET", "/readyz", "", "", a.readyz},
		{"GET", "/metrics", "", "", promhttp.HandlerFor(a.metrics.Registry, promhttp.HandlerOpts{}).ServeHTTP},
		{"GET", "/api/openapi.yaml", "", "", serveOpenAPI},
	}, a.authRoutes()...)
}

// Handler returns the HTTP handler of the whole API (and the portal, when configured).
func (a *API) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(withRequestID, securityHeaders, a.observe)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		a.writeProblem(w, r, Problem{Status: http.StatusNotFound, Detail: "no such endpoint"})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		a.writeProblem(w, r, Problem{Status: http.StatusMethodNotAllowed, Detail: "method not allowed on this endpoint"})
	})
	for _, rt := range a.publicRoutes() {
		r.Method(rt.method, rt.pattern, rt.handler)
	}
	r.Group(func(r chi.Router) {
		r.Use(a.authenticate)
		for _, rt := range a.routes() {
			r.With(a.authorize(rt), a.limits(rt)).Method(rt.method, rt.pattern, rt.handler)
		}
	})
	if a.portal != nil {
		r.Handle("/", a.portal)
		r.Handle("/portal/*", a.portal)
	}
	return r
}

// RouteInfo describes one authenticated endpoint, for tests and documentation.
type RouteInfo struct {
	Method  string
	Pattern string
	Role    domain.Role
	Action  string // audit action; empty for reads
}

// Routes lists every authenticated endpoint with the role it needs.
func (a *API) Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range a.routes() {
		out = append(out, RouteInfo{Method: rt.method, Pattern: rt.pattern, Role: rt.role, Action: rt.action})
	}
	return out
}
