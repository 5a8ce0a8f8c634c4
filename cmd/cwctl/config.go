package main

import (
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
)

// Environment variables of the configuration; `clusterwright dev` writes both to its env file.
const (
	envURL    = "CLUSTERWRIGHT_URL"
	envToken  = "CLUSTERWRIGHT_TOKEN"
	envCAFile = "CLUSTERWRIGHT_CA_FILE"
	// envProject is the project to work in, as --project.
	envProject = "CLUSTERWRIGHT_PROJECT"
)

// globals are the settings every command takes: where the API is, the token, and the
// project to work in.
type globals struct {
	url, token, caFile, project string
}

// bind adds --url and --token to fs (the root command's persistent flags, so they may
// come before or after the command). Neither shows a default, so help never prints the
// token.
func (g *globals) bind(fs *pflag.FlagSet) {
	fs.StringVar(&g.url, "url", "", "API base URL, e.g. http://127.0.0.1:8080 (default $"+envURL+")")
	fs.StringVar(&g.token, "token", "", "API token (default $"+envToken+")")
	fs.StringVar(&g.project, "project", "", "project to work in: lists show only its objects, and clusters and tokens are created in it (default $"+envProject+")")
	fs.StringVar(&g.caFile, "ca-file", "", "PEM CA certificate(s) to trust for an https URL, besides the system's (default $"+envCAFile+")")
}

// connect resolves the settings (a flag wins over its environment variable) into a client.
func (g globals) connect(getenv func(string) string) (*client.Client, error) {
	url, token := g.url, g.token
	if url == "" {
		url = getenv(envURL)
	}
	if token == "" {
		token = getenv(envToken)
	}
	if url == "" || token == "" {
		// `cwctl login` keeps a URL and a personal token; its token goes to its URL only.
		if cf, err := readConfig(getenv); err == nil && cf.URL != "" {
			if url == "" {
				url = cf.URL
			}
			if token == "" && sameURL(url, cf.URL) {
				token = cf.Token
			}
		}
	}
	var missing []string
	if strings.TrimSpace(url) == "" {
		missing = append(missing, "the API URL: set --url or $"+envURL)
	}
	if strings.TrimSpace(token) == "" {
		missing = append(missing, "an API token: set --token or $"+envToken+", or run `cwctl login`")
	}
	if len(missing) > 0 {
		return nil, usageErrorf("missing %s (`clusterwright dev` writes both to its env file; `clusterwright token create` makes a token)",
			strings.Join(missing, " and "))
	}
	c, err := client.New(url, token)
	if err != nil {
		return nil, usageErrorf("%s", err.Error())
	}
	project := g.project
	if project == "" {
		project = getenv(envProject)
	}
	c.SetProject(strings.TrimSpace(project))
	caFile := g.caFile
	if caFile == "" {
		caFile = getenv(envCAFile)
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, usageErrorf("ca-file: %s", err.Error())
		}
		if err := c.TrustCA(pem); err != nil {
			return nil, usageErrorf("ca-file %s: %s", caFile, err.Error())
		}
	}
	return c, nil
}
