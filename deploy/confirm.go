package deploy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

// confirmer asks one question at a time on Stdin.
type confirmer struct {
	mu    sync.Mutex
	yes   bool
	tty   bool
	in    *bufio.Reader
	prog  *progress
	flags string // how to approve without a prompt, for messages
}

func newConfirmer(c *Common, prog *progress) *confirmer {
	cf := &confirmer{yes: c.Yes, tty: c.IsTTY, prog: prog, flags: "--yes"}
	if c.Stdin != nil {
		cf.in = bufio.NewReader(c.Stdin)
	}
	return cf
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
	var answer string
	var readErr error
	c.prog.interact(func(w io.Writer) {
		for _, d := range details {
			fmt.Fprintln(w, d)
		}
		fmt.Fprintf(w, "%s [y/N] ", question)
	}, func() {
		// Read in the background so Ctrl-C (ctx) ends the wait; the reader
		// is abandoned then, as the process is about to stop.
		type reply struct {
			s   string
			err error
		}
		got := make(chan reply, 1)
		go func() {
			s, err := c.in.ReadString('\n')
			got <- reply{s, err}
		}()
		select {
		case rep := <-got:
			answer, readErr = rep.s, rep.err
		case <-ctx.Done():
			readErr = ctx.Err()
		}
	})
	if readErr != nil && answer == "" {
		return false, fmt.Errorf("%s: no answer: %w", question, readErr)
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
