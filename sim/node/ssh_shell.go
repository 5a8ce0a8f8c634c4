package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"
)

// shell runs the command lines of one SSH exec request the way bash on an
// Ubuntu node would: words split and quoted like bash's, commands joined
// with ;, && and ||, a leading sudo (the SSH user has passwordless sudo)
// and VAR=value prefixes. Pipes, redirections and expansions are not
// supported and fail as a syntax error.
type shell struct {
	node  *Node
	run   *run
	ctx   context.Context
	admin *sync.Mutex // held while a command changes services or packages

	stdin          io.Reader
	stdout, stderr io.Writer
	env            map[string]string

	// first is the name of the first command run, for the log.
	first string
}

// command is one simple command of a line.
type command struct {
	name string
	args []string
	// root is true under sudo.
	root bool
	env  map[string]string
}

// listItem is a simple command and the operator that joins it to the
// previous one ("", ";", "&&" or "||").
type listItem struct {
	op    string
	words []string
}

// runLine runs a command line and returns its exit status.
func (sh *shell) runLine(line string) int {
	items, err := parseLine(line)
	if err != nil {
		fmt.Fprintf(sh.stderr, "bash: %v\n", err)
		return 2
	}
	if len(items) > 0 && len(items[0].words) > 0 {
		sh.first = commandName(items[0].words)
	}
	if f := sh.node.cfg.SSHExecFault; f != nil && f() {
		// The ssh.exec fault: the command fails once, as it would on a
		// node whose API server, etcd or disk hiccups.
		sh.node.log.Warn("fault ssh.exec: the command fails", "command", sh.first)
		fmt.Fprint(sh.stderr, faultMessage(sh.node, items))
		return 1
	}
	return sh.runList(items)
}

// runList runs parsed items with bash's && and || short-circuits.
func (sh *shell) runList(items []listItem) int {
	status := 0
	for _, it := range items {
		if (it.op == "&&" && status != 0) || (it.op == "||" && status == 0) {
			continue
		}
		if sh.ctx.Err() != nil {
			return 255 // the connection is gone
		}
		status = sh.runWords(it.words, false, nil)
	}
	return status
}

// commandName is the command a list item runs, past sudo and assignments.
func commandName(words []string) string {
	for _, w := range words {
		if w == "sudo" || strings.HasPrefix(w, "-") || isAssignment(w) {
			continue
		}
		return path.Base(w)
	}
	return ""
}

// runWords runs one simple command: assignments, sudo, then the command.
func (sh *shell) runWords(words []string, root bool, env map[string]string) int {
	env = cloneEnv(env)
	for len(words) > 0 && isAssignment(words[0]) {
		k, v, _ := strings.Cut(words[0], "=")
		env[k] = v
		words = words[1:]
	}
	if len(words) == 0 {
		return 0
	}
	if words[0] == "sudo" {
		words = words[1:]
		for len(words) > 0 && strings.HasPrefix(words[0], "-") {
			switch words[0] {
			case "-n", "-E", "-H", "-S", "--non-interactive", "--preserve-env":
				words = words[1:]
			case "--":
				words = words[1:]
				goto done
			default:
				fmt.Fprintf(sh.stderr, "sudo: option %s is not supported by the simulated node\n", words[0])
				return 1
			}
		}
	done:
		if len(words) == 0 {
			fmt.Fprintln(sh.stderr, "usage: sudo -h | -K | -k | -V\nusage: sudo [-n] [-E] [-H] [--] command [arg ...]")
			return 1
		}
		return sh.runWords(words, true, env)
	}
	name := path.Base(words[0]) // /usr/bin/kubeadm runs kubeadm
	cmd := command{name: name, args: words[1:], root: root, env: env}
	if name == "bash" || name == "sh" {
		return sh.subshell(cmd)
	}
	run, ok := commands[name]
	if !ok {
		if root {
			fmt.Fprintf(sh.stderr, "sudo: %s: command not found\n", words[0])
			return 1
		}
		fmt.Fprintf(sh.stderr, "bash: %s: command not found\n", words[0])
		return 127
	}
	if serialized[name] {
		sh.admin.Lock()
		defer sh.admin.Unlock()
	}
	return run(sh, cmd)
}

// serialized are the commands that run one at a time on a node.
var serialized = map[string]bool{"kubeadm": true, "systemctl": true, "apt-get": true, "apt-mark": true, "etcdutl": true}

// subshell runs `bash -c 'LINE'`.
func (sh *shell) subshell(cmd command) int {
	if len(cmd.args) < 2 || (cmd.args[0] != "-c" && cmd.args[0] != "-ec" && cmd.args[0] != "-ce") {
		fmt.Fprintf(sh.stderr, "%s: only `%s -c COMMAND` is supported on the simulated node\n", cmd.name, cmd.name)
		return 2
	}
	items, err := parseLine(cmd.args[1])
	if err != nil {
		fmt.Fprintf(sh.stderr, "%s: -c: %v\n", cmd.name, err)
		return 2
	}
	status := 0
	for _, it := range items {
		if (it.op == "&&" && status != 0) || (it.op == "||" && status == 0) {
			continue
		}
		status = sh.runWords(it.words, cmd.root, cmd.env)
		if status != 0 && strings.Contains(cmd.args[0], "e") && it.op != "||" {
			return status // set -e
		}
	}
	return status
}

// commands are the programs the simulated node has, by name.
var commands map[string]func(sh *shell, cmd command) int

func init() {
	commands = map[string]func(sh *shell, cmd command) int{
		"cat":        (*shell).cat,
		"tee":        (*shell).tee,
		"ls":         (*shell).ls,
		"mkdir":      (*shell).mkdir,
		"rm":         (*shell).rm,
		"mv":         (*shell).mv,
		"cp":         (*shell).cp,
		"sha256sum":  (*shell).sha256sum,
		"tar":        (*shell).tar,
		"test":       (*shell).test,
		"[":          (*shell).test,
		"echo":       (*shell).echo,
		"true":       func(*shell, command) int { return 0 },
		"false":      func(*shell, command) int { return 1 },
		"hostname":   (*shell).hostname,
		"whoami":     (*shell).whoami,
		"kubeadm":    (*shell).kubeadm,
		"kubelet":    (*shell).kubelet,
		"etcdctl":    (*shell).etcdctl,
		"etcdutl":    (*shell).etcdutl,
		"apt-get":    (*shell).aptGet,
		"apt-mark":   (*shell).aptMark,
		"dpkg-query": (*shell).dpkgQuery,
		"systemctl":  (*shell).systemctl,
		"crictl":     (*shell).crictl,
	}
}

func (sh *shell) echo(cmd command) int {
	args, newline := cmd.args, true
	if len(args) > 0 && args[0] == "-n" {
		args, newline = args[1:], false
	}
	fmt.Fprint(sh.stdout, strings.Join(args, " "))
	if newline {
		fmt.Fprintln(sh.stdout)
	}
	return 0
}

func (sh *shell) hostname(command) int {
	fmt.Fprintln(sh.stdout, sh.node.spec.Hostname)
	return 0
}

func (sh *shell) whoami(cmd command) int {
	fmt.Fprintln(sh.stdout, sh.user(cmd))
	return 0
}

// user is who runs cmd.
func (sh *shell) user(cmd command) string {
	if cmd.root {
		return "root"
	}
	return sh.node.spec.SSHUser
}

// home is the SSH user's home directory, where relative paths start.
func (sh *shell) home() string { return "/home/" + sh.node.spec.SSHUser }

// abs makes p an absolute, clean path on the node.
func (sh *shell) abs(p string) string {
	if !path.IsAbs(p) {
		p = path.Join(sh.home(), p)
	}
	return path.Clean(p)
}

// errSyntax is wrapped by errors of parseLine.
var errSyntax = errors.New("syntax error")

// parseLine splits a command line into simple commands and their
// operators, with bash's quoting: '...' literal, "..." with \" \\ \$ \`
// escapes, a backslash outside quotes escapes the next character.
func parseLine(line string) ([]listItem, error) {
	var (
		items   []listItem
		words   []string
		word    strings.Builder
		inWord  bool
		pending = ""
	)
	endWord := func() {
		if inWord {
			words = append(words, word.String())
			word.Reset()
			inWord = false
		}
	}
	endCommand := func(op string) error {
		endWord()
		if len(words) == 0 {
			if op == "" && pending == "" {
				return nil
			}
			tok := op
			if tok == "" {
				tok = "newline"
			}
			return fmt.Errorf("%w near unexpected token `%s'", errSyntax, tok)
		}
		items = append(items, listItem{op: pending, words: words})
		words, pending = nil, op
		return nil
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\'':
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("%w: unexpected EOF while looking for matching `''", errSyntax)
			}
			word.WriteString(string(rs[i+1 : j]))
			inWord, i = true, j
		case c == '"':
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				if rs[j] == '\\' && j+1 < len(rs) && strings.ContainsRune("\"\\$`", rs[j+1]) {
					j++
				} else if rs[j] == '$' || rs[j] == '`' {
					return nil, fmt.Errorf("%w: expansions (%q) are not supported by the simulated node", errSyntax, string(rs[j]))
				}
				word.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("%w: unexpected EOF while looking for matching `\"'", errSyntax)
			}
			inWord, i = true, j
		case c == '\\':
			if i+1 < len(rs) {
				i++
				if rs[i] != '\n' {
					word.WriteRune(rs[i])
					inWord = true
				}
			}
		case c == ' ' || c == '\t' || c == '\n':
			endWord()
		case c == ';':
			if err := endCommand(";"); err != nil {
				return nil, err
			}
		case c == '&' && i+1 < len(rs) && rs[i+1] == '&':
			if err := endCommand("&&"); err != nil {
				return nil, err
			}
			i++
		case c == '|' && i+1 < len(rs) && rs[i+1] == '|':
			if err := endCommand("||"); err != nil {
				return nil, err
			}
			i++
		case strings.ContainsRune("|&<>()`$", c):
			return nil, fmt.Errorf("%w: %q is not supported by the simulated node's shell", errSyntax, string(c))
		default:
			word.WriteRune(c)
			inWord = true
		}
	}
	endWord()
	if len(words) > 0 {
		items = append(items, listItem{op: pending, words: words})
	} else if pending != "" && pending != ";" {
		return nil, fmt.Errorf("%w: unexpected end of file", errSyntax)
	}
	return items, nil
}

// isAssignment reports whether w is a NAME=value prefix.
func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for i, c := range name {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func cloneEnv(env map[string]string) map[string]string {
	out := make(map[string]string, len(env))
	for k, v := range env {
		out[k] = v
	}
	return out
}

// nowStamp is a log time stamp as etcd's zap logger writes it.
func nowStamp() string { return time.Now().Format("2006-01-02T15:04:05.000000Z07:00") }

// faultMessage is what a command made to fail by the ssh.exec fault
// prints: what the real tool prints when its backend does not answer.
func faultMessage(n *Node, items []listItem) string {
	name := ""
	if len(items) > 0 {
		name = commandName(items[0].words)
	}
	api := "https://" + n.IP().String() + ":6443"
	switch name {
	case "etcdctl":
		return `{"level":"warn","ts":"` + nowStamp() + `","logger":"etcd-client","caller":"v3@v3.7.0/retry_interceptor.go:63","msg":"retrying of unary invoker failed","target":"etcd-endpoints://0xc000354000/` + n.IP().String() + `:2379","attempt":0,"error":"rpc error: code = DeadlineExceeded desc = context deadline exceeded"}` +
			"\nError: context deadline exceeded\n"
	case "kubeadm":
		return `unable to fetch the kubeadm-config ConfigMap: failed to get config map: Get "` + api +
			`/api/v1/namespaces/kube-system/configmaps/kubeadm-config?timeout=10s": net/http: TLS handshake timeout` +
			"\nTo see the stack trace of this error execute with --v=5 or higher\n"
	case "apt-get", "apt-mark":
		return "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 2417 (unattended-upgr)\n" +
			"E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n"
	case "systemctl":
		return "Job for kubelet.service failed because a timeout was exceeded.\n" +
			"See \"systemctl status kubelet.service\" and \"journalctl -xeu kubelet.service\" for details.\n"
	case "":
		return "bash: fork: retry: Resource temporarily unavailable\n"
	default:
		return name + ": error while loading shared libraries: libc.so.6: cannot open shared object file: Input/output error\n"
	}
}
