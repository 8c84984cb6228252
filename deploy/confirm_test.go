package deploy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

// TestConfirmTwoPrompts: a prompt ended by its context (Ctrl-C) leaves no
// reader behind that steals the next answer or races with the next prompt's
// reader (run with -race): the second prompt gets the line typed for it.
func TestConfirmTwoPrompts(t *testing.T) {
	in, typist := io.Pipe()
	defer typist.Close()
	c := Common{Stdin: in, IsTTY: true, Stderr: &bytes.Buffer{}}
	if err := c.normalize(); err != nil {
		t.Fatal(err)
	}
	cf := newConfirmer(&c, newProgress(&c, nil))

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if ok, err := cf.ask(ctx, "first?", nil); ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled prompt: %v, %v", ok, err)
	}
	if ok, err := cf.ask(ctx, "again?", nil); ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("prompt after cancel: %v, %v", ok, err)
	}

	go func() { _, _ = io.WriteString(typist, "y\n") }()
	ok, err := cf.ask(context.Background(), "second?", nil)
	if !ok || err != nil {
		t.Fatalf("second prompt: %v, %v", ok, err)
	}
	go func() { _, _ = io.WriteString(typist, "no\n") }()
	if ok, err := cf.ask(context.Background(), "third?", nil); ok || err != nil {
		t.Fatalf("third prompt: %v, %v", ok, err)
	}
	typist.Close()
	if ok, err := cf.ask(context.Background(), "after EOF?", nil); ok || !errors.Is(err, io.EOF) {
		t.Fatalf("after EOF: %v, %v", ok, err)
	}
}
