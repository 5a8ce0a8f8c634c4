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
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var page struct {
			Items []struct {
				Name string `json:"name"`
			} `json:"items"`
		}
		if len(args) > 0 || !s.completionList(cmd.Context(), path, nil, &page) {
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

// completionList reads the first page of the list at path into page; false when that
// fails, for whatever reason (completion has nowhere to report it).
func (s *session) completionList(ctx context.Context, path string, q url.Values, page any) bool {
	api, err := s.globals.connect(s.getenv)
	if err != nil {
		return false
	}
	s.api = api
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	if q == nil {
		q = url.Values{}
	}
	q.Set("limit", strconv.Itoa(completionLimit))
	_, err = getJSON(ctx, s, path, q, page)
	return err == nil
}
