package devenv

import (
	"github.com/clusterwright/clusterwright/api"
	"github.com/clusterwright/clusterwright/sim"
)

// devFaults offers the simulator's fault registry to the API's /dev/faults endpoints, so
// that faults can be added and cleared while dev runs.
type devFaults struct {
	faults *sim.Faults
}

var _ api.DevFaults = devFaults{}

// List returns the rules, the faults fired and the kinds of rule.
func (d devFaults) List() api.DevFaultList {
	list := api.DevFaultList{Faults: []string{}, Fired: []string{}, Kinds: sim.FaultKinds()}
	for _, f := range d.faults.Rules() {
		list.Faults = append(list.Faults, f.String())
	}
	for _, f := range d.faults.Fired() {
		list.Fired = append(list.Fired, f.String())
	}
	return list
}

// Add parses spec as --sim-fault does and adds the rule.
func (d devFaults) Add(spec string) (string, error) {
	f, err := sim.ParseFault(spec)
	if err != nil {
		return "", err
	}
	if err := d.faults.Add(f); err != nil {
		return "", err
	}
	return f.String(), nil
}

// Clear removes every rule; the calls counted and the faults fired are kept.
func (d devFaults) Clear() { d.faults.Clear() }
