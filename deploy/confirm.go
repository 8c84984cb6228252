package deploy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

// confirmer asks one question at a time. One goroutine reads Stdin for the
// whole run, line by line, started by the first question; ask waits for
// its next line or for ctx, so Ctrl-C ends a prompt without leaving a
// second reader on the same input.
type confirmer struct {
	mu    sync.Mutex // one question at a time
	yes   bool
	tty   bool
	in    io.Reader
	prog  *progress
	flags string // how to approve without a prompt, for messages

	start sync.Once
	lines chan line
}

// line is one line of Stdin, or the error that ended it.
type line struct {
	text string
	err  error
}

func newConfirmer(c *Common, prog *progress) *confirmer {
	return &confirmer{yes: c.Yes, tty: c.IsTTY, in: c.Stdin, prog: prog, flags: "--yes"}
}

// read is the only reader of Stdin. It stops at the first error (EOF),
// which every later question then receives.
func (c *confirmer) read() {
	br := bufio.NewReader(c.in)
	for {
		s, err := br.ReadString('\n')
		if s != "" || err == nil {
			c.lines <- line{text: s}
		}
		if err != nil {
			c.lines <- line{err: err}
			close(c.lines)
			return
		}
	}
}

// ask returns true when the caller approved question (details are printed
// first). Without Yes and without an interactive terminal it returns an
// error that says how to approve.
func (c *confirmer) ask(ctx context.Context, question string, details []string) (bool, error) {
	if c.yes {
		return true, nil
	}
	if c.in == nil || !c.tty {
		return false, fmt.Errorf("approval needed (%s) but there is no terminal to ask on; review with a dry run and re-run with %s to approve", strings.TrimSuffix(question, "?"), c.flags)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("%s: no answer: %w", question, err)
	}
	c.start.Do(func() {
		c.lines = make(chan line, 1)
		go c.read()
	})
	var got line
	c.prog.interact(func(w io.Writer) {
		for _, d := range details {
			fmt.Fprintln(w, d)
		}
		fmt.Fprintf(w, "%s [y/N] ", question)
	}, func() {
		select {
		case l, ok := <-c.lines:
			if !ok {
				l.err = io.EOF
			}
			got = l
		case <-ctx.Done():
			got.err = ctx.Err()
		}
	})
	if got.err != nil {
		return false, fmt.Errorf("%s: no answer: %w", question, got.err)
	}
	switch strings.ToLower(strings.TrimSpace(got.text)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
