package cli

import (
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/laneway/laneway/packager/demo"
)

// runAmbient runs `laneway demo --ambient`: the demo in Istio's ambient topology.
func (o *demoOptions) runAmbient(cmd *cobra.Command, s Streams) error {
	start := time.Now()
	opts := demo.AmbientOptions{Progress: s.Err}
	if o.verbose {
		opts.Decisions = s.Err
	}
	rep, err := demo.RunAmbient(cmd.Context(), opts)
	if err != nil {
		return err
	}
	progress(s.Err, "Demo finished in %v", time.Since(start).Round(time.Millisecond))
	if err := o.print(s.Out, rep, func(w io.Writer) error { return rep.WriteTable(w) }); err != nil {
		return err
	}
	return verdictError(rep.Verdicts)
}
