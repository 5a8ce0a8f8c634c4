package main

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
	"github.com/clusterwright/clusterwright/domain"
)

// Shell completion asks the API for names; it must answer quickly or not at all.
const (
	completionTimeout = 5 * time.Second
	completionLimit   = 100
)

// completeNames completes a command's one argument with the names listed at path
// (clusters, vCenters, pools). Without settings or an API, it offers nothing.
func (s *session) completeNames(path string) cobra.CompletionFunc {
	names := s.completeFlagNames(path)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return names(cmd, args, toComplete)
	}
}

// completeFlagNames completes a flag's value with the names listed at path, whatever
// the arguments before it.
func (s *session) completeFlagNames(path string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var page struct {
			Items []struct {
				Name string `json:"name"`
			} `json:"items"`
		}
		if !s.completionList(cmd.Context(), path, nil, &page) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []cobra.Completion
		for _, it := range page.Items {
			names = append(names, it.Name)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeOperations completes an operation id, described by kind, target and state;
// only operations in state when it is not "".
func (s *session) completeOperations(state string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		q := url.Values{}
		if state != "" {
			q.Set("state", state)
		}
		var page struct {
			Items []domain.Operation `json:"items"`
		}
		if len(args) > 0 || !s.completionList(cmd.Context(), client.Path("operations"), q, &page) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var ids []cobra.Completion
		for _, op := range page.Items {
			ids = append(ids, cobra.CompletionWithDesc(op.ID, op.Kind+" "+op.Target.Name+" "+op.State))
		}
		return ids, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeSetMembers completes `clustersets leave NAME CLUSTER`: a set's name, then the
// set's members that may leave (all but the leader).
func (s *session) completeSetMembers() cobra.CompletionFunc {
	setNames := s.completeNames(client.Path("clustersets"))
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return setNames(cmd, args, toComplete)
		}
		var set domain.ClusterSet
		if len(args) > 1 || !s.completionGet(cmd.Context(), client.Path("clustersets", args[0]), nil, &set) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var members []cobra.Completion
		for _, m := range set.Members {
			if !m.Leader {
				members = append(members, m.Cluster)
			}
		}
		return members, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeNodes completes a node of the cluster that *cluster names (a flag given
// before); nothing while it names none.
func (s *session) completeNodes(cluster *string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var c domain.Cluster
		if *cluster == "" || !s.completionGet(cmd.Context(), client.Path("clusters", *cluster), nil, &c) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var nodes []cobra.Completion
		for _, n := range c.Nodes {
			nodes = append(nodes, cobra.CompletionWithDesc(n.Name, n.Role))
		}
		return nodes, cobra.ShellCompDirectiveNoFileComp
	}
}

// completionList reads the first page of the list at path into page; false when that
// fails, for whatever reason (completion has nowhere to report it).
func (s *session) completionList(ctx context.Context, path string, q url.Values, page any) bool {
	if q == nil {
		q = url.Values{}
	}
	q.Set("limit", strconv.Itoa(completionLimit))
	return s.completionGet(ctx, path, q, page)
}

// completionGet reads what path holds into v, briefly; false when that fails.
func (s *session) completionGet(ctx context.Context, path string, q url.Values, v any) bool {
	api, err := s.globals.connect(s.getenv)
	if err != nil {
		return false
	}
	s.api = api
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	_, err = getJSON(ctx, s, path, q, v)
	return err == nil
}
