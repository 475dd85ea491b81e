// Package progress reports long steps of the CLI on a writer (stderr): a line when a step starts,
// a "still ..." line at a fixed interval while it runs, and a line with its duration when it ends,
// so that minutes of silent work (a first build, a cold compilation cache) never look stuck.
package progress

import (
	"fmt"
	"io"
	"time"
)

// DefaultEvery is the interval of the "still ..." lines.
const DefaultEvery = 5 * time.Second

// Step runs fn and reports it on w: "  <label> ..." first, "  still <doing> (Ns)" every interval
// (DefaultEvery when zero) while it runs, then "  done in D" and fn's summary, if any. A failed step
// prints no done-line; its error is returned. With a nil w, Step only runs fn.
func Step(w io.Writer, every time.Duration, label, doing string, fn func() (summary string, err error)) error {
	if w == nil {
		_, err := fn()
		return err
	}
	if every <= 0 {
		every = DefaultEvery
	}
	start := time.Now()
	fmt.Fprintf(w, "  %s ...\n", label)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(w, "  still %s (%s)\n", doing, time.Since(start).Round(time.Second))
			}
		}
	}()
	summary, err := fn()
	close(done)
	<-stopped
	if err != nil {
		return err
	}
	if summary != "" {
		summary = ": " + summary
	}
	fmt.Fprintf(w, "  done in %s%s\n", time.Since(start).Round(100*time.Millisecond), summary)
	return nil
}
