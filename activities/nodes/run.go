package nodes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"golang.org/x/crypto/ssh"
)

// Command is one command line to run on a node, as bash runs it.
type Command struct {
	// Line is the command line; commands that need root start with sudo.
	Line string
	// Stdin, if set, is the command's standard input. It should end (EOF)
	// when the command is done with it.
	Stdin io.Reader
	// Timeout bounds the command; default the session's (Dialer.CommandTimeout).
	Timeout time.Duration
	// Redact lists further secrets (passwords, tokens passed on the line
	// or printed) to hide in the error and the log.
	Redact []string
}

// Output is what a command printed.
type Output struct {
	// Stdout is the command's standard output, at most MaxStdout bytes.
	Stdout []byte
	// StdoutTruncated is set when the command printed more than MaxStdout.
	StdoutTruncated bool
	// Stderr is the command's standard error, at most OutputTail bytes.
	Stderr []byte
}

// Run runs cmd on the node and returns its output. A non-zero exit
// status, a timeout or a lost connection is a *CommandError with the end
// of the command's output, redacted; the Output returned with it holds
// what the command printed (unredacted: for parsing, not for errors). The parent ctx ending (the activity
// canceled) is returned as ctx's error.
func (s *Session) Run(ctx context.Context, cmd Command) (Output, error) {
	return s.run(ctx, cmd, nil)
}

// Stream runs cmd on the node like Run, but copies its standard output to
// stdout as it comes, without bound, for large output such as a file's
// bytes. The standard output goes to stdout only: never into the error, the
// log or the returned Output (whose Stdout is empty). A stdout that fails a
// write ends the command with an error.
func (s *Session) Stream(ctx context.Context, cmd Command, stdout io.Writer) (Output, error) {
	return s.run(ctx, cmd, stdout)
}

// run runs cmd; its standard output goes to sink when set, else into the
// Output and the error's tail.
func (s *Session) run(ctx context.Context, cmd Command, sink io.Writer) (Output, error) {
	secrets := slices.Concat(s.secrets, cmd.Redact)
	line := Redact(cmd.Line, secrets...)
	timeout := cmd.Timeout
	if timeout <= 0 {
		timeout = s.commandTimeout
	}
	pad := redactPad
	for _, sec := range secrets {
		pad = max(pad, len(sec))
	}
	stdout := &limitedBuffer{max: MaxStdout}
	stderr := &limitedBuffer{max: OutputTail}
	combined := newTail(OutputTail + pad)

	sess, err := s.client.NewSession()
	if err != nil {
		return Output{}, &CommandError{Node: s.node.Node, Address: s.addr, Command: line, ExitStatus: -1,
			Err: fmt.Errorf("open an SSH session: %w", err)}
	}
	defer sess.Close()
	sess.Stdin = cmd.Stdin
	sess.Stdout = io.MultiWriter(stdout, combined)
	if sink != nil {
		sess.Stdout = sink
	}
	sess.Stderr = io.MultiWriter(stderr, combined)

	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	began := time.Now()
	done := make(chan error, 1)
	go func() { done <- sess.Run(cmd.Line) }()
	var runErr error
	select {
	case runErr = <-done:
	case <-runCtx.Done():
		// Ask the node to kill the command, then close the channel, which
		// ends it on servers that ignore signals.
		_ = sess.Signal(ssh.SIGKILL)
		_ = sess.Close()
		<-done
		runErr = runCtx.Err()
	}
	took := time.Since(began).Round(time.Millisecond)

	out := func() Output {
		return Output{Stdout: stdout.buf.Bytes(), StdoutTruncated: stdout.dropped > 0, Stderr: stderr.buf.Bytes()}
	}
	cmdErr := &CommandError{Node: s.node.Node, Address: s.addr, Command: line, ExitStatus: -1, Timeout: timeout}
	var exitErr *ssh.ExitError
	switch {
	case runErr == nil:
		s.log.Info("node command", "command", line, "status", 0, "took", took)
		return out(), nil
	case ctx.Err() != nil:
		s.log.Info("node command canceled", "command", line, "took", took)
		return Output{}, fmt.Errorf("command %q on node %s: %w", line, s.node.Node, ctx.Err())
	case errors.Is(runErr, context.DeadlineExceeded):
		cmdErr.TimedOut = true
	case errors.As(runErr, &exitErr):
		cmdErr.ExitStatus = exitErr.ExitStatus()
	default:
		cmdErr.Err = runErr
	}
	cmdErr.Output, cmdErr.OutputBytes, cmdErr.outputCut = combined.boundedTail(OutputTail, pad, secrets)
	s.log.Warn("node command failed", "command", line, "status", cmdErr.ExitStatus, "timed_out", cmdErr.TimedOut, "took", took)
	return out(), cmdErr
}
