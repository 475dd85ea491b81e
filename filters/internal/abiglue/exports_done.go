//go:build laneway_glue && (laneway_cb_all || laneway_cb_done)

package internal

// proxy_on_done reaches OnPluginDone; Envoy also calls it once per stream when exported.
//
//go:wasmexport proxy_on_done
func exportOnDone(contextID uint32) uint32 {
	if streamContext(contextID) != nil {
		return 1 // a stream: the SDK answers true for anything but a plugin context
	}
	return b2u(proxyOnDone(contextID))
}
