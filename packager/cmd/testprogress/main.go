// Command testprogress runs `go test -json` with the arguments after `--` and prints what `go test`
// prints (each package's ok, FAIL or ? line, the output of failed tests, build errors, the closing FAIL)
// on stdout, plus a heartbeat line on stderr whenever nothing was printed for a while, naming the tests
// running at that moment. It exits with go test's exit status.
//
// Usage: testprogress [-go go] [-every 20s] [-save events.json] -- [go test flags] [packages]
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	goCmd := flag.String("go", "go", "the go command to run")
	every := flag.Duration("every", 20*time.Second, "print a heartbeat when nothing was printed for this long")
	save := flag.String("save", "", "also write go test's JSON events to this file (for timings)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: testprogress [-go go] [-every 20s] [-save events.json] -- [go test flags] [packages]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *every <= 0 {
		fmt.Fprintf(os.Stderr, "testprogress: -every must be positive, got %v\n", *every)
		os.Exit(2)
	}
	var events io.Writer
	if *save != "" {
		f, err := os.Create(*save)
		if err != nil {
			fmt.Fprintf(os.Stderr, "testprogress: -save: %v\n", err)
			os.Exit(2)
		}
		events = f
	}
	code := run(*goCmd, flag.Args(), *every, os.Stdout, os.Stderr, events)
	if f, ok := events.(*os.File); ok {
		_ = f.Close()
	}
	os.Exit(code)
}

// msg is one line from go test: from its stdout (events) or its stderr.
type msg struct {
	text   string
	stderr bool
}

// run runs `go test -json args...` and returns its exit status (2 if it could not be started). When
// events is not nil, every line go test writes on its stdout is copied there.
func run(goCmd string, args []string, every time.Duration, stdout, stderr, events io.Writer) int {
	cmd := exec.Command(goCmd, append([]string{"test", "-json"}, args...)...)
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(stderr, "testprogress:", err)
		return 2
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		fmt.Fprintln(stderr, "testprogress:", err)
		return 2
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "testprogress: cannot start %s test: %v; is Go installed and on PATH (or give -go)?\n", goCmd, err)
		return 2
	}
	// Pass SIGINT and SIGTERM on to go test and let it end the run and report as it does.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()

	lines := make(chan msg)
	done := make(chan struct{}, 2)
	scan := func(r io.Reader, isErr bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for sc.Scan() {
			lines <- msg{text: sc.Text(), stderr: isErr}
		}
		done <- struct{}{}
	}
	go scan(outPipe, false)
	go scan(errPipe, true)

	p := newPrinter(stdout, stderr, every, time.Now())
	ticker := time.NewTicker(every / 4)
	defer ticker.Stop()
	for open := 2; open > 0; {
		select {
		case m := <-lines:
			if m.stderr {
				p.stderrLine(m.text, time.Now())
			} else {
				if events != nil {
					_, _ = io.WriteString(events, m.text+"\n")
				}
				p.stdoutLine(m.text, time.Now())
			}
		case <-done:
			open--
		case now := <-ticker.C:
			p.tick(now)
		}
	}
	code := 0
	if err := cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			fmt.Fprintln(stderr, "testprogress:", err)
			return 2
		}
		if code = exit.ExitCode(); code < 0 { // killed by a signal
			code = 1
		}
	}
	p.close(code, time.Now())
	return code
}
