//go:build linux

package deploy

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair of the given size: the master, which
// reads what a program writes to the terminal, and the slave, which is the
// terminal the program writes to.
func openPTY(t *testing.T, cols, rows int) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("SKIPPING: no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(int(m.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(cols), Row: uint16(rows)}); err != nil {
		t.Fatal(err)
	}
	// Raw output: no "\n" -> "\r\n" translation, so the bytes read are the
	// bytes written.
	tio, err := unix.IoctlGetTermios(int(s.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Oflag &^= unix.OPOST
	if err := unix.IoctlSetTermios(int(s.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestTableInPTY: on a real 80x24 pseudo-terminal the table reads the
// terminal's size itself, and a run of 235 stacks with a prompt in between
// leaves a screen that fits: no wrapped line, the counts on top, the
// printed line above the table.
func TestTableInPTY(t *testing.T) {
	master, slave := openPTY(t, 80, 24)
	var got bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&got, master); close(done) }()

	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := Common{Stderr: slave, IsTTY: true, Now: func() time.Time { return now }}
	if err := c.normalize(); err != nil {
		t.Fatal(err)
	}
	if w, h := terminalSize(slave)(); w != 80 || h != 24 {
		t.Fatalf("terminal size %dx%d, want 80x24", w, h)
	}
	ticks := make(chan time.Time)
	p := newProgressWith(&c, manyIDs(235), ticks, nil, terminalSize(slave))
	bigRun(t, p, &now)
	ticks <- now
	p.print([]string{"account-001/ap-southeast-2/service: 3 change(s)"})
	ticks <- now
	p.close()
	slave.Close()
	<-done

	screen := newFakeScreen(80, 24)
	screen.write(got.Bytes())
	if screen.wrapped {
		t.Error("a line wrapped at 80 columns")
	}
	text := strings.Join(screen.text(), "\n")
	if !strings.Contains(text, "235 stacks: 150 done · 48 running · 35 queued · 2 failed") {
		t.Errorf("screen:\n%s", text)
	}
	// The printed line went above the table (into the scrollback once the
	// table fills the screen).
	if !strings.Contains(got.String(), "\x1b[J"+"account-001/ap-southeast-2/service: 3 change(s)\n") {
		t.Errorf("the change-set line was not printed in place of the table")
	}
}
