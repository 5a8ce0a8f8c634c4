package api

import (
	"net/http"
	"strconv"

	"github.com/clusterwright/clusterwright/domain"
)

// abandonOperation ends an operation whose workflow is gone, closed or stuck: Failed,
// "abandoned by" the caller, its target freed. One whose workflow still runs normally
// is 409 (cancel it instead) unless ?force=true, which terminates the workflow without
// compensation.
func (a *API) abandonOperation(w http.ResponseWriter, r *http.Request) {
	op := operationOf(r)
	force := false
	if s := r.URL.Query().Get("force"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			var v domain.ValidationError
			v.Add("force", "must be true or false")
			a.fail(w, r, v.Err())
			return
		}
		force = b
	}
	addAuditDetail(r.Context(), "force", force)
	done, err := a.ops.Abandon(r.Context(), op, actorName(r.Context()), force)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	addAuditDetail(r.Context(), "reason", done.Error)
	writeJSON(w, http.StatusOK, OperationReply{Operation: done})
}
