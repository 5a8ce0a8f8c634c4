package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clusterwright/clusterwright/cmd/cwctl/internal/client"
)

// loginReply is the reply of POST /auth/token.
type loginReply struct {
	Token     string     `json:"token"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Subject   string     `json:"subject"`
	Email     string     `json:"email"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func loginCommand(s *session) *cobra.Command {
	var noBrowser bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "login",
		Short: "sign in through the server's single sign-on and keep a personal token in the config file",
		Long: "Opens the server's sign-in page in a browser (or prints its URL), waits on a loopback port of this\n" +
			"machine for the server to send it back, and exchanges the one-time code it gets for a personal token,\n" +
			"which it keeps with the URL in $" + envConfig + " (default ~/.config/clusterwright/cwctl.json, mode 0600).\n" +
			"Later commands use them unless --url/--token or $" + envURL + "/$" + envToken + " say otherwise.",
		Example: "  cwctl login --url https://cw.example.com\n  cwctl login --no-browser   # print the URL to open",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s.ran = true
			return runLogin(cmd.Context(), s, noBrowser, timeout)
		},
	}
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "print the sign-in URL instead of opening a browser")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the sign-in")
	return cmd
}

// randomURLString is 256 random bits, URL-safe.
func randomURLString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func runLogin(ctx context.Context, s *session, noBrowser bool, timeout time.Duration) error {
	base := s.globals.url
	if base == "" {
		base = s.getenv(envURL)
	}
	if base == "" {
		if cf, err := readConfig(s.getenv); err == nil {
			base = cf.URL
		}
	}
	if strings.TrimSpace(base) == "" {
		return usageErrorf("missing the API URL: set --url or $%s", envURL)
	}
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	api, err := client.NewUnauthenticated(base)
	if err != nil {
		return usageErrorf("%s", err.Error())
	}
	if caFile := firstNonEmpty(s.globals.caFile, s.getenv(envCAFile)); caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return usageErrorf("ca-file: %s", err.Error())
		}
		if err := api.TrustCA(pem); err != nil {
			return usageErrorf("ca-file %s: %s", caFile, err.Error())
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen on a loopback port for the sign-in: %w", err)
	}
	state, verifier := randomURLString(), randomURLString()
	sum := sha256.Sum256([]byte(verifier))
	redirect := "http://" + ln.Addr().String() + "/callback"
	codes := make(chan string, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: loopbackHandler(state, codes)}
	go srv.Serve(ln)
	defer srv.Close()

	signIn := base + "/auth/login?" + url.Values{"cli_redirect": {redirect}, "cli_state": {state},
		"cli_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}}.Encode()
	fmt.Fprintf(s.stderr, "Sign in at:\n  %s\n", signIn)
	if !noBrowser {
		if err := openBrowser(signIn); err != nil {
			fmt.Fprintf(s.stderr, "(no browser opened: %v; open the URL yourself)\n", err)
		}
	}
	fmt.Fprintln(s.stderr, "Waiting for the sign-in…")

	var code string
	select {
	case code = <-codes:
	case <-time.After(timeout):
		return fmt.Errorf("no sign-in within %s", timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
	body, _ := json.Marshal(map[string]string{"code": code, "code_verifier": verifier})
	resp, err := api.Do(ctx, "POST", "/auth/token", nil, body)
	if err != nil {
		return err
	}
	var got loginReply
	if err := json.Unmarshal(resp.Body, &got); err != nil || got.Token == "" {
		return errors.New("the server's reply to the code exchange carries no token")
	}
	path, err := writeConfig(s.getenv, configFile{URL: base, Token: got.Token, TokenName: got.Name, Subject: got.Subject,
		Email: got.Email, ExpiresAt: got.ExpiresAt})
	if err != nil {
		return err
	}
	who := firstNonEmpty(got.Email, got.Subject)
	until := ""
	if got.ExpiresAt != nil {
		until = " until " + got.ExpiresAt.Local().Format(time.RFC3339)
	}
	fmt.Fprintf(s.stdout, "signed in as %s (%s)%s; token %s kept in %s\n", who, got.Role, until, got.Name, path)
	return nil
}

// loopbackHandler takes the server's redirect after the sign-in: it checks the state
// and hands the code on, once.
func loopbackHandler(state string, codes chan<- string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if r.URL.Path != "/callback" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 || q.Get("code") == "" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, "<!doctype html><title>cwctl login</title><p>This is not the sign-in cwctl is waiting for.</p>")
			return
		}
		select {
		case codes <- q.Get("code"):
			fmt.Fprint(w, "<!doctype html><title>cwctl login</title><p>Signed in. You can close this tab and return to the terminal.</p>")
		default:
			fmt.Fprintf(w, "<!doctype html><title>cwctl login</title><p>%s</p>", html.EscapeString("cwctl has its sign-in already."))
		}
	})
}

// openBrowser opens url in the person's browser.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
