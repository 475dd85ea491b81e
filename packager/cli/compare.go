package cli

import "github.com/spf13/cobra"

func newCompareCommand(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compare",
		Short: "Compare live and shadow responses: the collector, its report and its manifest",
		Long: `compare is Diffy's idea inside the mesh. shadowtag (inbound, with a compare section) captures
the responses of sampled requests on a primary (live), a secondary (another live instance) and a
candidate (the new version, receiving mirrored traffic), and reports them to the collector.
The collector pairs the captures by request id (x-request-id), learns per endpoint which fields
differ between primary and secondary (noise: timestamps, ids, counters) and reports the fields
the candidate changes more often than that.

  laneway compare serve      run the collector (JSON API and web page)
  laneway compare report     merge every replica's report (text or JSON)
  laneway compare manifest   Deployment, Service and DestinationRule for the collector`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newCompareServeCommand(s), newCompareReportCommand(s), newCompareManifestCommand(s))
	return cmd
}
