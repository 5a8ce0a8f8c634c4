package api

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/clusterwright/clusterwright/domain"
)

// DevFaults is the simulator's fault registry, which `clusterwright dev` lets an admin
// change while it runs (GET, POST and DELETE /dev/faults) to make a step fail on purpose,
// watch the operation wait, clear the fault and retry. Only dev mode sets one
// (Config.DevFaults); without it the /dev/ endpoints do not exist.
type DevFaults interface {
	// List returns the rules, the calls they made fail and the kinds of rule there are.
	List() DevFaultList
	// Add parses spec, in the syntax of `clusterwright dev --sim-fault` (KIND:N or
	// KIND:vm=NAME[,times=T]), adds the rule and returns it in canonical form. Its error
	// says what is wrong with spec and is shown to the client.
	Add(spec string) (string, error)
	// Clear removes every rule.
	Clear()
}

// DevFaultList is the reply to GET /dev/faults.
type DevFaultList struct {
	// Faults are the rules in force, in the --sim-fault syntax.
	Faults []string `json:"faults"`
	// Fired describes each call a rule made fail, oldest first.
	Fired []string `json:"fired"`
	// Kinds are the kinds of call a rule can make fail.
	Kinds []string `json:"kinds"`
}

// DevFault is one rule: the body of POST /dev/faults and its reply.
type DevFault struct {
	Fault string `json:"fault"`
}

// devRoutes are the endpoints of dev mode, served only when a DevFaults is configured.
func (a *API) devRoutes() []route {
	if a.devFaults == nil {
		return nil
	}
	return []route{
		{"GET", "/dev/faults", domain.RoleAdmin, "", a.listDevFaults},
		{"POST", "/dev/faults", domain.RoleAdmin, "dev.faults.add", a.addDevFault},
		{"DELETE", "/dev/faults", domain.RoleAdmin, "dev.faults.clear", a.clearDevFaults},
	}
}

func (a *API) listDevFaults(w http.ResponseWriter, r *http.Request) {
	list := a.devFaults.List()
	for _, l := range []*[]string{&list.Faults, &list.Fired, &list.Kinds} {
		if *l == nil {
			*l = []string{}
		}
	}
	writeJSON(w, http.StatusOK, list)
}

func (a *API) addDevFault(w http.ResponseWriter, r *http.Request) {
	var in DevFault
	if !a.decode(w, r, &in) {
		return
	}
	if strings.TrimSpace(in.Fault) == "" {
		a.invalid(w, r, domain.FieldError{Field: "fault", Message: "is required: KIND:N or KIND:vm=NAME[,times=T]"})
		return
	}
	canonical, err := a.devFaults.Add(in.Fault)
	if err != nil {
		addAuditDetail(r.Context(), "fault", truncate(in.Fault, 200))
		a.invalid(w, r, domain.FieldError{Field: "fault", Message: err.Error()})
		return
	}
	addAuditDetail(r.Context(), "fault", canonical)
	writeJSON(w, http.StatusCreated, DevFault{Fault: canonical})
}

func (a *API) clearDevFaults(w http.ResponseWriter, r *http.Request) {
	a.devFaults.Clear()
	w.WriteHeader(http.StatusNoContent)
}

// truncate shortens s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
